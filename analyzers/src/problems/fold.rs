//! Folding: for each finding, walk the links backwards to the nearest objects upstream that carry a finding, or
//! to where the chain starts; a finding takes the problem of its first cause in report order. The first link
//! walked must explain the finding's code (a StatefulSet's missing governing Service is not a consequence of its
//! pods); the links further up only carry the failure along.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use super::group::{GroupKey, group_key};
use crate::finding::{Finding, ObjectRef};
use crate::links::{Key, Link, key};

/// One problem before it is dressed for output: finding indexes, in report order with the root first.
pub(crate) struct Group {
    pub root: usize,
    pub members: Vec<usize>,
    /// Where the chain starts when no finding is there.
    pub source: Option<ObjectRef>,
    /// Links walked from the members up to the root or the source.
    pub links: BTreeSet<usize>,
}

pub(crate) struct Folded {
    pub groups: Vec<Group>,
    /// For each consequence: its nearest cause and the first link out of it.
    pub causes: BTreeMap<usize, (ObjectRef, usize)>,
}

/// What one finding is a consequence of.
#[derive(Default)]
struct Upstream {
    findings: Vec<usize>,
    sources: Vec<(Key, ObjectRef)>,
    links: BTreeSet<usize>,
    nearest: Option<(ObjectRef, usize)>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Origin {
    Source(Key),
    Alone(GroupKey),
}

pub(crate) fn fold(links: &[Link], findings: &[Finding]) -> Folded {
    let mut into: HashMap<Key, Vec<usize>> = HashMap::new();
    for (i, l) in links.iter().enumerate() {
        into.entry(key(&l.effect)).or_default().push(i);
    }
    let mut on_object: HashMap<Key, Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        on_object.entry(key(&f.object)).or_default().push(i);
    }
    let ups: Vec<Upstream> = (0..findings.len()).map(|i| upstream(links, &into, &on_object, findings, i)).collect();
    let mut origins: Vec<Option<Origin>> = vec![None; findings.len()];
    let mut visiting = vec![false; findings.len()];
    for i in 0..findings.len() {
        origin(i, &ups, findings, &mut origins, &mut visiting);
    }
    let groups = groups(&ups, &origins, findings);
    let causes = ups.iter().enumerate().filter_map(|(i, u)| Some((i, u.nearest.clone()?))).collect();
    Folded { groups, causes }
}

/// Breadth first, so the nearest cause is found first.
fn upstream(
    links: &[Link],
    into: &HashMap<Key, Vec<usize>>,
    on_object: &HashMap<Key, Vec<usize>>,
    findings: &[Finding],
    i: usize,
) -> Upstream {
    let start = key(&findings[i].object);
    let explaining = into.get(&start).into_iter().flatten().filter(|&&l| links[l].kind.explains(&findings[i].code));
    let mut queue: VecDeque<usize> = explaining.copied().collect();
    let mut seen: BTreeSet<Key> = BTreeSet::from([start]);
    let mut up = Upstream::default();
    let mut ends: BTreeSet<Key> = BTreeSet::new();
    while let Some(l) = queue.pop_front() {
        up.links.insert(l);
        let cause = key(&links[l].cause);
        if !seen.insert(cause.clone()) {
            continue;
        }
        let here = on_object.get(&cause);
        let further = into.get(&cause);
        let source = here.is_none() && further.is_none() && links[l].kind.blames_cause();
        if here.is_some() || source {
            up.nearest.get_or_insert_with(|| (links[l].cause.clone(), l));
            ends.insert(cause.clone());
        }
        match (here, further) {
            (Some(found), _) => up.findings.extend(found),
            (None, Some(next)) => queue.extend(next),
            (None, None) if source => up.sources.push((cause, links[l].cause.clone())),
            (None, None) => {}
        }
    }
    up.links = useful_links(links, &up.links, ends);
    up.findings.sort_unstable();
    up.findings.dedup();
    up.sources.sort();
    up
}

/// The walked links that lie on a path from a cause (a finding or a source) down to the start; dead ends
/// (a ReplicaSet short of pods that nothing explains) are dropped.
fn useful_links(links: &[Link], walked: &BTreeSet<usize>, mut useful: BTreeSet<Key>) -> BTreeSet<usize> {
    loop {
        let before = useful.len();
        for &l in walked {
            if useful.contains(&key(&links[l].cause)) {
                useful.insert(key(&links[l].effect));
            }
        }
        if useful.len() == before {
            break;
        }
    }
    walked.iter().copied().filter(|&l| useful.contains(&key(&links[l].cause))).collect()
}

/// A finding's origin: that of its first cause finding, else the first source, else its own identical-symptom
/// group. A cycle (a webhook whose own pods it refuses) ends where it closes.
fn origin(
    i: usize,
    ups: &[Upstream],
    findings: &[Finding],
    origins: &mut Vec<Option<Origin>>,
    visiting: &mut Vec<bool>,
) -> Origin {
    if let Some(o) = &origins[i] {
        return o.clone();
    }
    if visiting[i] {
        return Origin::Alone(group_key(&findings[i]));
    }
    visiting[i] = true;
    let o = match (ups[i].findings.first(), ups[i].sources.first()) {
        (Some(&cause), _) => origin(cause, ups, findings, origins, visiting),
        (None, Some((source, _))) => Origin::Source(source.clone()),
        (None, None) => Origin::Alone(group_key(&findings[i])),
    };
    origins[i] = Some(o.clone());
    o
}

fn groups(ups: &[Upstream], origins: &[Option<Origin>], findings: &[Finding]) -> Vec<Group> {
    let mut by_origin: BTreeMap<&Origin, Vec<usize>> = BTreeMap::new();
    for (i, o) in origins.iter().enumerate() {
        by_origin.entry(o.as_ref().expect("every finding has an origin")).or_default().push(i);
    }
    let mut out = Vec::new();
    for (o, mut members) in by_origin {
        // The root: the first member not caused by another finding (the one nearest the source).
        let root = members.iter().copied().find(|&m| ups[m].findings.is_empty()).unwrap_or(members[0]);
        members.retain(|&m| m != root);
        members.insert(0, root);
        let source = match o {
            Origin::Source(k) => ups.iter().flat_map(|u| &u.sources).find(|(s, _)| s == k).map(|(_, r)| r.clone()),
            Origin::Alone(_) => None,
        };
        let links = members.iter().flat_map(|&m| ups[m].links.iter().copied()).collect();
        out.push(Group { root, members, source, links });
    }
    debug_assert_eq!(out.iter().map(|g| g.members.len()).sum::<usize>(), findings.len());
    out
}
