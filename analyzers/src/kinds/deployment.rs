//! PLACEHOLDER: to be written.

use crate::analyzer::{Analyzer, CodeInfo};
use crate::finding::Finding;
use crate::kind::Kind;
use crate::snapshot::Snapshot;

pub(crate) struct DeploymentAnalyzer;

impl Analyzer for DeploymentAnalyzer {
    fn name(&self) -> &'static str {
        "deployment"
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
