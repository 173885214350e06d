//! Anonymization: nothing real reaches the model, and the answer gets the real names back.

use super::*;

#[tokio::test]
async fn anonymized_prompt_contains_no_original_name_and_answer_gets_them_back() {
    let snapshot = fixture_snapshot();
    let findings = fixture_findings(&snapshot);
    let problems = group_findings(&findings);
    let crash = problems.iter().position(|p| p.code == "pod-crash-loop").unwrap();
    let problems = vec![problems[crash].clone()];

    // The answer mentions the tokens the prompt used; they must come back as real names.
    let prepared = prepare(&problems[0], &snapshot, true);
    let pod_token = prepared.anonymizer.token_for("checkout-api-5d8f7c9b4-qx7zt").unwrap().to_string();
    let ns_token = prepared.anonymizer.token_for("payments-prod").unwrap().to_string();
    let answer = format!(
        "Cause: {pod_token} in {ns_token} cannot reach its database.\nFix: kubectl -n {ns_token} logs {pod_token}"
    );
    let server = ollama_mock(&answer).await;
    let mut opts = options(None);
    opts.anonymize = true;
    let mut sink = Recorder::default();
    let report = explain(&client(&server.uri()), &snapshot, &problems, &opts, std::future::pending(), &mut sink).await;
    assert_eq!(report.model_requests, 1);

    let requests = server.received_requests().await.unwrap();
    let sent: Vec<String> = requests.iter().map(|r| String::from_utf8_lossy(&r.body).into_owned()).collect();
    let all = sent.join("\n");
    assert!(all.contains("CrashLoopBackOff") && all.contains(&pod_token), "{all}");
    for name in [
        "checkout-api",
        "5d8f7c9b4",
        "qx7zt",
        "payments-prod",
        "payment-worker",
        "registry.acme-corp.example",
        "acme",
        "payments/checkout",
        "stripe-credentials",
        "checkout-settings",
        "checkout-tls",
        "checkout-runner",
        "revenue-ops",
        "ip-10-1-2-3",
        "orders-db",
        "Sup3rSecret",
    ] {
        // /api/show carries only the model name; every other byte sent is checked.
        assert!(!all.contains(name), "'{name}' leaked into a request:\n{all}");
    }
    let expected = "Cause: checkout-api-5d8f7c9b4-qx7zt in payments-prod cannot reach its database.\n\
                    Fix: kubectl -n payments-prod logs checkout-api-5d8f7c9b4-qx7zt";
    assert_eq!(report.outcomes[0].text, expected);
    assert_eq!(sink.text[0], expected, "tokens split across chunks are restored in the stream too");
}

#[test]
fn stream_filter_restores_tokens_split_across_chunks() {
    let mut b = Anonymizer::builder();
    b.add("pod", "real-pod-name").add("pod", "another");
    let a = b.build();
    let mut f = super::explain::StreamFilter::new(&a);
    let mut out = String::new();
    for piece in ["see po", "d-", "1 and pod-", "2.", " \u{1b}[", "1mok\u{1b}", "[0m pod-1"] {
        out.push_str(&f.push(piece));
    }
    out.push_str(&f.finish());
    assert_eq!(out, "see real-pod-name and another. ok real-pod-name");
}

/// Every analyzer and link fixture: each problem renders, and with anonymization no name of its findings' objects
/// (their namespaces and owners, its consequences, links and blast radius) is left in the data block.
#[test]
fn every_fixture_problem_renders_and_anonymizes() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("analyzers/tests/fixtures");
    let Ok(dirs) = std::fs::read_dir(&root) else { return };
    let set = PromptSet::builtin();
    let mut rendered = 0;
    for dir in dirs.flatten() {
        for file in std::fs::read_dir(dir.path()).unwrap().flatten() {
            let path = file.path();
            if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
                continue;
            }
            let mut b = SnapshotBuilder::new();
            if b.add_text(&path.display().to_string(), &std::fs::read_to_string(&path).unwrap()).is_err() {
                continue;
            }
            let snapshot = b.build();
            let mut findings = fixture_findings(&snapshot);
            let core = mekhanikube_analyzers::problems(&snapshot, &mut findings);
            for problem in Problem::from_core(&core, &findings) {
                let prepared = prepare(&problem, &snapshot, true);
                let prompt = set.render(&prepared, "English", false).unwrap();
                if let Ok(dump) = std::env::var("MEKHANIKUBE_DUMP_PROMPTS") {
                    let name = format!("{}-{rendered}-{}.txt", dir.file_name().to_string_lossy(), problem.code);
                    std::fs::write(std::path::Path::new(&dump).join(name), &prompt.user).unwrap();
                }
                let data = prepared.context.data_yaml.clone();
                assert!(prompt.user.contains(&data));
                let rep = problem.representative();
                let mut names = vec![rep.object.name.clone()];
                names.extend(rep.object.namespace.clone());
                names.extend(rep.parent.iter().map(|p| p.name.clone()));
                // Linked problems carry their consequences, chain and blast radius: those names too.
                names.extend(problem.consequences.iter().map(|f| f.object.name.clone()));
                names.extend(problem.core.links.iter().flat_map(|l| [l.cause.name.clone(), l.effect.name.clone()]));
                names.extend(problem.core.blast_radius.iter().map(|i| i.object.name.clone()));
                for name in names.iter().filter(|n| n.len() > 2 && !["default", "kube-system"].contains(&n.as_str())) {
                    let leaked = data.match_indices(name.as_str()).any(|(i, _)| {
                        let before = data[..i].chars().next_back();
                        let after = data[i + name.len()..].chars().next();
                        before.is_none_or(|c| !c.is_alphanumeric()) && after.is_none_or(|c| !c.is_alphanumeric())
                    });
                    assert!(!leaked, "{}: '{name}' left in the prompt for {}:\n{data}", path.display(), problem.code);
                }
                rendered += 1;
            }
        }
    }
    assert!(rendered > 20, "rendered {rendered} problems");
}
