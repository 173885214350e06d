//! Links between findings and the problems they fold into: for each link family, a fixture where the chain is
//! found and the consequence folded (`links/<family>.yaml`), and one with the traps where it must not be
//! (`links/<family>-traps.yaml`). A false link is a bug exactly like a missed one.

use mekhanikube_analyzers::{Evidence, Finding, LinkKind, Problem, Severity};

use crate::common::{all_links, linked, outline};

fn causes(problems: &[Problem]) -> Vec<Option<String>> {
    problems.iter().map(|p| p.cause.as_ref().map(|c| c.label())).collect()
}

fn blast(problem: &Problem) -> Vec<String> {
    problem.blast_radius.iter().map(|i| format!("{} {}", i.object.label(), i.state)).collect()
}

fn link_kinds(problems: &[Problem]) -> Vec<LinkKind> {
    problems.iter().flat_map(|p| p.links.iter().map(|l| l.kind)).collect()
}

/// The cause evidence of the finding with this code on this object.
fn cause_of(findings: &[Finding], code: &str, name: &str) -> Option<(String, LinkKind)> {
    let f = findings.iter().find(|f| f.code == code && f.object.name == name).expect("finding present");
    f.evidence.iter().find_map(|e| match e {
        Evidence::Cause { object, link, .. } => Some((object.label(), *link)),
        _ => None,
    })
}

#[test]
fn owner_chain_folds_the_deployment_under_its_pods() {
    let (findings, problems) = linked("links/owner.yaml");
    assert_eq!(
        outline(&findings, &problems),
        [
            "pod-crash-loop api-7c9d5f6b8-aaaaa | deployment-unavailable api | pod-crash-loop api-7c9d5f6b8-bbbbb",
            "job-failed report-29398200 | cronjob-last-run-failed report",
        ]
    );
    assert_eq!(problems[0].severity, Severity::Critical, "the root inherits the outage it causes");
    assert_eq!(blast(&problems[0]), ["Deployment shop/api 0/2 available"]);
    assert_eq!(blast(&problems[1]), ["CronJob shop/report last run failed"]);
    assert_eq!(
        cause_of(&findings, "deployment-unavailable", "api"),
        Some(("Pod shop/api-7c9d5f6b8-aaaaa".into(), LinkKind::ControlledBy))
    );
    assert_eq!(
        cause_of(&findings, "pod-crash-loop", "api-7c9d5f6b8-bbbbb"),
        None,
        "an identical symptom, not a consequence"
    );
}

#[test]
fn a_ready_pod_or_a_non_controller_owner_explains_no_outage() {
    let (findings, problems) = linked("links/owner-traps.yaml");
    assert_eq!(
        outline(&findings, &problems),
        [
            "deployment-unavailable batch",
            "deployment-unavailable web",
            "pod-crash-loop batch-1",
            "pod-container-restarted web-5d4c3b2a1-aaaaa",
        ]
    );
    assert!(
        link_kinds(&problems).is_empty(),
        "a ReplicaSet that nothing explains is a dead end: {:?}",
        problems[0].links
    );
    assert!(findings.iter().all(|f| !f.evidence.iter().any(|e| matches!(e, Evidence::Cause { .. }))));
}

#[test]
fn pods_on_an_unreachable_node_fold_under_it_and_their_deployment_names_it() {
    let (findings, problems) = linked("links/scheduling.yaml");
    assert_eq!(
        outline(&findings, &problems),
        ["node-status-unknown node-c | deployment-unavailable web | pod-crash-loop cache-0"]
    );
    assert_eq!(blast(&problems[0]), ["Deployment shop/web 0/1 available"]);
    assert_eq!(cause_of(&findings, "deployment-unavailable", "web"), Some(("Node node-c".into(), LinkKind::RunsOn)));
    assert_eq!(cause_of(&findings, "pod-crash-loop", "cache-0"), Some(("Node node-c".into(), LinkKind::RunsOn)));
}

#[test]
fn a_crash_loop_on_a_healthy_node_is_not_the_node() {
    let (findings, problems) = linked("links/scheduling-traps.yaml");
    assert_eq!(outline(&findings, &problems), ["node-not-ready node-b", "pod-crash-loop api-0"]);
    assert!(all_links("links/scheduling-traps.yaml").is_empty());
    assert_eq!(cause_of(&findings, "pod-crash-loop", "api-0"), None);
}

