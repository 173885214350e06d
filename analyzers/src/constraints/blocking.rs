//! Which findings of the run show a constraint at work: those about its object, and those that the problems
//! stage folds under it through a link it causes (a ReplicaSet refused by a quota, a controller refused by a
//! webhook). The worst of them gives the entry its state.

use super::{Constraint, ConstraintState, RelatedFinding};
use crate::finding::{Finding, ObjectRef};
use crate::snapshot::Snapshot;

fn same(a: &ObjectRef, b: &ObjectRef) -> bool {
    a.kind == b.kind && a.namespace == b.namespace && a.name == b.name
}

pub(super) fn attach(snapshot: &Snapshot, findings: &[Finding], constraints: &mut [Constraint]) {
    let mut linked = findings.to_vec();
    let problems = crate::problems::problems(snapshot, &mut linked);
    for c in constraints.iter_mut() {
        let mut related: Vec<&Finding> = linked.iter().filter(|f| same(&f.object, &c.object)).collect();
        for problem in &problems {
            let effects: Vec<&ObjectRef> =
                problem.links.iter().filter(|l| same(&l.cause, &c.object)).map(|l| &l.effect).collect();
            if effects.is_empty() {
                continue;
            }
            for f in linked.iter().filter(|f| problem.members.contains(&f.id)) {
                if effects.iter().any(|e| same(e, &f.object)) && !related.iter().any(|r| r.id == f.id) {
                    related.push(f);
                }
            }
        }
        // Most severe first; among equals, the constraint's own finding before those of what it refuses.
        let key = |f: &&Finding| (f.severity, !same(&f.object, &c.object), f.object.clone(), f.code.clone());
        related.sort_by_key(key);
        c.state = ConstraintState::of(related.first().map(|f| f.severity));
        c.findings = related
            .into_iter()
            .map(|f| RelatedFinding {
                id: f.id.clone(),
                code: f.code.clone(),
                severity: f.severity,
                // Without the uid, as every object of the view: the same constraint read live or from a file
                // compares equal.
                object: ObjectRef { uid: None, ..f.object.clone() },
                message: f.message.clone(),
            })
            .collect();
    }
}
