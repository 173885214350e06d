//! `mekhanikube mcp` driven by a real MCP client: the official Python SDK (tests/testenv/install-pytools.sh),
//! running tests/it/mcp_client.py, which spawns the server on stdio, makes the calls of a plan and prints the
//! transcript. The model is a wiremock Ollama on 127.0.0.1; the cluster is the demo snapshot.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::common::{json as parse_json, mekhanikube, repo_path, run};

fn demo() -> String {
    repo_path("examples/demo-cluster.yaml").display().to_string()
}

fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0") || cfg!(feature = "live")
}

/// The client's python; None only off CI and outside `make test`, when it cannot be installed.
pub fn python() -> Option<PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let script = repo_path("tests/testenv/install-pytools.sh");
            let out = std::process::Command::new("bash").arg(script).output().unwrap();
            let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            if out.status.success() && path.exists() {
                return Some(path);
            }
            let why = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(!required(), "the MCP client is required by `make test`: {why}");
            None
        })
        .clone()
}

#[allow(clippy::print_stderr)]
fn skipped() {
    eprintln!("note: skipped: the Python MCP client could not be installed (`make test` and CI=true make this fail)");
}

/// Runs one client session against `mekhanikube mcp ARGS` (isolated like every test of the binary) and returns
/// its transcript: the initialize result, then one entry per call.
pub fn session(args: &[&str], env: &[(&str, &str)], calls: Value) -> Option<Vec<Value>> {
    let python = python()?;
    let home = tempfile::tempdir().unwrap();
    let mut server = vec![assert_cmd::cargo::cargo_bin("mekhanikube").display().to_string(), "mcp".to_string()];
    server.extend(args.iter().map(|a| a.to_string()));
    // The SDK passes a minimal environment plus these: no caller's kubeconfig, model or cache leaks in.
    let mut environment = json!({
        "HOME": home.path(),
        "XDG_CACHE_HOME": home.path().join("cache"),
        "XDG_STATE_HOME": home.path().join("state"),
    });
    for (k, v) in env {
        environment[*k] = json!(v);
    }
    let plan = json!({"server": server, "env": environment, "calls": calls});
    let file = home.path().join("plan.json");
    std::fs::write(&file, plan.to_string()).unwrap();
    let out = std::process::Command::new(python).arg(repo_path("tests/it/mcp_client.py")).arg(&file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the MCP session failed: {stderr}");
    Some(parse_json(&String::from_utf8_lossy(&out.stdout)).as_array().unwrap().clone())
}

/// The structured result of a successful tool call.
pub fn result(entry: &Value) -> &Value {
    let response = &entry["response"];
    assert_eq!(response["isError"], false, "{entry}");
    &response["structuredContent"]
}

/// The text of a tool error (`isError: true`).
pub fn tool_error(entry: &Value) -> String {
    assert_eq!(entry["response"]["isError"], true, "expected a tool error: {entry}");
    entry["response"]["content"][0]["text"].as_str().unwrap().to_string()
}

fn analyze_json(args: &[&str]) -> Value {
    let out = run(mekhanikube().args(["analyze", "--snapshot", &demo(), "-o", "json"]).args(args));
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    parse_json(&out.stdout)
}

/// What must agree between the tool and the CLI: everything but the time of the run.
fn comparable(doc: &Value) -> Value {
    json!({"findings": doc["findings"], "problems": doc["problems"], "summary": doc["summary"], "scope": doc["scope"],
           "source": doc["source"]})
}

#[test]
fn tools_are_listed_read_only_and_analyze_matches_the_cli() {
    let calls = json!([
        {"list_tools": true},
        {"tool": "analyze", "arguments": {}},
        {"tool": "analyze", "arguments": {"namespace": "shop", "min_severity": "high"}},
        {"tool": "analyze", "arguments": {"analyzers": ["pod"], "selector": "app=api"}},
    ]);
    let Some(t) = session(&["--snapshot", &demo()], &[], calls) else { return skipped() };
    assert_eq!(t[0]["initialize"]["serverInfo"]["name"], "mekhanikube");
    let tools = t[1]["response"]["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 5, "{names:?}");
    for name in ["analyze", "explain", "describe", "diff", "constraints"] {
        let tool = tools.iter().find(|t| t["name"] == name).unwrap_or_else(|| panic!("no tool {name}: {names:?}"));
        let a = &tool["annotations"];
        assert_eq!(
            (&a["readOnlyHint"], &a["destructiveHint"], &a["openWorldHint"]),
            (&json!(true), &json!(false), &json!(false)),
            "{name}: {a}"
        );
        assert!(tool["description"].as_str().is_some_and(|d| d.len() > 40), "{name} is described");
    }
    let whole = result(&t[2]);
    assert!(!whole["problems"].as_array().unwrap().is_empty(), "the demo has problems");
    assert_eq!(comparable(whole), comparable(&analyze_json(&[])));
    assert_eq!(comparable(result(&t[3])), comparable(&analyze_json(&["-n", "shop", "--min-severity", "high"])));
    let narrow = result(&t[4]);
    assert_eq!(comparable(narrow), comparable(&analyze_json(&["--filter", "pod", "-l", "app=api"])));
    assert!(narrow["findings"].as_array().unwrap().iter().all(|f| f["analyzer"] == "pod"), "{narrow}");
}

#[test]
fn describe_shows_a_secret_without_its_data_and_errors_keep_the_session() {
    let calls = json!([
        {"tool": "describe", "arguments": {"kind": "secret", "namespace": "shop", "name": "api-db"}},
        {"tool": "describe", "arguments": {"kind": "deploy", "namespace": "shop", "name": "web"}},
        {"tool": "describe", "arguments": {"kind": "secret", "namespace": "shop", "name": "missing"}},
        {"tool": "describe", "arguments": {"kind": "widget", "namespace": "shop", "name": "web"}},
        {"tool": "describe", "arguments": {"kind": "node", "namespace": "shop", "name": "node-c"}},
        {"tool": "describe", "arguments": {"kind": "pod", "name": "x", "unexpected": 1}},
        {"tool": "analyze", "arguments": {"selector": "=="}},
        {"tool": "analyze", "arguments": {"analyzers": ["nope"]}},
        {"tool": "analyze", "arguments": {"namespace": "no-such-namespace"}},
        {"tool": "analyze", "arguments": {"min_severity": "huge"}},
        {"tool": "analyze", "arguments": {"namespace": 42}},
        {"tool": "explain", "arguments": {}},
        {"tool": "explain", "arguments": {"problem": "000000000000"}},
        {"tool": "no-such-tool", "arguments": {}},
        {"tool": "analyze", "arguments": {"namespace": "shop"}},
    ]);
    let Some(t) = session(&["--snapshot", &demo()], &[], calls) else { return skipped() };
    let secret = result(&t[1]);
    assert_eq!((&secret["kind"], &secret["metadata"]["name"]), (&json!("Secret"), &json!("api-db")), "{secret}");
    assert!(secret.get("data").is_none() && secret.get("stringData").is_none(), "{secret}");
    assert!(!t[1].to_string().contains("ZGVtby1ub3QtYS1zZWNyZXQ"), "the value is nowhere in the answer");
    let web = result(&t[2]);
    assert_eq!((&web["kind"], &web["spec"]["replicas"].is_number()), (&json!("Deployment"), &true), "{web}");
    assert!(tool_error(&t[3]).contains("no Secret named \"missing\" in namespace shop"));
    assert!(tool_error(&t[4]).contains("unknown kind \"widget\""));
    assert!(tool_error(&t[5]).contains("cluster-scoped"));
    assert!(tool_error(&t[6]).contains("unknown field `unexpected`"));
    assert!(tool_error(&t[7]).contains("invalid label selector"));
    assert!(tool_error(&t[8]).contains("nope"));
    assert!(tool_error(&t[9]).contains("no-such-namespace"));
    assert!(tool_error(&t[10]).contains("unknown variant `huge`"));
    assert!(tool_error(&t[11]).contains("invalid type"));
    assert!(tool_error(&t[12]).contains("missing field `problem`"));
    assert!(tool_error(&t[13]).contains("no problem with root finding \"000000000000\""));
    assert_eq!(t[14]["protocol_error"]["code"], -32602, "an unknown tool is a JSON-RPC error: {}", t[14]);
    // After every kind of bad call, the same session still answers.
    assert_eq!(comparable(result(&t[15])), comparable(&analyze_json(&["-n", "shop"])));
}

/// The first problem of the demo and one of its consequences.
fn demo_problem() -> (String, String) {
    let doc = analyze_json(&[]);
    let problem = doc["problems"].as_array().unwrap().iter().find(|p| p["members"].as_array().unwrap().len() > 1);
    let problem = problem.expect("a demo problem with consequences");
    (problem["root"].as_str().unwrap().to_string(), problem["members"][1].as_str().unwrap().to_string())
}

#[test]
fn explain_streams_progress_and_returns_the_answer() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let answer = r#"{"cause": "the image tag does not exist", "impact": "web is down",
        "steps": [{"text": "fix the tag", "command": null, "changes_cluster": false}]}"#;
    let ollama = rt.block_on(crate::common::mock_ollama(answer, None));
    let (root, consequence) = demo_problem();
    let calls = json!([
        {"tool": "explain", "arguments": {"problem": root}, "progress": true},
        {"tool": "explain", "arguments": {"problem": consequence}},
    ]);
    let url = ollama.uri();
    let args = ["--snapshot", &demo(), "--ollama-url", &url, "--model", "m", "--anonymize", "--no-cache"];
    let Some(t) = session(&args, &[], calls) else { return skipped() };
    let done = result(&t[1]);
    assert_eq!((&done["model"], &done["anonymized"]), (&json!("m"), &json!(true)), "{done}");
    let entry = &done["explanation"];
    assert_eq!((&entry["problem"], &entry["status"]), (&json!(root), &json!("explained")), "{entry}");
    assert_eq!(entry["explanation"]["cause"], "the image tag does not exist", "{entry}");
    let streamed: String =
        t[1]["progress"].as_array().unwrap().iter().map(|p| p["message"].as_str().unwrap()).collect();
    assert!(streamed.contains("the image tag does not exist"), "the checked answer sent as progress: {streamed:?}");
    assert!(tool_error(&t[2]).contains(&format!("is a consequence in problem {root}")));
    // One model call, for the one problem asked about, with the names replaced by tokens.
    let requests = rt.block_on(ollama.received_requests()).unwrap();
    let prompts: Vec<String> = requests
        .iter()
        .filter(|r| r.url.path() == "/api/chat")
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert_eq!(prompts.len(), 1, "{prompts:?}");
    let objects = entry["objects"].as_array().unwrap();
    let name = objects[0].as_str().unwrap().rsplit('/').next().unwrap();
    assert!(!prompts[0].contains(name), "{name} was anonymized out of the prompt: {}", prompts[0]);
}