#[test]
fn a_missing_storage_class_is_one_problem_from_claim_to_statefulset() {
    let (findings, problems) = linked("links/storage.yaml");
    assert_eq!(
        outline(&findings, &problems),
        [
            "pvc-storage-class-missing data-db-0 | statefulset-pods-not-ready db | pod-unschedulable db-0 | \
             service-no-ready-endpoints db | statefulset-storage-class-missing db",
            "pvc-lost archive",
        ]
    );
    assert_eq!(causes(&problems), [Some("StorageClass fast-ssd".into()), Some("PersistentVolume pv-archive".into())]);
    assert_eq!(blast(&problems[0]), ["StatefulSet shop/db 0/1 ready", "Service shop/db no ready endpoints"]);
    assert_eq!(
        cause_of(&findings, "pod-unschedulable", "db-0"),
        Some(("PersistentVolumeClaim shop/data-db-0".into(), LinkKind::MountsClaim)),
        "a pod pending on a claim names the claim"
    );
    assert_eq!(
        cause_of(&findings, "pvc-storage-class-missing", "data-db-0"),
        Some(("StorageClass fast-ssd".into(), LinkKind::UsesStorageClass))
    );
}

#[test]
fn a_pending_claim_is_not_blamed_unless_the_scheduler_blames_it() {
    let (findings, problems) = linked("links/storage-traps.yaml");
    assert_eq!(
        outline(&findings, &problems),
        ["pvc-provisioning-failed cache-data", "pod-unschedulable cache-0", "pod-unschedulable logs-0"]
    );
    assert!(all_links("links/storage-traps.yaml").is_empty(), "{:?}", all_links("links/storage-traps.yaml"));
}

#[test]
fn missing_secrets_config_maps_and_pull_secrets_are_named_as_causes() {
    let (findings, problems) = linked("links/config.yaml");
    assert_eq!(
        outline(&findings, &problems),
        [
            "pod-container-config-error api-7c9d5f6b8-aaaaa | deployment-unavailable api | \
             pod-container-config-error api-7c9d5f6b8-bbbbb",
            "pod-image-pull-failed puller",
            "pod-container-config-error web-0 | reference-configmap-key-missing web-0",
        ]
    );
    assert_eq!(
        causes(&problems),
        [Some("Secret shop/api-db".into()), Some("Secret shop/regcred".into()), Some("ConfigMap shop/web-cfg".into())]
    );
    let secret = problems[0].links.iter().find(|l| l.kind == LinkKind::SecretRef).expect("secret link");
    assert!(
        secret.evidence.contains("env DB_PASSWORD of container api references Secret api-db"),
        "{}",
        secret.evidence
    );
    let key = problems[2].links.iter().find(|l| l.kind == LinkKind::ConfigMapRef).expect("config map link");
    assert!(key.evidence.contains("key url of ConfigMap web-cfg"), "{}", key.evidence);
}

#[test]
fn optional_unreferenced_or_present_configuration_is_not_blamed() {
    let (findings, problems) = linked("links/config-traps.yaml");
    assert_eq!(outline(&findings, &problems), ["pod-container-config-error other-cm", "pod-image-pull-failed private"]);
    assert_eq!(causes(&problems), [None, None]);
    assert!(all_links("links/config-traps.yaml").is_empty(), "{:?}", all_links("links/config-traps.yaml"));
}

#[test]
fn services_ingresses_webhooks_and_autoscalers_follow_what_they_serve() {
    let (findings, problems) = linked("links/serving.yaml");
    assert_eq!(
        outline(&findings, &problems),
        [
            "pod-image-pull-failed policy-1 | webhook-no-ready-endpoints policy | service-no-ready-endpoints policy",
            "pod-crash-loop api-1 | service-no-ready-endpoints api",
            "pod-crash-loop web-2",
            "deployment-unavailable backend | hpa-scaling-inactive backend",
            "hpa-target-missing web",
        ]
    );
    assert_eq!(
        blast(&problems[0]),
        ["ValidatingWebhookConfiguration policy calls policy, which is down", "Service shop/policy no ready endpoints"]
    );
    assert_eq!(blast(&problems[1]), ["Service shop/api no ready endpoints", "Ingress shop/shop backend api down"]);
    assert_eq!(
        blast(&problems[2]),
        ["Service shop/web some endpoints not ready", "Ingress shop/shop backend web degraded"],
        "web-1 still serves"
    );
    assert_eq!(causes(&problems)[4], Some("Deployment shop/frontend".into()));
    assert_eq!(
        cause_of(&findings, "hpa-scaling-inactive", "backend"),
        Some(("Deployment shop/backend".into(), LinkKind::ScalesTarget))
    );
}

