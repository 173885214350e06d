//! Name checks: what the answer names is looked up in the snapshot and the prompt; ordinary English is never
//! taken for a name.

use super::fixture_snapshot;
use crate::document::UnknownName;
use crate::llm::grounding::{ClusterNames, Grounding, MANGLED_TOKEN, NOT_IN_CLUSTER};

/// What the model was told: the crash-looping checkout pod, with a ConfigMap that the snapshot does not hold.
const PROMPT: &str = "object: Pod payments-prod/checkout-api-5d8f7c9b4-qx7zt\nenvFrom: [configMapRef: checkout-settings]\n\
                      env: [STRIPE_KEY from secret stripe-credentials]\nimage: registry.acme-corp.example/payments/checkout:2.4.1";

fn unknown(text: &str, tokens: bool) -> Vec<UnknownName> {
    let names = ClusterNames::of(&fixture_snapshot());
    let grounding = Grounding::new(&names, PROMPT, tokens);
    let mut out = Vec::new();
    grounding.check_text(text, "cause", &mut out);
    out
}

fn flagged(text: &str) -> Vec<String> {
    unknown(text, false).into_iter().map(|u| u.name).collect()
}

#[test]
fn names_of_the_cluster_and_of_the_prompt_are_known() {
    for text in [
        "`kubectl describe pod checkout-api-5d8f7c9b4-qx7zt -n payments-prod`",
        "`kubectl logs deploy/checkout-api -c payment-worker --previous`",
        "`kubectl rollout restart deployment/checkout-api -n payments-prod`",
        "The Deployment checkout-api in namespace payments-prod has no ready replica.",
        "The ConfigMap `checkout-settings` it reads is missing.",
        "Node ip-10-1-2-3.acme.internal runs it; the Secret `stripe-credentials` is mounted.",
        "The image registry.acme-corp.example/payments/checkout:2.4.1 starts and exits.",
        "payments-prod/checkout-api is down; see `checkout-api.payments-prod.svc`.",
        "`kubectl get pods -n kube-system`",
        r#"{"cause": "Failed to pull image \"registry.acme-corp.example/payments/checkout:2.4.1\" (not found)"#,
    ] {
        assert_eq!(flagged(text), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn invented_names_are_marked() {
    let cases: &[(&str, &str, Option<&str>)] = &[
        (
            "Create the StorageClass ultra-fast-ssd from the QuantumStore CSI driver.",
            "ultra-fast-ssd",
            Some("StorageClass"),
        ),
        ("`kubectl get sc premium-rwo`", "premium-rwo", Some("StorageClass")),
        ("Scale deployment/checkout-v2 up.", "checkout-v2", Some("Deployment")),
        ("`kubectl get pods -n payments`", "payments", Some("Namespace")),
        ("The ConfigMap `app-config` is wrong.", "app-config", Some("ConfigMap")),
        ("`kubectl logs checkout-api-7f9c -n payments-prod`", "checkout-api-7f9c", Some("Pod")),
        (
            "Pull image `registry.acme-corp.example/payments/checkout:2.5.0` instead.",
            "registry.acme-corp.example/payments/checkout:2.5.0",
            Some("image"),
        ),
        ("Restart `orders-api` first.", "orders-api", None),
        ("`kubectl cordon node-7`", "node-7", Some("Node")),
    ];
    for (text, name, kind) in cases {
        let found = unknown(text, false);
        assert_eq!(found.len(), 1, "{text}: {found:?}");
        assert_eq!(found[0].name, *name, "{text}");
        assert_eq!(found[0].kind.as_deref(), *kind, "{text}");
        assert_eq!(found[0].reason, NOT_IN_CLUSTER);
        assert_eq!(found[0].location, "cause");
    }
}

#[test]
fn ordinary_english_and_placeholders_are_not_names() {
    for text in [
        "The node is under memory pressure and the pod restarts.",
        "The Pod restarts because its container exits with code 1.",
        "Check the pod's read-only file system and the built-in StorageClass.",
        "Use kubectl get pods to see the status, and/or check the events.",
        "Set `restartPolicy` to `Always`; `CrashLoopBackOff` means the container keeps failing.",
        "See `spec.containers[0].image` and `--previous`, or `exit code 1`.",
        "`kubectl logs <pod-name> -n <namespace>` and `kubectl describe pod $POD`",
        "Run `kubectl get pods -l app=checkout-api` and `kubectl explain pod.spec`.",
        "`kubectl create deployment fresh-app --image=nginx:1.27`",
        "`kubectl auth can-i list pods -n payments-prod` and `kubectl api-resources --namespaced=true`",
        "`kubectl set image deploy/checkout-api payment-worker=registry.acme-corp.example/payments/checkout:2.4.2`",
        "The image tag does not exist; the Secret value is not shown; namespace quotas apply.",
        "A well-known issue: e.g. a long-running job or an up-to-date node.",
        "Read https://kubernetes.io/docs/concepts/storage/storage-classes/ first.",
    ] {
        assert_eq!(flagged(text), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn mangled_anonymization_tokens_are_caught_when_anonymizing() {
    let found = unknown("pod-7 keeps crashing in ns-1; see `kubectl logs pod-12 -c container_3`.", true);
    let names: Vec<(&str, &str)> = found.iter().map(|u| (u.name.as_str(), u.reason.as_str())).collect();
    assert!(names.contains(&("pod-7", MANGLED_TOKEN)), "{found:?}");
    assert!(names.contains(&("ns-1", MANGLED_TOKEN)), "{found:?}");
    assert!(names.contains(&("container_3", MANGLED_TOKEN)), "{found:?}");
    assert!(names.iter().any(|(n, _)| *n == "pod-12"), "{found:?}");
    // Without anonymization these are words like any other, and names only where a name is expected.
    assert_eq!(flagged("pod-7 keeps crashing in ns-1."), Vec::<String>::new());
    // A real name shaped like a token is not a mangled token.
    let names = ClusterNames::of(&fixture_snapshot());
    let grounding = Grounding::new(&names, "node node-1 is ready", true);
    let mut out = Vec::new();
    grounding.check_text("node-1 is fine", "cause", &mut out);
    assert!(out.is_empty(), "{out:?}");
}
