//! PLACEHOLDER: to be written.

use crate::analyzer::{Analyzer, CodeInfo};
use crate::finding::Finding;
use crate::kind::Kind;
use crate::snapshot::Snapshot;

pub(crate) struct StatefulSetAnalyzer;

impl Analyzer for StatefulSetAnalyzer {
    fn name(&self) -> &'static str {
        "statefulset"
    }
    fn kinds(&self) -> &'static [Kind] {
        &[]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[]
    }
    fn analyze(&self, _snapshot: &Snapshot) -> Vec<Finding> {
        Vec::new()
    }
}