#[test]
fn a_service_selecting_nothing_is_its_own_problem() {
    let (findings, problems) = linked("links/serving-traps.yaml");
    assert_eq!(outline(&findings, &problems), ["pod-crash-loop worker-1", "service-no-pods orders"]);
    assert!(all_links("links/serving-traps.yaml").is_empty(), "{:?}", all_links("links/serving-traps.yaml"));
    assert!(problems.iter().all(|p| p.blast_radius.is_empty()));
}

#[test]
fn refusals_name_the_quota_service_account_or_webhook() {
    let (findings, problems) = linked("links/admission.yaml");
    assert_eq!(
        outline(&findings, &problems),
        [
            "webhook-service-missing gate | deployment-unavailable web | replicaset-create-failed web-9f8e7d6c5",
            "statefulset-pods-not-ready queue | deployment-unavailable search | replicaset-create-failed search-6b7c8d9e0",
            "replicaset-create-failed builder-5a4b3c2d1 | deployment-unavailable builder",
        ]
    );
    assert_eq!(
        causes(&problems),
        [
            Some("Service shop/gate".into()),
            Some("ResourceQuota shop/shop-quota".into()),
            Some("ServiceAccount shop/builder".into()),
        ]
    );
    assert_eq!(
        cause_of(&findings, "replicaset-create-failed", "web-9f8e7d6c5"),
        Some(("ValidatingWebhookConfiguration gate".into(), LinkKind::WebhookRefused))
    );
    assert_eq!(blast(&problems[1]), ["Deployment shop/search 0/2 available"], "the root's own object is not listed");
    assert_eq!(
        cause_of(&findings, "statefulset-pods-not-ready", "queue"),
        Some(("ResourceQuota shop/shop-quota".into(), LinkKind::QuotaExceeded)),
        "one quota refusing two controllers is one problem"
    );
}

#[test]
fn a_refusal_by_an_admission_policy_starts_at_the_policy() {
    let (findings, problems) = linked("links/admission-policy.yaml");
    assert_eq!(
        outline(&findings, &problems),
        [
            "replicaset-create-failed web-9f8e7d6c5 | deployment-unavailable web",
            "replicaset-create-failed api-1a2b3c4d5"
        ]
    );
    assert_eq!(causes(&problems), [Some("ValidatingAdmissionPolicy require-team".into()), None]);
    assert_eq!(
        cause_of(&findings, "replicaset-create-failed", "web-9f8e7d6c5"),
        Some(("ValidatingAdmissionPolicy require-team".into(), LinkKind::AdmissionPolicyRefused))
    );
}

#[test]
fn unnamed_refusals_and_old_events_are_not_linked() {
    let (findings, problems) = linked("links/admission-traps.yaml");
    assert_eq!(
        outline(&findings, &problems),
        [
            "replicaset-create-failed limits-1a2b3c4d5 | deployment-unavailable limits",
            "replicaset-create-failed ext-7a6b5c4d3"
        ]
    );
    assert_eq!(causes(&problems), [None, None]);
    assert_eq!(link_kinds(&problems), [LinkKind::ControlledBy]);
    let drawn: Vec<(LinkKind, String)> =
        all_links("links/admission-traps.yaml").iter().map(|l| (l.kind, l.effect.label())).collect();
    assert_eq!(
        drawn,
        [(LinkKind::ControlledBy, "Deployment shop/limits".to_string())],
        "no admission link at all: not for the LimitRange, an undeclared webhook, or old events of complete controllers"
    );
}

