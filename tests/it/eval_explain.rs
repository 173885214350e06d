//! The explanation-quality harness (`make eval-explain`, docs/prompts.md): runs the real binary's explain pipeline
//! (`analyze --snapshot … --explain -o json`) over the scenarios of tests/eval/, each a small `kind: List` whose
//! header writes down its root cause as keyword groups (`# expect: a | b` — the answer must contain one keyword of
//! every group), and reports per scenario and in total: answers that name the root cause, answers that follow
//! the schema, answers with names not in the cluster, unsafe commands removed, schema retries, first-token and
//! total time.
//!
//! The model is `MEKHANIKUBE_EVAL_MODEL` at `MEKHANIKUBE_EVAL_OLLAMA_URL` when set, else the test bed's SmolLM2
//! (`make test` runs it that way to prove the harness works). Only the plumbing is asserted: every scenario
//! is explained and the counts add up. A 135M model's answers are not expected to be right.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::common::{json, mekhanikube, repo_path, run};

/// One scenario: its file and its root cause as keyword groups.
struct Scenario {
    name: String,
    path: PathBuf,
    expect: Vec<Vec<String>>,
}

/// What one scenario's run gave.
#[derive(Default)]
struct Score {
    explanations: usize,
    explained: usize,
    names_root_cause: bool,
    follows_schema: usize,
    with_unknown_names: usize,
    unknown_names: usize,
    removed: usize,
    schema_retries: u64,
    first_token_ms: Vec<u64>,
    total_ms: u64,
    wall_ms: u64,
}

fn scenarios() -> Vec<Scenario> {
    let dir = repo_path("tests/eval");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let expect: Vec<Vec<String>> = text
                .lines()
                .filter_map(|l| l.strip_prefix("# expect:"))
                .map(|groups| groups.split('|').map(|k| k.trim().to_lowercase()).filter(|k| !k.is_empty()).collect())
                .collect();
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            assert!(!expect.is_empty(), "{name}: no `# expect:` line");
            Scenario { name, path, expect }
        })
        .collect()
}

/// The model to evaluate: `MEKHANIKUBE_EVAL_MODEL` at `MEKHANIKUBE_EVAL_OLLAMA_URL`, or else the test bed's model on
/// a private Ollama of its own (its queue is not shared with the other live tests, whose timings it would upset).
struct Target {
    model: String,
    url: String,
    /// `--llm-max-tokens`: `MEKHANIKUBE_EVAL_MAX_TOKENS`, else the default for a real model and 48 for the test
    /// bed's (a test of the plumbing; its answers are cut and shown as labelled free text).
    max_tokens: String,
    private: Option<(tempfile::TempDir, PathBuf)>,
}

impl Target {
    fn from_env() -> Target {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let max_tokens = var("MEKHANIKUBE_EVAL_MAX_TOKENS");
        if let (Some(model), Some(url)) = (var("MEKHANIKUBE_EVAL_MODEL"), var("MEKHANIKUBE_EVAL_OLLAMA_URL")) {
            let max_tokens = max_tokens.unwrap_or_else(|| "1024".into());
            return Target { model, url, max_tokens, private: None };
        }
        let env = mekhanikube_testenv::TestEnv::from_env();
        assert!(env.ollama.is_some(), "the test bed has no Ollama: run through `make test` or `make eval-explain`");
        let dir = tempfile::Builder::new().prefix("mekhanikube-eval-ollama-").tempdir().unwrap();
        let scripts = mekhanikube_testenv::scripts_dir();
        let up = std::process::Command::new(scripts.join("ollama-up.sh")).arg(dir.path()).output().unwrap();
        assert!(up.status.success(), "{}", String::from_utf8_lossy(&up.stderr));
        let ollama_env = std::fs::read_to_string(dir.path().join("ollama.env")).unwrap();
        let field = |key: &str| {
            ollama_env.lines().find_map(|l| l.strip_prefix(&format!("{key}="))).unwrap_or_default().to_string()
        };
        let (url, model) = (field("OLLAMA_URL"), field("OLLAMA_MODEL"));
        Target { model, url, max_tokens: max_tokens.unwrap_or_else(|| "48".into()), private: Some((dir, scripts)) }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some((dir, scripts)) = &self.private {
            let _ = std::process::Command::new(scripts.join("ollama-down.sh")).arg(dir.path()).status();
        }
    }
}

/// Everything the model said about a problem, lowercased, for the keyword rubric.
fn answer_text(entry: &serde_json::Value) -> String {
    let e = &entry["explanation"];
    let mut parts: Vec<String> =
        ["cause", "impact", "raw"].iter().filter_map(|k| e[k].as_str()).map(str::to_string).collect();
    parts.extend(e["steps"].as_array().into_iter().flatten().filter_map(|s| s.as_str()).map(str::to_string));
    parts.join("\n").to_lowercase()
}

fn names_root_cause(text: &str, expect: &[Vec<String>]) -> bool {
    expect.iter().all(|group| group.iter().any(|k| text.contains(k.as_str())))
}

