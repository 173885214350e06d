//! The constraints view of a namespace (`mekhanikube constraints -n`): what applies, in plain words, what it
//! touches and what it is blocking, from fixtures/constraints/ and the demo cluster.

use mekhanikube_analyzers::constraints::{Constraint, ConstraintKind, ConstraintState, Detail, collect};
use mekhanikube_analyzers::{registry, run};

use crate::common::load;

fn constraints(fixture: &str, namespace: &str) -> Vec<Constraint> {
    let snapshot = load(fixture);
    let findings = run(registry(), &snapshot);
    collect(&snapshot, namespace, &findings)
}

fn get<'a>(all: &'a [Constraint], reference: &str) -> &'a Constraint {
    all.iter()
        .find(|c| c.reference == reference)
        .unwrap_or_else(|| panic!("no {reference}; got {:?}", all.iter().map(|c| &c.reference).collect::<Vec<_>>()))
}

fn names(c: &Constraint) -> Vec<String> {
    c.touches.iter().map(|o| format!("{}/{}", o.kind, o.name)).collect()
}

#[test]
fn every_constraint_of_the_namespace_and_only_those() {
    let all = constraints("constraints/two-teams.yaml", "team-a");
    let refs: Vec<&str> = all.iter().map(|c| c.reference.as_str()).collect();
    // team-b's quota of the same name, the webhook selecting team-b and the cluster-scoped hook are not there.
    assert_eq!(
        refs,
        [
            "quota/compute",
            "limitrange/defaults",
            "pdb/api",
            "netpol/api-egress",
            "netpol/api-ingress",
            "admission/1",
            "admission/2"
        ]
    );
    assert!(all.iter().all(|c| c.object.namespace.as_deref() != Some("team-b")));
    let admission: Vec<&str> =
        all.iter().filter(|c| c.kind == ConstraintKind::Admission).map(|c| c.object.name.as_str()).collect();
    assert_eq!(admission, ["deploy-guard", "org-policy"]);
}

#[test]
fn a_used_up_quota_refusing_pods_is_blocking_with_the_refusal_linked() {
    let all = constraints("constraints/two-teams.yaml", "team-a");
    let quota = get(&all, "quota/compute");
    assert_eq!(quota.state, ConstraintState::Blocking);
    assert_eq!(quota.rules[0], "pods: 3 of 3 used (100%): used up, the next one is refused");
    assert_eq!(quota.rules[1], "requests.cpu: 600m of 2 used (30%)");
    let codes: Vec<(&str, &str)> = quota.findings.iter().map(|f| (f.code.as_str(), f.object.name.as_str())).collect();
    assert!(codes.contains(&("resourcequota-refused-pods", "compute")), "{codes:?}");
    assert!(codes.contains(&("replicaset-create-failed", "api-1")), "the refused ReplicaSet is linked: {codes:?}");
    assert_eq!(names(quota), ["Deployment/api", "Deployment/web"]);
}

#[test]
fn limits_budgets_and_policies_in_plain_words() {
    let all = constraints("constraints/two-teams.yaml", "team-a");
    let range = get(&all, "limitrange/defaults");
    assert_eq!(range.state, ConstraintState::Ok, "the templates respect it: {:?}", range.findings);
    assert!(
        range
            .rules
            .contains(&"each container: cpu request at least 100m; cpu limit at most 4 times the request".to_string()),
        "{:?}",
        range.rules
    );
    assert!(
        range.rules.contains(
            &"each container: memory limit at most 1Gi; when unset, memory limit 512Mi and request 256Mi".to_string()
        ),
        "{:?}",
        range.rules
    );

    // Zero allowed evictions while a rollout is short of a pod is not a fault: stated, not blocking.
    let budget = get(&all, "pdb/api");
    assert_eq!(budget.state, ConstraintState::Ok);
    assert_eq!(budget.rules[0], "lets at most 1 of the pods app=api be evicted at a time");
    assert_eq!(budget.rules[1], "allows no eviction right now: a node drain waits (3 healthy, 3 needed)");
    assert_eq!(names(budget), ["Deployment/api"]);
    let Detail::DisruptionBudget { pods, disruptions_allowed, .. } = &budget.detail else {
        panic!("{:?}", budget.detail)
    };
    assert_eq!(pods, &["api-1-a", "api-1-b", "api-1-c"]);
    assert_eq!(*disruptions_allowed, Some(0));

    let ingress = get(&all, "netpol/api-ingress");
    assert_eq!(
        ingress.rules,
        [
            "applies to pods app=api (3 pods now)",
            "ingress: only from pods app=web of this namespace or pods app=gateway in namespace team-b on TCP 8080",
        ]
    );
    assert_eq!(ingress.state, ConstraintState::Ok);
    let egress = get(&all, "netpol/api-egress");
    assert_eq!(
        egress.rules[1],
        "egress: only to addresses 10.0.0.0/8 except 10.1.0.0/16 on TCP 443; DNS not allowed (name lookups time out)"
    );
    assert_eq!(egress.state, ConstraintState::Blocking);
    assert_eq!(egress.findings[0].code, "networkpolicy-egress-blocks-dns");
    assert_eq!(names(egress), ["Deployment/api"]);
}

