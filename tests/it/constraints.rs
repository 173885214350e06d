//! `mekhanikube constraints -n` on saved snapshots: the demo's checkout namespace in every format, the published
//! schema, the errors, and `--explain` through a mock model.

use serde_json::Value;

use crate::common::{json, mekhanikube, repo_path, run};

fn demo() -> String {
    repo_path("examples/demo-cluster.yaml").display().to_string()
}

fn constraints(extra: &[&str]) -> crate::common::Output {
    run(mekhanikube().args(["constraints", "--snapshot", &demo(), "--color", "never"]).args(extra))
}

fn assert_one_line_error(out: &crate::common::Output, needle: &str) {
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {}", out.stderr);
    assert!(lines[0].contains(needle), "expected '{needle}' in: {}", lines[0]);
    assert!(out.stdout.is_empty(), "stdout must stay clean: {}", out.stdout);
}

#[test]
fn text_view_of_the_demo_checkout_namespace() {
    let out = constraints(&["-n", "checkout"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = &out.stdout;
    assert!(text.starts_with("mekhanikube constraints on namespace checkout (snapshot "), "{text}");
    assert!(text.contains("5 constraints: 4 blocking, 0 warning — 3 workloads touched by a blocking one"), "{text}");
    for line in [
        "  BLOCKING quota/checkout-quota  ResourceQuota checkout-quota",
        "    pods            [████████████████████] 2/2 100%  used up: the next one is refused",
        "    requests.memory [███░░░░░░░░░░░░░░░░░] 512Mi/4Gi 12%",
        "    each container: memory limit at most 512Mi; when unset, memory limit 256Mi and request 256Mi",
        "    allows no eviction right now: a node drain waits (2 healthy, 3 needed)",
        "    egress: only to pods app=db in namespace shop on TCP 5432; DNS not allowed (name lookups time out)",
        "  ok admission/1  ValidatingWebhookConfiguration org-image-policy",
        "    touches: Deployment cart, Deployment ledger, CronJob invoices",
    ] {
        assert!(text.lines().any(|l| l == line), "missing line {line:?} in:\n{text}");
    }
    // The refusal of the same run is linked under the quota that caused it.
    let quota = text.split("Limit ranges").next().unwrap();
    assert!(quota.contains("HIGH replicaset-create-failed on ReplicaSet cart-7b8c9d0e1"), "{quota}");
    // The shop webhook selects shop only: not a constraint of checkout.
    assert!(!text.contains("shop-policy"), "{text}");
}

#[test]
fn json_and_yaml_carry_the_same_document_as_the_published_schema_says() {
    let out = constraints(&["-n", "checkout", "-o", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = json(&out.stdout);
    assert_eq!(doc["kind"], "Constraints");
    assert_eq!(doc["namespace"], "checkout");
    assert_eq!(doc["audience"], "operator");
    assert_eq!(doc["summary"], serde_json::json!({"total": 5, "blocking": 4, "warning": 0, "workloadsBlocked": 3}));
    let refs: Vec<&str> = doc["constraints"].as_array().unwrap().iter().map(|c| c["ref"].as_str().unwrap()).collect();
    assert_eq!(
        refs,
        ["quota/checkout-quota", "limitrange/checkout-limits", "pdb/cart", "netpol/cart-egress", "admission/1"]
    );
    let quota = &doc["constraints"][0];
    assert_eq!(
        quota["detail"]["resources"][0],
        serde_json::json!({"resource": "pods", "used": "2", "hard": "2", "percent": 100})
    );
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(repo_path("docs/constraints.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");

    let yaml = constraints(&["-n", "checkout", "-o", "yaml"]);
    assert_eq!(yaml.code, 0, "{}", yaml.stderr);
    let mut from_yaml: Value = serde_saphyr::from_str(&yaml.stdout).unwrap();
    let mut from_json = doc.clone();
    // Made a moment apart.
    from_yaml["generatedAt"] = Value::Null;
    from_json["generatedAt"] = Value::Null;
    assert_eq!(from_yaml, from_json);
}

#[test]
fn a_namespace_is_required_and_must_exist() {
    assert_one_line_error(&constraints(&[]), "constraints shows one namespace: pass -n NAMESPACE");
    assert_one_line_error(&constraints(&["-n", "nowhere"]), "nowhere");
    assert_one_line_error(&constraints(&["-n", "checkout", "--explain", "quota"]), "--explain takes a reference");
    assert_one_line_error(
        &constraints(&["-n", "checkout", "--explain", "quota/other"]),
        "no constraint quota/other applies in namespace checkout (there are: quota/checkout-quota,",
    );
}

#[test]
fn the_developer_audience_needs_one_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("reports");
    let demo = demo();
    let runs = [
        vec!["analyze", "--snapshot", &demo, "--audience", "developer"],
        vec!["report", "--snapshot", &demo, "--audience", "developer", "--out", out_dir.to_str().unwrap()],
    ];
    for args in runs {
        let out = run(mekhanikube().args(&args));
        assert_one_line_error(&out, "--audience developer shows one namespace to its developers: pass -n NAMESPACE");
    }
    assert!(!out_dir.exists(), "nothing written");
}

#[tokio::test(flavor = "multi_thread")]
async fn explain_one_constraint_through_the_model() {
    let answer = r#"{"cause": "The quota allows 2 pods and 2 run.", "impact": "cart cannot scale.", "steps": [{"text": "Ask for a larger quota.", "command": "", "changes_cluster": false}]}"#;
    let model = crate::common::mock_ollama(answer, None).await;
    let uri = model.uri();
    let out = tokio::task::spawn_blocking(move || {
        constraints(&[
            "-n",
            "checkout",
            "-o",
            "json",
            "--explain",
            "netpol/cart-egress",
            "--model",
            "m",
            "--ollama-url",
            &uri,
            "--no-cache",
        ])
    })
    .await
    .unwrap();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = json(&out.stdout);
    assert_eq!(doc["explanation"]["status"], "explained", "{doc}");
    assert_eq!(doc["explanation"]["code"], "constraint-netpol");
    let prompts = crate::common::chat_prompts(&model).await;
    assert_eq!(prompts.len(), 1);
    // The constraint's template, for a developer, with the plain words and the finding that shows it blocking.
    assert!(prompts[0].contains("A developer asks about a constraint"), "{}", prompts[0]);
    assert!(prompts[0].contains("DNS not allowed"), "{}", prompts[0]);
    assert!(prompts[0].contains("networkpolicy-egress-blocks-dns"), "{}", prompts[0]);
}

#[test]
fn the_audience_can_come_from_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, "audience: developer\n").unwrap();
    let out = run(mekhanikube()
        .args(["constraints", "--snapshot", &demo(), "-n", "checkout", "-o", "json"])
        .env("MEKHANIKUBE_CONFIG", &config));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = json(&out.stdout);
    assert_eq!(doc["audience"], "developer");
    assert_eq!(doc["constraints"][4]["object"]["name"], "(cluster policy)");
    std::fs::write(&config, "audience: everyone\n").unwrap();
    let out = run(mekhanikube()
        .args(["constraints", "--snapshot", &demo(), "-n", "checkout"])
        .env("MEKHANIKUBE_CONFIG", &config));
    assert_one_line_error(&out, "audience: invalid value 'everyone' (possible values: operator, developer)");
}

#[tokio::test(flavor = "multi_thread")]
async fn explain_in_text_follows_the_list() {
    let answer =
        r#"{"cause": "The policy lets cart reach only the database.", "impact": "Name lookups fail.", "steps": []}"#;
    let model = crate::common::mock_ollama(answer, None).await;
    let uri = model.uri();
    let out = tokio::task::spawn_blocking(move || {
        constraints(&[
            "-n",
            "checkout",
            "--explain",
            "netpol/cart-egress",
            "--model",
            "m",
            "--ollama-url",
            &uri,
            "--no-cache",
        ])
    })
    .await
    .unwrap();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (list, explanation) = out.stdout.split_once("Explanations: 1 constraint with m (local)").expect(&out.stdout);
    assert!(list.contains("netpol/cart-egress"), "{list}");
    assert!(explanation.contains("The policy lets cart reach only the database."), "{explanation}");
}