/// The demo cluster: 35 findings, 22 distinct problems, ranked by blast radius then severity.
#[test]
fn demo_cluster_problems() {
    let (findings, problems) = linked("../../../examples/demo-cluster.yaml");
    assert_eq!((findings.len(), problems.len()), (35, 22));
    // The failing Certificate is the root of the storefront pod's mount failure, and takes its Deployment down.
    let certificate = problems
        .iter()
        .find(|p| p.findings(&findings)[0].object.name == "storefront-tls")
        .expect("certificate problem");
    let members: Vec<&str> = certificate.findings(&findings).iter().map(|f| f.code.as_str()).collect();
    assert_eq!(members, ["custom-resource-not-ready", "pod-volume-mount-failed"]);
    assert_eq!(blast(certificate), ["Deployment shop/storefront 0/1 available"]);
    assert_eq!(
        blast(&problems[0]),
        [
            "Deployment shop/api 0/2 available",
            "Service shop/api no ready endpoints",
            "Ingress shop/shop backend api down"
        ]
    );
    let sizes: Vec<usize> = problems.iter().map(|p| p.blast_radius.len()).collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "ranked by blast radius: {sizes:?}");
    let mut ids: Vec<&String> = problems.iter().flat_map(|p| &p.members).collect();
    assert_eq!(ids.len(), findings.len(), "every finding is in exactly one problem");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), findings.len());
    insta::assert_json_snapshot!(problems);
}

#[test]
fn a_chain_across_families_is_one_problem_rooted_at_its_start() {
    let (findings, problems) = linked("links/chain.yaml");
    assert_eq!(
        outline(&findings, &problems),
        ["pod-image-pull-failed policy-5f4e3d2c1-aaaaa | webhook-no-ready-endpoints policy | deployment-unavailable \
          policy | replicaset-create-failed policy-5f4e3d2c1 | service-no-ready-endpoints policy"]
    );
    assert_eq!(
        cause_of(&findings, "replicaset-create-failed", "policy-5f4e3d2c1"),
        Some(("ValidatingWebhookConfiguration policy".into(), LinkKind::WebhookRefused))
    );
    let families: std::collections::BTreeSet<_> = problems[0].links.iter().map(|l| l.family).collect();
    assert_eq!(families.len(), 3, "serving, admission and owner links: {families:?}");
}

#[test]
fn a_failing_certificate_or_external_secret_is_the_cause_of_pods_missing_its_secret() {
    let (findings, problems) = linked("links/custom.yaml");
    assert_eq!(
        outline(&findings, &problems),
        [
            "custom-resource-not-ready web-tls | pod-volume-mount-failed web",
            "custom-resource-not-ready db | pod-container-config-error orders",
        ]
    );
    assert_eq!(causes(&problems), [None, None], "the roots are findings, not finding-less sources");
    let produces = problems[1].links.iter().find(|l| l.kind == LinkKind::ProducesSecret).expect("produces link");
    assert_eq!(produces.cause.label(), "ExternalSecret shop/db");
    assert_eq!(produces.effect.label(), "Secret shop/db-credentials");
    assert!(produces.evidence.contains("(spec.target.name), which does not exist"), "{}", produces.evidence);
    assert!(link_kinds(&problems).contains(&LinkKind::SecretRef));
}

#[test]
fn a_producer_whose_secret_exists_or_that_is_healthy_is_not_blamed() {
    let (findings, problems) = linked("links/custom-traps.yaml");
    assert_eq!(
        outline(&findings, &problems),
        ["custom-resource-not-ready web-tls", "pod-container-config-error orders"]
    );
    let produced: Vec<_> =
        all_links("links/custom-traps.yaml").into_iter().filter(|l| l.kind == LinkKind::ProducesSecret).collect();
    assert!(produced.is_empty(), "{produced:?}");
}