#[test]
fn admission_webhooks_matching_the_namespace_say_what_they_do_without_names() {
    let all = constraints("constraints/two-teams.yaml", "team-a");
    let guard = get(&all, "admission/1");
    assert_eq!(
        guard.rules,
        [
            "a cluster-wide validating admission webhook intercepts CREATE, UPDATE of apps/deployments in this namespace (fails open: it is skipped while it cannot be reached)"
        ]
    );
    assert!(guard.cluster_scoped);
    assert_eq!(names(guard), ["Deployment/api", "Deployment/web"]);
    let policy = get(&all, "admission/2");
    // Only the hook whose namespaceSelector matches team-a, not the one on cluster-scoped namespaces.
    let Detail::Admission { hooks, .. } = &policy.detail else { panic!("{:?}", policy.detail) };
    assert_eq!(hooks.len(), 1);
    assert!(hooks[0].fails_closed);
    assert!(policy.rules[0].contains("CREATE of pods in this namespace (fails closed"), "{}", policy.rules[0]);
    for c in [guard, policy] {
        assert!(
            c.rules.iter().all(|r| !r.contains(&c.object.name)),
            "no configuration name in the words: {:?}",
            c.rules
        );
        assert_eq!(c.state, ConstraintState::Ok);
    }
}

#[test]
fn the_other_namespace_sees_its_own_and_the_webhooks_that_select_it() {
    let all = constraints("constraints/two-teams.yaml", "team-b");
    let refs: Vec<&str> = all.iter().map(|c| c.reference.as_str()).collect();
    assert_eq!(refs, ["quota/compute", "netpol/deny-all", "admission/1", "admission/2"]);
    let quota = get(&all, "quota/compute");
    assert_eq!(quota.state, ConstraintState::Ok, "team-a's refusal is not team-b's: {:?}", quota.findings);
    let deny = get(&all, "netpol/deny-all");
    assert_eq!(deny.rules[1], "ingress: nothing may connect to them (all ingress denied)");
    assert_eq!(
        deny.rules[2],
        "egress: they may connect nowhere (all egress denied); DNS not allowed (name lookups time out)"
    );
    let admission: Vec<&str> =
        all.iter().filter(|c| c.kind == ConstraintKind::Admission).map(|c| c.object.name.as_str()).collect();
    assert_eq!(admission, ["deploy-guard", "sidecar-injector"]);
}

#[test]
fn a_namespace_without_constraints_has_none() {
    assert!(constraints("constraints/two-teams.yaml", "team-c").iter().all(|c| c.kind == ConstraintKind::Admission));
    assert!(constraints("pod/healthy.yaml", "shop").is_empty());
}

#[test]
fn the_demo_checkout_namespace() {
    let all = constraints("../../../examples/demo-cluster.yaml", "checkout");
    let states: Vec<(&str, ConstraintState)> = all.iter().map(|c| (c.reference.as_str(), c.state)).collect();
    assert_eq!(
        states,
        [
            ("quota/checkout-quota", ConstraintState::Blocking),
            ("limitrange/checkout-limits", ConstraintState::Blocking),
            ("pdb/cart", ConstraintState::Blocking),
            ("netpol/cart-egress", ConstraintState::Blocking),
            ("admission/1", ConstraintState::Ok),
        ]
    );
}

#[test]
fn constraints_snapshot() {
    insta::assert_json_snapshot!(constraints("constraints/two-teams.yaml", "team-a"));
}

/// A ValidatingAdmissionPolicy counts through each binding whose resources, and the policy's own, match the
/// namespace; a Warn-only binding says it does not refuse; a binding of a missing policy is no entry.
#[test]
fn admission_policies_count_through_the_bindings_that_match_the_namespace() {
    let team_a = constraints("constraints/admission-policies.yaml", "team-a");
    let refs: Vec<&str> = team_a.iter().map(|c| c.reference.as_str()).collect();
    assert_eq!(refs, ["admission/1"], "team-b's bindings and the orphan are not team-a's");
    let deny = get(&team_a, "admission/1");
    assert_eq!(
        deny.rules,
        [
            "a cluster-wide admission policy intercepts CREATE, UPDATE of apps/deployments in this namespace (fails closed: a request its rules cannot be evaluated on is refused)"
        ]
    );
    assert_eq!(
        (deny.object.kind.as_str(), deny.object.name.as_str()),
        ("ValidatingAdmissionPolicy", "require-team-label")
    );
    assert!(deny.cluster_scoped);
    assert_eq!(names(deny), ["Deployment/api"]);

    // In binding-name order: team-b-only, then team-b-warn.
    let team_b = constraints("constraints/admission-policies.yaml", "team-b");
    let rules: Vec<&str> = team_b.iter().map(|c| c.rules[0].as_str()).collect();
    assert_eq!(
        rules,
        [
            "a cluster-wide admission policy intercepts CREATE of pods in this namespace (fails open: a request its rules cannot be evaluated on is let through)",
            "a cluster-wide admission policy only warns or audits on CREATE, UPDATE of apps/deployments in this namespace (fails closed: a request its rules cannot be evaluated on is refused)",
        ]
    );
    assert!(constraints("constraints/admission-policies.yaml", "team-c").is_empty(), "no namespace, no labels");
}
