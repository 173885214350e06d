//! PLACEHOLDER: to be written.

use crate::analyzer::{Analyzer, CodeInfo};
use crate::finding::Finding;
use crate::kind::Kind;
use crate::snapshot::Snapshot;

pub(crate) struct ReplicaSetAnalyzer;

impl Analyzer for ReplicaSetAnalyzer {
    fn name(&self) -> &'static str {
        "replicaset"
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