/// Without Secrets (a reader that may not list them), the kubelet's `secret "NAME" not found` proves the absence.
#[test]
fn without_secrets_the_kubelets_message_proves_the_produced_secret_missing() {
    let text = std::fs::read_to_string(crate::common::fixture_path("links/custom.yaml")).unwrap();
    let snapshot_without_secrets = {
        let mut value: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        let items = value["items"].as_array_mut().unwrap();
        items.retain(|i| i["kind"] != "Secret");
        items.insert(
            0,
            serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
                "name": "mekhanikube-snapshot-info",
                "annotations": {"mekhanikube.io/read-kinds": "Pod,Event", "mekhanikube.io/read-at": "2026-11-30T12:00:00Z"}}}),
        );
        let mut b = mekhanikube_analyzers::SnapshotBuilder::new();
        b.add_document("no-secrets", value).unwrap();
        b.build()
    };
    assert!(!snapshot_without_secrets.has_read(mekhanikube_analyzers::Kind::Secret));
    let mut findings =
        mekhanikube_analyzers::run(&mekhanikube_analyzers::select(&[]).unwrap(), &snapshot_without_secrets);
    let problems = mekhanikube_analyzers::problems(&snapshot_without_secrets, &mut findings);
    // Both pods' messages name their Secret: both chains still reach the producers.
    assert_eq!(
        outline(&findings, &problems),
        [
            "custom-resource-not-ready web-tls | pod-volume-mount-failed web",
            "custom-resource-not-ready db | pod-container-config-error orders",
        ]
    );
}

#[test]
fn a_refusing_quota_with_a_finding_is_the_root_of_what_it_refuses() {
    let (findings, problems) = linked("links/admission-quota.yaml");
    assert_eq!(
        outline(&findings, &problems),
        ["resourcequota-refused-pods compute | deployment-unavailable search | statefulset-pods-not-ready queue | \
          replicaset-create-failed search-6b7c8d9e0"]
    );
    assert_eq!(
        cause_of(&findings, "replicaset-create-failed", "search-6b7c8d9e0"),
        Some(("ResourceQuota shop/compute".into(), LinkKind::QuotaExceeded))
    );
    assert_eq!(
        cause_of(&findings, "statefulset-pods-not-ready", "queue"),
        Some(("ResourceQuota shop/compute".into(), LinkKind::QuotaExceeded))
    );
}

#[test]
fn a_used_up_quota_is_not_blamed_for_another_quotas_refusal() {
    let (findings, problems) = linked("links/admission-quota-traps.yaml");
    assert_eq!(
        outline(&findings, &problems),
        ["replicaset-create-failed web-9f8e7d6c5", "resourcequota-exhausted compute"]
    );
    assert_eq!(causes(&problems), [Some("ResourceQuota shop/compute-gpu".into()), None]);
}

#[test]
fn a_template_referencing_a_missing_object_and_its_failing_pods_are_one_problem_rooted_at_the_template() {
    let (findings, problems) = linked("links/config-template.yaml");
    assert_eq!(
        outline(&findings, &problems),
        [
            "reference-serviceaccount-missing builder | deployment-unavailable builder | \
             replicaset-create-failed builder-5a4b3c2d1",
            "reference-configmap-missing web | deployment-unavailable web | \
             pod-container-config-error web-5d6e7f8a9-aaaaa",
        ]
    );
    assert_eq!(
        causes(&problems),
        [Some("ServiceAccount shop/builder".into()), Some("ConfigMap shop/web-extra".into())]
    );
    assert_eq!(
        cause_of(&findings, "reference-configmap-missing", "web"),
        Some(("ConfigMap shop/web-extra".into(), LinkKind::ConfigMapRef))
    );
}

#[test]
fn a_limit_ranger_refusal_is_the_range_that_the_template_breaks() {
    let (findings, problems) = linked("links/admission-limits.yaml");
    assert_eq!(
        outline(&findings, &problems),
        ["limitrange-refused-pods container-limits | deployment-unavailable search | \
          replicaset-create-failed search-6b7c8d9e0"]
    );
    let (cause, kind) = cause_of(&findings, "replicaset-create-failed", "search-6b7c8d9e0").expect("a cause");
    assert_eq!((cause.as_str(), kind), ("LimitRange shop/container-limits", LinkKind::LimitRangeRefused));
    let link = problems[0].links.iter().find(|l| l.kind == LinkKind::LimitRangeRefused).expect("the link");
    assert!(
        link.evidence.contains("its template breaks LimitRange container-limits: container search's memory limit 2Gi"),
        "{}",
        link.evidence
    );
}

#[test]
fn a_limit_ranger_refusal_is_not_pinned_on_a_range_the_template_keeps() {
    let (findings, problems) = linked("links/admission-limits-traps.yaml");
    assert_eq!(outline(&findings, &problems), ["replicaset-create-failed search-6b7c8d9e0"]);
    assert_eq!(causes(&problems), [None]);
    assert!(all_links("links/admission-limits-traps.yaml").is_empty());
}
