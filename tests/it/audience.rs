//! `--audience developer`: for a cluster of several namespaces, no byte of any developer-audience output
//! (analyze in every format, constraints, report) or prompt names an object of another namespace, another
//! namespace, or a cluster-scoped policy (a webhook configuration, its webhooks, what they call). The hidden names
//! are collected from the snapshot file itself, so a new object in the fixture is covered without a list here.

use std::path::Path;

use serde_json::Value;

use crate::common::{Output, files_under, mekhanikube, repo_path, run};

/// Every name a developer of `namespace` must not see, read from the whole file: objects of other namespaces,
/// the other namespaces, webhook configurations with their webhooks and the Services and URLs they call.
fn forbidden(file: &Path, namespace: &str) -> Vec<String> {
    let list: Value = serde_saphyr::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let items = list["items"].as_array().unwrap();
    let mut own = std::collections::BTreeSet::from([namespace.to_string()]);
    let mut out = Vec::new();
    for item in items {
        let meta = &item["metadata"];
        let name = meta["name"].as_str().unwrap_or_default().to_string();
        match meta["namespace"].as_str() {
            Some(ns) if ns == namespace => {
                own.insert(name);
            }
            Some(ns) => out.extend([ns.to_string(), name]),
            None if item["kind"] == "Namespace" => out.push(name),
            // Admission policies, their bindings and policy engines' cluster-wide objects.
            None if ["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "ClusterPolicyReport"]
                .contains(&item["kind"].as_str().unwrap_or_default())
                || item["apiVersion"].as_str().unwrap_or_default().starts_with("constraints.gatekeeper.sh/") =>
            {
                out.push(name);
                out.extend(item["spec"]["policyName"].as_str().map(String::from));
            }
            None if item["kind"].as_str().unwrap_or_default().ends_with("WebhookConfiguration") => {
                out.push(name);
                for hook in item["webhooks"].as_array().into_iter().flatten() {
                    out.extend(hook["name"].as_str().map(String::from));
                    let client = &hook["clientConfig"];
                    out.extend(client["url"].as_str().map(String::from));
                    out.extend(client["service"]["name"].as_str().map(String::from));
                    out.extend(client["service"]["namespace"].as_str().map(String::from));
                }
            }
            None => {}
        }
    }
    out.retain(|n| !n.is_empty() && !own.contains(n));
    out.sort();
    out.dedup();
    out
}

/// Whether `name` occurs in `text` as a whole name (not inside a longer one: `web` in `webhook`), by the same rule
/// the redaction uses.
fn names(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| {
        let before: Vec<char> = text[..at].chars().rev().take(2).collect();
        let after: Vec<char> = text[at + name.len()..].chars().take(2).collect();
        let joined = |pair: &[char]| match pair {
            [c, ..] if c.is_ascii_alphanumeric() || *c == '-' || *c == '_' => true,
            ['.', c, ..] => c.is_ascii_alphanumeric(),
            _ => false,
        };
        !joined(&before) && !joined(&after)
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn no_developer_output_or_prompt_names_another_namespace_or_a_cluster_policy() {
    let demo = repo_path("examples/demo-cluster.yaml");
    let hidden = forbidden(&demo, "checkout");
    for name in ["shop", "web", "shop-policy", "validate.policy.shop.example.com", "org-image-policy"] {
        assert!(hidden.contains(&name.to_string()), "{name} is collected: {hidden:?}");
    }
    let answer = r#"{"cause": "c", "impact": "i", "steps": []}"#;
    let model = crate::common::mock_ollama(answer, None).await;
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    let (uri, snapshot) = (model.uri(), demo.display().to_string());
    let snapshot_for_operator = snapshot.clone();
    let base = ["--snapshot", snapshot.as_str(), "-n", "checkout", "--audience", "developer", "--color", "never"];
    let explain = ["--explain", "--model", "m", "--ollama-url", uri.as_str(), "--no-cache"];
    let model_flags = ["--model", "m", "--ollama-url", uri.as_str(), "--no-cache"];
    let mut runs: Vec<Vec<String>> = Vec::new();
    for format in ["text", "json", "yaml", "sarif", "junit", "markdown"] {
        runs.push([&["analyze"][..], &base, &["-o", format]].concat().iter().map(|s| s.to_string()).collect());
    }
    runs.push([&["analyze"][..], &base, &["-o", "json"], &explain].concat().iter().map(|s| s.to_string()).collect());
    runs.push([&["analyze"][..], &base, &explain].concat().iter().map(|s| s.to_string()).collect());
    for format in ["text", "json", "yaml"] {
        runs.push([&["constraints"][..], &base, &["-o", format]].concat().iter().map(|s| s.to_string()).collect());
    }
    for reference in ["admission/1", "netpol/cart-egress"] {
        let explain = [&["--explain", reference][..], &model_flags].concat();
        runs.push(
            [&["constraints"][..], &base, &["-o", "json"], &explain].concat().iter().map(|s| s.to_string()).collect(),
        );
    }
    let out_dir = reports.display().to_string();
    runs.push(
        [&["report"][..], &base, &["--out", out_dir.as_str()], &explain]
            .concat()
            .iter()
            .map(|s| s.to_string())
            .collect(),
    );
    let history = dir.path().join("history.sqlite");
    let outputs: Vec<Output> = tokio::task::spawn_blocking(move || {
        runs.iter().map(|args| run(mekhanikube().args(args).env("MEKHANIKUBE_HISTORY", &history))).collect()
    })
    .await
    .unwrap();
    for out in &outputs {
        assert!(matches!(out.code, 0 | 1), "{}", out.stderr);
    }
    // The same view for operators names what developers do not see: the check below can fail.
    let operator = run(mekhanikube().args(["constraints", "--snapshot", &snapshot_for_operator, "-n", "checkout"]));
    for name in ["shop", "org-image-policy"] {
        assert!(names(&operator.stdout, name), "{name} in the operator view: {}", operator.stdout);
    }
    // What is hidden is still said: the webhook and the policy towards another namespace are there, anonymous.
    let constraints_text = &outputs[8].stdout;
    assert!(constraints_text.contains("ValidatingWebhookConfiguration (cluster policy)"), "{constraints_text}");
    assert!(
        constraints_text
            .contains("egress: only to pods (selector hidden) in namespace (another namespace) on TCP 5432"),
        "{constraints_text}"
    );
    let prompts = crate::common::chat_prompts(&model).await;
    assert!(prompts.len() >= 10, "the model was asked for problems and constraints: {}", prompts.len());
    assert!(prompts.iter().any(|p| p.contains("A developer asks about a constraint")), "a constraint prompt was sent");

    let mut places: Vec<(String, String)> = Vec::new();
    files_under(&reports, &mut places);
    assert!(places.iter().any(|(p, _)| p.ends_with("latest.html")), "reports were written");
    places.extend(prompts.into_iter().enumerate().map(|(i, p)| (format!("prompt {i}"), p)));
    for (i, out) in outputs.iter().enumerate() {
        places.push((format!("stdout of run {i}"), out.stdout.clone()));
        places.push((format!("stderr of run {i}"), out.stderr.clone()));
    }
    for (place, text) in &places {
        for name in &hidden {
            assert!(!names(text, name), "{name} reached {place}:\n{text}");
        }
    }
}

/// A cluster-wide Gatekeeper constraint that flags a `shop` Deployment, and an admission policy binding, are
/// named to operators and hidden from `shop`'s developers, who still see what the violation is.
#[test]
fn cluster_wide_policy_engines_objects_are_not_named_to_developers() {
    let demo = repo_path("examples/demo-cluster.yaml");
    let hidden = forbidden(&demo, "shop");
    for name in ["deployments-must-have-owner", "require-owner-label"] {
        assert!(hidden.contains(&name.to_string()), "{name} is collected: {hidden:?}");
    }
    let snapshot = demo.display().to_string();
    let base = ["analyze", "--snapshot", snapshot.as_str(), "-n", "shop", "-o", "json"];
    let operator = run(mekhanikube().args(base));
    assert!(names(&operator.stdout, "deployments-must-have-owner"), "the operator sees it: {}", operator.stdout);
    let developer = run(mekhanikube().args(base).args(["--audience", "developer"]));
    assert!(matches!(developer.code, 0 | 1), "{}", developer.stderr);
    assert!(developer.stdout.contains("violates Gatekeeper constraint K8sRequiredLabels"), "{}", developer.stdout);
    for name in &hidden {
        assert!(!names(&developer.stdout, name), "{name} reached the developer view:\n{}", developer.stdout);
    }
}