#[test]
fn a_remote_model_is_refused_at_startup_unless_allowed() {
    let out = run(mekhanikube().args(["mcp", "--snapshot", &demo(), "--ollama-url", "http://192.0.2.10:11434"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--allow-remote-llm"), "{}", out.stderr);
}

#[test]
fn diff_reads_the_history_without_writing_it() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.sqlite");
    let history_arg = history.display().to_string();
    let never = dir.path().join("never/history.sqlite");
    let out_dir = dir.path().join("reports").display().to_string();
    let report =
        run(mekhanikube().args(["report", "--snapshot", &demo(), "--out", &out_dir, "--history", &history_arg]));
    assert_eq!(report.code, 0, "{}", report.stderr);
    let before = std::fs::read(&history).unwrap();
    let files = || {
        let mut names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        names.sort();
        names
    };
    let files_before = files();
    let calls = json!([{"tool": "diff", "arguments": {}}, {"tool": "diff", "arguments": {"namespace": "shop"}}]);
    let Some(t) = session(&["--snapshot", &demo(), "--history", &history_arg], &[], calls.clone()) else {
        return skipped();
    };
    let same = result(&t[1]);
    let findings = analyze_json(&[])["findings"].as_array().unwrap().len();
    assert!(same["diff"]["previous"].is_object(), "{same}");
    let d = &same["diff"];
    assert_eq!((d["new"].as_array().unwrap().len(), d["persisting"].as_array().unwrap().len()), (0, findings));
    // Another scope is another history key, with no run yet: everything is new.
    let other = result(&t[2]);
    assert_ne!(other["historyKey"], same["historyKey"]);
    assert!(other["diff"].get("previous").is_none_or(Value::is_null), "{other}");
    assert!(!other["diff"]["new"].as_array().unwrap().is_empty());
    assert_eq!(std::fs::read(&history).unwrap(), before, "the history is unchanged");
    assert_eq!(files(), files_before, "no journal or lock file was left");
    // A history that does not exist is not created.
    let never_arg = never.display().to_string();
    let t = session(&["--snapshot", &demo(), "--history", &never_arg], &[], calls).unwrap();
    assert!(!result(&t[1])["diff"]["new"].as_array().unwrap().is_empty());
    assert!(!Path::new(&never).parent().unwrap().exists(), "nothing was created for the history");
}

fn constraints_json(args: &[&str]) -> Value {
    let out = run(mekhanikube().args(["constraints", "--snapshot", &demo(), "-o", "json"]).args(args));
    assert_eq!(out.code, 0, "{}", out.stderr);
    parse_json(&out.stdout)
}

/// The `constraints` tool gives what `constraints -n NS -o json` prints. A server started for one namespace's
/// developers answers for that namespace only, redacted as the CLI's developer view is, and refuses the rest.
#[test]
fn constraints_tool_and_a_developer_server_kept_to_its_namespace() {
    let calls = json!([
        {"tool": "constraints", "arguments": {"namespace": "checkout"}},
        {"tool": "constraints", "arguments": {}},
    ]);
    let Some(t) = session(&["--snapshot", &demo()], &[], calls) else { return skipped() };
    assert_eq!(result(&t[1])["constraints"], constraints_json(&["-n", "checkout"])["constraints"]);
    assert!(tool_error(&t[2]).contains("pass `namespace`"), "{}", t[2]);

    let calls = json!([
        {"tool": "constraints", "arguments": {}},
        {"tool": "analyze", "arguments": {}},
        {"tool": "analyze", "arguments": {"namespace": "shop"}},
        {"tool": "describe", "arguments": {"kind": "node", "name": "node-c"}},
        {"tool": "describe", "arguments": {"kind": "deploy", "namespace": "checkout", "name": "cart"}},
        {"tool": "constraints", "arguments": {"namespace": "shop"}},
    ]);
    let developer = ["--snapshot", demo().as_str(), "--audience", "developer", "-n", "checkout"].map(String::from);
    let args: Vec<&str> = developer.iter().map(String::as_str).collect();
    let Some(t) = session(&args, &[], calls) else { return skipped() };
    let cli = constraints_json(&["-n", "checkout", "--audience", "developer"]);
    assert_eq!(result(&t[1])["constraints"], cli["constraints"]);
    let analysis = result(&t[2]);
    assert_eq!(analysis["scope"]["namespace"], "checkout");
    assert_eq!(analysis["scope"]["audience"], "developer");
    assert_eq!(comparable(analysis), comparable(&analyze_json(&["-n", "checkout", "--audience", "developer"])));
    assert!(tool_error(&t[3]).contains("answers for namespace checkout only"), "{}", t[3]);
    assert!(tool_error(&t[4]).contains("objects of namespace checkout only"), "{}", t[4]);
    assert_eq!(result(&t[5])["metadata"]["name"], "cart");
    assert!(tool_error(&t[6]).contains("answers for namespace checkout only"), "{}", t[6]);
    // What the operator's server names and the developer's does not.
    let transcript = serde_json::to_string(&t).unwrap();
    for name in ["shop", "org-image-policy", "shop-policy"] {
        let whole = |text: &str| {
            text.match_indices(name).any(|(at, _)| {
                let next = text[at + name.len()..].chars().next();
                !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
            })
        };
        let refusals = [&t[3], &t[6]].map(|e| serde_json::to_string(e).unwrap());
        let rest = transcript.replace(&refusals[0], "").replace(&refusals[1], "");
        assert!(!whole(&rest), "{name} reached a developer: {rest}");
    }
}

#[test]
fn a_developer_server_needs_its_namespace() {
    let out = run(mekhanikube().args(["mcp", "--snapshot", &demo(), "--audience", "developer"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("pass -n NAMESPACE"), "{}", out.stderr);
    let out = run(mekhanikube().args(["mcp", "--snapshot", &demo(), "-n", "shop"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("-n only with --audience developer"), "{}", out.stderr);
}
