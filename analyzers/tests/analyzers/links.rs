//! Links between findings and the problems they fold into: for each link family, a fixture where the chain is
//! found and the consequence folded, and one with the traps where it must not be.

use crate::common::{linked, outline};

#[test]
fn demo_cluster_problems() {
    let (findings, problems) = linked("../../../examples/demo-cluster.yaml");
    for p in &problems {
        eprintln!(
            "{:?} {} \n   {:?}\n   {:?}",
            p.severity,
            p.summary,
            p.blast_radius.iter().map(|i| format!("{} {}", i.object.label(), i.state)).collect::<Vec<_>>(),
            outline(&findings, std::slice::from_ref(p))
        );
    }
    eprintln!("{} findings, {} problems", findings.len(), problems.len());
}