fn evaluate(scenario: &Scenario, target: &Target, cache: &Path) -> Score {
    let started = std::time::Instant::now();
    let out = run(mekhanikube()
        .arg("analyze")
        .arg("--snapshot")
        .arg(&scenario.path)
        .args(["--explain", "-o", "json", "--no-cache", "--allow-remote-llm", "--llm-concurrency", "1"])
        .args(["--model", &target.model, "--ollama-url", &target.url, "--llm-max-tokens", &target.max_tokens])
        .env("XDG_CACHE_HOME", cache));
    let mut score = Score { wall_ms: started.elapsed().as_millis() as u64, ..Score::default() };
    assert!(matches!(out.code, 0..=2), "{}: exit {}: {}", scenario.name, out.code, out.stderr);
    let doc = json(&out.stdout);
    let entries = doc["explanations"].as_array().cloned().unwrap_or_default();
    score.explanations = entries.len();
    for entry in &entries {
        let e = &entry["explanation"];
        if entry["status"] == "explained" {
            score.explained += 1;
        }
        score.names_root_cause |= names_root_cause(&answer_text(entry), &scenario.expect);
        score.follows_schema += usize::from(e["parsed"] == true);
        let unknown = e["notInCluster"].as_array().map_or(0, Vec::len);
        score.unknown_names += unknown;
        score.with_unknown_names += usize::from(unknown > 0);
        score.removed += e["removed"].as_array().map_or(0, Vec::len);
        score.schema_retries += e["schemaRetries"].as_u64().unwrap_or(0);
        score.first_token_ms.extend(entry["timing"]["firstTokenMs"].as_u64());
        score.total_ms += entry["timing"]["totalMs"].as_u64().unwrap_or(0);
    }
    score
}

fn secs(ms: u64) -> String {
    format!("{:.1}", ms as f64 / 1000.0)
}

fn report(target: &Target, results: &[(&Scenario, Score)]) -> String {
    let mut out = format!("# eval-explain: {} (at most {} tokens per answer)\n\n", target.model, target.max_tokens);
    out.push_str("| scenario | answers | root cause named | follow the schema | with names not in the cluster | unsafe commands removed | schema retries | first token s | model s |\n");
    out.push_str("|---|---:|:-:|---:|---:|---:|---:|---:|---:|\n");
    let mut first_tokens = Vec::new();
    for (s, r) in results {
        first_tokens.extend(r.first_token_ms.iter().copied());
        let first = r.first_token_ms.iter().min().map_or("-".to_string(), |ms| secs(*ms));
        let _ = writeln!(
            out,
            "| {} | {}/{} | {} | {} | {} ({} names) | {} | {} | {first} | {} |",
            s.name,
            r.explained,
            r.explanations,
            if r.names_root_cause { "yes" } else { "no" },
            r.follows_schema,
            r.with_unknown_names,
            r.unknown_names,
            r.removed,
            r.schema_retries,
            secs(r.total_ms)
        );
    }
    let sum = |f: fn(&Score) -> usize| results.iter().map(|(_, r)| f(r)).sum::<usize>();
    first_tokens.sort_unstable();
    let median = first_tokens.get(first_tokens.len() / 2).map_or("-".to_string(), |ms| secs(*ms));
    let _ = writeln!(
        out,
        "| **total** | {}/{} | {}/{} | {} | {} ({} names) | {} | {} | median {median} | {} |",
        sum(|r| r.explained),
        sum(|r| r.explanations),
        sum(|r| usize::from(r.names_root_cause)),
        results.len(),
        sum(|r| r.follows_schema),
        sum(|r| r.with_unknown_names),
        sum(|r| r.unknown_names),
        sum(|r| r.removed),
        results.iter().map(|(_, r)| r.schema_retries).sum::<u64>(),
        secs(results.iter().map(|(_, r)| r.total_ms).sum())
    );
    out
}

#[test]
fn eval_explain() {
    let target = Target::from_env();
    let cache = tempfile::tempdir().unwrap();
    let scenarios = scenarios();
    assert!(scenarios.len() >= 5, "tests/eval holds the scenarios");
    let results: Vec<(&Scenario, Score)> = scenarios.iter().map(|s| (s, evaluate(s, &target, cache.path()))).collect();
    let table = report(&target, &results);
    let path = repo_path("target/eval-explain.md");
    std::fs::write(&path, &table).unwrap();
    #[allow(clippy::print_stderr)]
    {
        eprintln!("{table}\n(written to {})", path.display());
    }
    // The harness works: every scenario was explained, and what it counts is consistent.
    for (s, r) in &results {
        assert!(
            r.explanations >= 1 && r.explained == r.explanations,
            "{}: {} of {} explained",
            s.name,
            r.explained,
            r.explanations
        );
        assert!(r.follows_schema <= r.explanations && r.with_unknown_names <= r.unknown_names, "{}", s.name);
        assert!(r.schema_retries <= r.explanations as u64, "{}: at most one retry per answer", s.name);
        assert!(r.total_ms <= r.wall_ms, "{}: model time within the run's", s.name);
    }
}

#[test]
fn the_rubric_needs_every_group() {
    let expect = vec![vec!["image".to_string(), "tag".to_string()], vec!["not found".to_string(), "typo".to_string()]];
    assert!(names_root_cause("the image tag has a typo", &expect));
    assert!(!names_root_cause("the image cannot be pulled", &expect));
    assert!(!names_root_cause("a typo somewhere", &expect));
}
