//! `mekhanikube mcp` against the live test bed: the real API server (read as the `reader` identity) and the real
//! Ollama with SmolLM2, driven by the Python MCP SDK. Set MEKHANIKUBE_MCP_TRANSCRIPT=PATH to keep the session's
//! transcript (docs/mcp.md shows one).

use serde_json::json;

use crate::live_explain::{NAMESPACE, env, model};
use crate::mcp::{result, session};

#[test]
fn a_client_lists_analyzes_and_explains_the_live_cluster() {
    let env = env();
    let cache = tempfile::tempdir().unwrap();
    let kubeconfig = env.reader_kubeconfig.display().to_string();
    let url = env.ollama.as_ref().unwrap().url.clone();
    let model = model(env);
    let cache_dir = cache.path().display().to_string();
    let args = ["--kubeconfig", &kubeconfig, "--ollama-url", &url, "--model", &model, "--llm-max-tokens", "48"];
    let calls = json!([
        {"list_tools": true},
        {"tool": "analyze", "arguments": {"namespace": NAMESPACE}},
    ]);
    let t = session(&args, &[("XDG_CACHE_HOME", &cache_dir)], calls).expect("the MCP client is installed");
    assert_eq!(t[1]["response"]["tools"].as_array().unwrap().len(), 5, "analyze, explain, describe, diff, constraints");
    let doc = result(&t[2]);
    assert_eq!(doc["source"]["mode"], "cluster", "{doc}");
    let problem = doc["problems"][0]["root"].as_str().expect("a problem in the crash-looping namespace").to_string();
    assert!(doc["findings"].to_string().contains("pod-crash-loop"), "{doc}");

    // A second session: a client may explain what an earlier one analyzed, ids being stable.
    let calls = json!([
        {"tool": "explain", "arguments": {"problem": problem, "namespace": NAMESPACE}, "progress": true, "timeout": 300},
        {"tool": "explain", "arguments": {"problem": problem, "namespace": NAMESPACE}, "timeout": 300},
    ]);
    let e = session(&args, &[("XDG_CACHE_HOME", &cache_dir)], calls).unwrap();
    let first = result(&e[1]);
    assert_eq!(first["explanation"]["status"], "explained", "{first}");
    assert_eq!(first["explanation"]["cached"], false, "{first}");
    let streamed = e[1]["progress"].as_array().unwrap();
    assert!(streamed.len() >= 2, "the answer streamed as progress notifications: {streamed:?}");
    let again = result(&e[2]);
    assert_eq!(again["explanation"]["cached"], true, "the second call is served from the cache: {again}");
    if let Ok(path) = std::env::var("MEKHANIKUBE_MCP_TRANSCRIPT") {
        let all: Vec<_> = t.iter().chain(e.iter()).collect();
        std::fs::write(path, serde_json::to_string_pretty(&all).unwrap()).unwrap();
    }
}
