//! Test-bed helpers for mekhanikube's live tests: find (or start) the real kube-apiserver that
//! `tests/testenv/up.sh` runs, load fixtures into it as the admin, and read its audit log.
//!
//! The API server runs without kube-controller-manager or kubelets, so nothing reconciles: a fixture must contain
//! every object (ReplicaSets, Pods, Endpoints, Events...) with its status, exactly as the CLI should see it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use futures::{StreamExt, stream};
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Discovery, Scope};
use kube::{Client, Config};
use serde::Deserialize;
use serde_json::{Value, json};

/// Requests in flight at once while loading; enough to hide latency without swamping a 2-core machine.
const CONCURRENCY: usize = 16;
const FIELD_MANAGER: &str = "mekhanikube-testenv";

/// A running test bed: the paths and ports `up.sh` wrote to `DIR/env`.
#[derive(Debug, Clone)]
pub struct TestEnv {
    pub dir: PathBuf,
    pub apiserver_url: String,
    pub apiserver_port: u16,
    pub etcd_port: u16,
    pub admin_kubeconfig: PathBuf,
    pub reader_kubeconfig: PathBuf,
    pub limited_kubeconfig: PathBuf,
    pub audit_log: PathBuf,
    pub kubectl: PathBuf,
    pub apiserver_pid: u32,
    pub etcd_pid: u32,
    /// Present when `ollama-up.sh` ran in the same DIR.
    pub ollama: Option<OllamaEnv>,
    /// Set for instances made by [`TestEnv::start`]: the last clone to drop stops them, so a panicking test does
    /// not leak servers.
    owned: Option<Arc<StopOnDrop>>,
}

/// The Ollama server `ollama-up.sh` started (from `DIR/ollama.env`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OllamaEnv {
    pub url: String,
    pub port: u16,
    pub pid: u32,
    pub model: String,
    pub log: PathBuf,
}

/// What [`TestEnv::load_fixture`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadStats {
    /// Objects created.
    pub created: usize,
    /// Status subresource writes (for created and already existing objects alike).
    pub status_patched: usize,
    /// Objects that already existed and were left as they were (apart from their status).
    pub existing: usize,
    /// Objects deleted after loading because the fixture gave them a `metadata.deletionTimestamp`; with finalizers
    /// (or, for Pods, a `nodeName`) they stay, Terminating, since no controller or kubelet finishes the deletion.
    pub deleted: usize,
}

/// One audit log entry, reduced to what tests assert on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub audit_id: String,
    /// `ResponseComplete`, or `ResponseStarted` for the start of a watch, or `Panic`.
    pub stage: String,
    pub user: String,
    pub verb: String,
    pub request_uri: String,
    pub user_agent: Option<String>,
    pub api_group: Option<String>,
    pub resource: Option<String>,
    pub subresource: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// HTTP status code of the response.
    pub code: Option<u16>,
    /// Kind of the response body; logged for secrets only (e.g. `PartialObjectMetadataList` when the CLI lists them
    /// metadata-only, `SecretList` if it ever fetched the data).
    pub response_kind: Option<String>,
    pub response_api_version: Option<String>,
}

#[derive(Debug)]
struct StopOnDrop {
    dir: PathBuf,
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = run_script("down.sh", &[self.dir.as_os_str()]);
    }
}

/// `tests/testenv`, where the shell scripts live.
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the loader crate lives in tests/testenv/loader")
        .to_path_buf()
}

fn run_script(name: &str, args: &[&std::ffi::OsStr]) -> Result<String> {
    let script = scripts_dir().join(name);
    let out = Command::new("bash")
        .arg(&script)
        .args(args)
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if !out.status.success() {
        bail!("{} failed ({}):\n{}", script.display(), out.status, text.trim_end());
    }
    Ok(text)
}

/// Parses the `KEY=value` lines the scripts write.
fn parse_env_file(path: &Path) -> Result<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect())
}

fn env_value<'a>(env: &'a HashMap<String, String>, key: &str, file: &Path) -> Result<&'a str> {
    env.get(key).map(String::as_str).ok_or_else(|| anyhow!("{key} missing from {}", file.display()))
}

fn env_number<T: std::str::FromStr>(env: &HashMap<String, String>, key: &str, file: &Path) -> Result<T> {
    let raw = env_value(env, key, file)?;
    raw.parse().map_err(|_| anyhow!("{key}={raw} in {} is not a number", file.display()))
}

impl TestEnv {
    /// Reads `$MEKHANIKUBE_TESTENV/env`; panics with a clear message naming `make test` when unset.
    pub fn from_env() -> TestEnv {
        let Some(dir) = std::env::var_os("MEKHANIKUBE_TESTENV") else {
            panic!(
                "MEKHANIKUBE_TESTENV is not set: this test needs the live test bed (kube-apiserver, etcd, Ollama). \
                 Run it with `make test`, or `tests/testenv/with-testenv.sh cargo test ...`."
            );
        };
        match Self::from_dir(Path::new(&dir)) {
            Ok(env) => env,
            Err(e) => panic!(
                "MEKHANIKUBE_TESTENV={} does not hold a running test bed ({e:#}). Run the tests with `make test`, \
                 or start one with `tests/testenv/up.sh {}`.",
                dir.to_string_lossy(),
                dir.to_string_lossy()
            ),
        }
    }

    /// Reads an already started test bed from `dir/env` (and `dir/ollama.env` when present).
    pub fn from_dir(dir: &Path) -> Result<TestEnv> {
        let file = dir.join("env");
        let env = parse_env_file(&file)?;
        let path = |key: &str| env_value(&env, key, &file).map(PathBuf::from);
        let ollama_file = dir.join("ollama.env");
        let ollama = if ollama_file.exists() {
            let o = parse_env_file(&ollama_file)?;
            Some(OllamaEnv {
                url: env_value(&o, "OLLAMA_URL", &ollama_file)?.to_string(),
                port: env_number(&o, "OLLAMA_PORT", &ollama_file)?,
                pid: env_number(&o, "OLLAMA_PID", &ollama_file)?,
                model: env_value(&o, "OLLAMA_MODEL", &ollama_file)?.to_string(),
                log: PathBuf::from(env_value(&o, "OLLAMA_LOG", &ollama_file)?),
            })
        } else {
            None
        };
        Ok(TestEnv {
            dir: dir.to_path_buf(),
            apiserver_url: env_value(&env, "APISERVER_URL", &file)?.to_string(),
            apiserver_port: env_number(&env, "APISERVER_PORT", &file)?,
            etcd_port: env_number(&env, "ETCD_PORT", &file)?,
            admin_kubeconfig: path("ADMIN_KUBECONFIG")?,
            reader_kubeconfig: path("READER_KUBECONFIG")?,
            limited_kubeconfig: path("LIMITED_KUBECONFIG")?,
            audit_log: path("AUDIT_LOG")?,
            kubectl: path("KUBECTL")?,
            apiserver_pid: env_number(&env, "APISERVER_PID", &file)?,
            etcd_pid: env_number(&env, "ETCD_PID", &file)?,
            ollama,
            owned: None,
        })
    }

    /// Starts a separate instance in `dir` via up.sh (for tests that need their own API server, e.g. one to kill).
    /// It is stopped by [`TestEnv::stop`], or when the last clone of the returned value is dropped.
    pub fn start(dir: &Path) -> Result<TestEnv> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let dir = dir.canonicalize().with_context(|| format!("resolving {}", dir.display()))?;
        // Registered before up.sh runs, so servers left by a failure half-way are stopped too.
        let guard = Arc::new(StopOnDrop { dir: dir.clone() });
        run_script("up.sh", &[dir.as_os_str()])?;
        let mut env = Self::from_dir(&dir)?;
        env.owned = Some(guard);
        Ok(env)
    }

    /// Stops the API server and etcd (down.sh); the directory and its logs stay.
    pub fn stop(&self) -> Result<()> {
        run_script("down.sh", &[self.dir.as_os_str()]).map(|_| ())
    }

    /// A client authenticated with the given kubeconfig (one of the three in DIR).
    pub async fn client_for(&self, kubeconfig: &Path) -> Result<Client> {
        let kc = Kubeconfig::read_from(kubeconfig).with_context(|| format!("reading {}", kubeconfig.display()))?;
        let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
            .await
            .with_context(|| format!("loading {}", kubeconfig.display()))?;
        Client::try_from(config).context("building a kube client")
    }

    /// A client for `admin` (system:masters), for loading fixtures and checking what was stored.
    pub async fn admin_client(&self) -> Result<Client> {
        self.client_for(&self.admin_kubeconfig).await
    }

    /// A client for `reader`, the user the CLI runs as.
    pub async fn reader_client(&self) -> Result<Client> {
        self.client_for(&self.reader_kubeconfig).await
    }

    /// A client for `limited` (the reader's rights minus nodes and webhook configurations).
    pub async fn limited_client(&self) -> Result<Client> {
        self.client_for(&self.limited_kubeconfig).await
    }

    /// Creates every item of a `kind: List` YAML/JSON file (or multi-doc YAML) as admin, in dependency order
    /// (Namespaces first, then owners before dependents), skipping objects that already exist (idempotent), rewriting
    /// each ownerReferences[].uid to the live uid of the owner created from the same file, then writes each item's
    /// `status` through the /status subresource (merge patch) where the kind has one.
    pub async fn load_fixture(&self, path: &Path) -> Result<LoadStats> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let items = parse_fixture(&text).with_context(|| format!("parsing {}", path.display()))?;
        self.load_items(items).await.with_context(|| format!("loading {}", path.display()))
    }

    /// Same as [`TestEnv::load_fixture`], from memory (for generated scale tests): a `List`, an array of objects,
    /// or a single object.
    pub async fn load_value(&self, list: Value) -> Result<LoadStats> {
        let mut items = Vec::new();
        flatten_into(list, &mut items)?;
        self.load_items(items).await
    }

    async fn load_items(&self, items: Vec<Value>) -> Result<LoadStats> {
        let client = self.admin_client().await?;
        load_items(&client, items).await
    }

    /// Parses DIR/audit.log: every event of `user`, in log order. Unparsable lines (such as one being written right
    /// now) are skipped.
    pub fn audit_events(&self, user: &str) -> Result<Vec<AuditEvent>> {
        let text = match std::fs::read_to_string(&self.audit_log) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("reading {}", self.audit_log.display())),
        };
        Ok(parse_audit_log(&text).into_iter().filter(|e| e.user == user).collect())
    }

    /// Polls the audit log until `done` accepts `user`'s events, or fails after `timeout`. Needed because the API
    /// server may write an event just after the client has its response.
    pub async fn wait_for_audit(
        &self,
        user: &str,
        timeout: Duration,
        done: impl Fn(&[AuditEvent]) -> bool,
    ) -> Result<Vec<AuditEvent>> {
        let deadline = Instant::now() + timeout;
        loop {
            let events = self.audit_events(user)?;
            if done(&events) {
                return Ok(events);
            }
            if Instant::now() >= deadline {
                bail!(
                    "audit log {} did not show the expected events of {user} within {timeout:?}; it has:\n{}",
                    self.audit_log.display(),
                    events
                        .iter()
                        .map(|e| format!("  {} {} -> {:?}", e.verb, e.request_uri, e.code))
                        .collect::<Vec<_>>()
                        .join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Fixture parsing

/// Parses a fixture file: JSON, or YAML with one or more documents; `List`s (at any depth) are flattened.
pub fn parse_fixture(text: &str) -> Result<Vec<Value>> {
    let trimmed = text.trim_start();
    let docs: Vec<Value> = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        vec![serde_json::from_str(text).context("invalid JSON")?]
    } else {
        serde_saphyr::from_multiple(text).context("invalid YAML")?
    };
    let mut items = Vec::new();
    for doc in docs {
        flatten_into(doc, &mut items)?;
    }
    Ok(items)
}

fn flatten_into(doc: Value, out: &mut Vec<Value>) -> Result<()> {
    match doc {
        Value::Null => Ok(()),
        Value::Array(items) => items.into_iter().try_for_each(|i| flatten_into(i, out)),
        Value::Object(mut map) => {
            let is_list = map.get("kind").and_then(Value::as_str).is_some_and(|k| k.ends_with("List"))
                && map.get("items").is_some_and(Value::is_array);
            if is_list {
                flatten_into(map.remove("items").unwrap_or_default(), out)
            } else {
                out.push(Value::Object(map));
                Ok(())
            }
        }
        other => bail!("expected a Kubernetes object, found {other}"),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Planning: pure functions over the (normalized) fixture items, unit-tested below.

/// The `group` part of an apiVersion (`""` for the core group).
fn group_of(api_version: &str) -> &str {
    api_version.split_once('/').map_or("", |(g, _)| g)
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Identity of a fixture item, as references name it.
#[derive(Debug)]
struct Ident<'a> {
    group: &'a str,
    kind: &'a str,
    name: &'a str,
    namespace: Option<&'a str>,
    uid: Option<&'a str>,
}

fn ident(v: &Value) -> Ident<'_> {
    Ident {
        group: group_of(str_at(v, "/apiVersion").unwrap_or("")),
        kind: str_at(v, "/kind").unwrap_or(""),
        name: str_at(v, "/metadata/name").unwrap_or(""),
        namespace: str_at(v, "/metadata/namespace"),
        uid: str_at(v, "/metadata/uid"),
    }
}

/// A reference from one item to another item of the same fixture, whose `uid` must be the target's live uid.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Link {
    /// JSON pointer to the object holding the `uid` field (an ownerReference, involvedObject, targetRef...).
    at: String,
    target: usize,
    /// Ownership orders creation; other references (events, endpoint targets) only need the uid if it is known.
    owner: bool,
}

/// In what order to create the items and which uids to rewrite.
#[derive(Debug)]
struct Plan {
    /// Item indices by creation wave; each wave only depends on earlier ones.
    levels: Vec<Vec<usize>>,
    links: Vec<Vec<Link>>,
}

/// Kinds whose presence changes how the API server treats later writes (admission webhooks and policies, quotas,
/// limit ranges): created last so they cannot reject or rewrite the rest of the fixture. up.sh disables those
/// admission plugins anyway; this keeps fixtures loadable against a server that has them on.
fn is_late(group: &str, kind: &str) -> bool {
    matches!((group, kind), ("admissionregistration.k8s.io", _) | ("", "ResourceQuota") | ("", "LimitRange"))
}

/// Finds the item a reference points at: by the fixture uid if the target declares one, else by group, kind, name
/// and namespace (`namespace` None matches cluster-scoped items; a namespaced reference also matches them, since an
/// owner reference carries no namespace of its own).
fn resolve(
    items: &[Value],
    api_version: &str,
    kind: &str,
    name: &str,
    namespace: Option<&str>,
    uid: Option<&str>,
) -> Option<usize> {
    if let Some(uid) = uid
        && let Some(i) = items.iter().position(|v| ident(v).uid == Some(uid))
    {
        return Some(i);
    }
    let group = group_of(api_version);
    items.iter().position(|v| {
        let id = ident(v);
        id.group == group && id.kind == kind && id.name == name && (id.namespace.is_none() || id.namespace == namespace)
    })
}

/// References inside `v` to other items, as (pointer to the referencing object, the referencing object, whether it
/// is an owner reference, namespace to assume when the reference names none).
fn references(v: &Value) -> Vec<(String, &Value, bool, Option<&str>)> {
    let own_ns = str_at(v, "/metadata/namespace");
    let mut refs = Vec::new();
    if let Some(owners) = v.pointer("/metadata/ownerReferences").and_then(Value::as_array) {
        for (k, r) in owners.iter().enumerate() {
            refs.push((format!("/metadata/ownerReferences/{k}"), r, true, own_ns));
        }
    }
    // core/v1 Events name their object in involvedObject, events.k8s.io/v1 ones in regarding (and related).
    for field in ["involvedObject", "regarding", "related"] {
        if let Some(r) = v.get(field).filter(|r| r.is_object()) {
            refs.push((format!("/{field}"), r, false, own_ns));
        }
    }
    // Endpoints and EndpointSlices point at their Pods.
    if let Some(subsets) = v.get("subsets").and_then(Value::as_array) {
        for (s, subset) in subsets.iter().enumerate() {
            for list in ["addresses", "notReadyAddresses"] {
                for (a, addr) in subset.get(list).and_then(Value::as_array).into_iter().flatten().enumerate() {
                    if let Some(r) = addr.get("targetRef") {
                        refs.push((format!("/subsets/{s}/{list}/{a}/targetRef"), r, false, own_ns));
                    }
                }
            }
        }
    }
    if let Some(endpoints) = v.get("endpoints").and_then(Value::as_array) {
        for (e, ep) in endpoints.iter().enumerate() {
            if let Some(r) = ep.get("targetRef") {
                refs.push((format!("/endpoints/{e}/targetRef"), r, false, own_ns));
            }
        }
    }
    refs
}

fn plan(items: &[Value]) -> Result<Plan> {
    let links: Vec<Vec<Link>> = items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            references(v)
                .into_iter()
                .filter_map(|(at, r, owner, default_ns)| {
                    let target = resolve(
                        items,
                        str_at(r, "/apiVersion").unwrap_or("v1"),
                        str_at(r, "/kind")?,
                        str_at(r, "/name")?,
                        str_at(r, "/namespace").or(default_ns),
                        str_at(r, "/uid"),
                    )?;
                    (target != i).then_some(Link { at, target, owner })
                })
                .collect()
        })
        .collect();

    check_owner_cycles(items, &links)?;

    // Every reference orders creation (an Event after its object, so its uid is known). Owner cycles are excluded
    // above, so a back edge here closes a cycle through some other reference: it is dropped from the ordering. Roots
    // without such references go first and owner links are followed first, so that the dropped edge is the
    // non-owner one.
    const LATE: usize = 1 << 20;
    fn level_of(i: usize, items: &[Value], links: &[Vec<Link>], levels: &mut [Option<Option<usize>>]) -> usize {
        // None: not visited; Some(None): on the current path; Some(Some(l)): done.
        if let Some(Some(l)) = levels[i] {
            return l;
        }
        levels[i] = Some(None);
        let id = ident(&items[i]);
        let mut level = if id.group.is_empty() && id.kind == "Namespace" {
            0
        } else if is_late(id.group, id.kind) {
            LATE
        } else {
            1
        };
        let ordered = links[i].iter().filter(|l| l.owner).chain(links[i].iter().filter(|l| !l.owner));
        for link in ordered {
            if levels[link.target] != Some(None) {
                level = level.max(level_of(link.target, items, links, levels) + 1);
            }
        }
        levels[i] = Some(Some(level));
        level
    }
    let mut levels = vec![None; items.len()];
    let has_other_refs = |i: usize| links[i].iter().any(|l| !l.owner);
    let roots = (0..items.len()).filter(|&i| !has_other_refs(i)).chain((0..items.len()).filter(|&i| has_other_refs(i)));
    let mut by_level: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for i in roots {
        level_of(i, items, &links, &mut levels);
    }
    for (i, level) in levels.into_iter().enumerate() {
        by_level.entry(level.flatten().expect("every item was visited")).or_default().push(i);
    }
    Ok(Plan { levels: by_level.into_values().collect(), links })
}

/// Fails on ownerReferences that form a cycle: no order could give each owner's uid to its dependents.
fn check_owner_cycles(items: &[Value], links: &[Vec<Link>]) -> Result<()> {
    // 0: new, 1: on the current path, 2: done.
    fn visit(i: usize, items: &[Value], links: &[Vec<Link>], marks: &mut [u8], path: &mut Vec<usize>) -> Result<()> {
        match marks[i] {
            2 => return Ok(()),
            1 => {
                let start = path.iter().position(|&p| p == i).unwrap_or(0);
                let names: Vec<String> = path[start..]
                    .iter()
                    .chain([&i])
                    .map(|&p| format!("{} {}", ident(&items[p]).kind, ident(&items[p]).name))
                    .collect();
                bail!("ownerReferences form a cycle: {}", names.join(" -> "));
            }
            _ => {}
        }
        marks[i] = 1;
        path.push(i);
        for link in links[i].iter().filter(|l| l.owner) {
            visit(link.target, items, links, marks, path)?;
        }
        path.pop();
        marks[i] = 2;
        Ok(())
    }
    let mut marks = vec![0u8; items.len()];
    for i in 0..items.len() {
        visit(i, items, links, &mut marks, &mut Vec::new())?;
    }
    Ok(())
}

/// Points every linked `uid` at the live uid of its target (targets not created yet are left alone).
fn rewrite_uids(v: &mut Value, links: &[Link], live_uids: &[Option<String>]) {
    for link in links {
        if let Some(uid) = &live_uids[link.target]
            && let Some(Value::Object(r)) = v.pointer_mut(&link.at)
        {
            r.insert("uid".into(), Value::String(uid.clone()));
        }
    }
}

/// Removes what the server owns; creating with it fails (`resourceVersion`) or is ignored.
fn strip_server_fields(v: &mut Value) {
    if let Some(Value::Object(meta)) = v.get_mut("metadata") {
        for f in [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "managedFields",
            "selfLink",
            "generation",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        ] {
            meta.remove(f);
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Loading

struct Prepared {
    body: Value,
    status: Option<Value>,
    ar: ApiResource,
    namespace: Option<String>,
    name: String,
    delete: bool,
    what: String,
}

async fn discover(client: &Client) -> Result<Discovery> {
    // Aggregated discovery is two requests; the per-group walk is the fallback for servers without it.
    match Discovery::new(client.clone()).run_aggregated().await {
        Ok(d) => Ok(d),
        Err(_) => Discovery::new(client.clone()).run().await.context("API discovery"),
    }
}

fn resolve_kind(discovery: &Discovery, v: &Value) -> Result<(ApiResource, ApiCapabilities)> {
    let api_version = str_at(v, "/apiVersion").ok_or_else(|| anyhow!("item without apiVersion: {v}"))?;
    let kind = str_at(v, "/kind").ok_or_else(|| anyhow!("item without kind: {v}"))?;
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    discovery
        .resolve_gvk(&GroupVersionKind::gvk(group, version, kind))
        .ok_or_else(|| anyhow!("the API server serves no {api_version} {kind} (is its CRD installed?)"))
}

fn api_for(client: &Client, p: &Prepared) -> Api<DynamicObject> {
    match &p.namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &p.ar),
        None => Api::all_with(client.clone(), &p.ar),
    }
}

fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

/// Runs `f` over `indices` with bounded concurrency; reports every failure, not just the first.
async fn for_each_bounded<F, Fut, T>(indices: &[usize], f: F) -> Result<Vec<(usize, T)>>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let results: Vec<(usize, Result<T>)> = stream::iter(indices.iter().copied())
        .map(|i| {
            let fut = f(i);
            async move { (i, fut.await) }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut ok = Vec::with_capacity(results.len());
    let mut errors = Vec::new();
    for (i, r) in results {
        match r {
            Ok(t) => ok.push((i, t)),
            Err(e) => errors.push(format!("{e:#}")),
        }
    }
    if !errors.is_empty() {
        errors.sort();
        bail!("{} of {} failed:\n  {}", errors.len(), indices.len(), errors.join("\n  "));
    }
    Ok(ok)
}

async fn load_items(client: &Client, items: Vec<Value>) -> Result<LoadStats> {
    if items.is_empty() {
        return Ok(LoadStats::default());
    }
    let discovery = discover(client).await?;

    // Normalize namespaces by scope first: references are matched on them.
    let mut items = items;
    let mut kinds = Vec::with_capacity(items.len());
    for v in &mut items {
        let (ar, caps) = resolve_kind(&discovery, v)?;
        let meta =
            v.as_object_mut().ok_or_else(|| anyhow!("not an object"))?.entry("metadata").or_insert_with(|| json!({}));
        let meta = meta.as_object_mut().ok_or_else(|| anyhow!("metadata is not an object"))?;
        match caps.scope {
            Scope::Namespaced => {
                meta.entry("namespace").or_insert_with(|| json!("default"));
            }
            Scope::Cluster => {
                meta.remove("namespace");
            }
        }
        kinds.push((ar, caps));
    }
    let plan = plan(&items)?;

    let mut prepared = Vec::with_capacity(items.len());
    for (v, (ar, caps)) in items.into_iter().zip(kinds) {
        let name = str_at(&v, "/metadata/name")
            .ok_or_else(|| {
                anyhow!("{} {} without metadata.name (generateName is not supported)", ar.api_version, ar.kind)
            })?
            .to_string();
        let namespace = str_at(&v, "/metadata/namespace").map(str::to_string);
        let what = format!(
            "{} {} {}{name}",
            ar.api_version,
            ar.kind,
            namespace.as_deref().map(|n| format!("{n}/")).unwrap_or_default()
        );
        let delete = v.pointer("/metadata/deletionTimestamp").is_some_and(|t| !t.is_null());
        let mut body = v;
        strip_server_fields(&mut body);
        // The server ignores status on create for kinds with a status subresource; it is written afterwards.
        let has_status = caps.subresources.iter().any(|(sub, _)| sub.plural == "status");
        let status = if has_status {
            body.as_object_mut().and_then(|m| m.remove("status")).filter(|s| !s.is_null())
        } else {
            None
        };
        prepared.push(Prepared { body, status, ar, namespace, name, delete, what });
    }

    let mut live_uids: Vec<Option<String>> = vec![None; prepared.len()];
    let mut already_deleting = vec![false; prepared.len()];
    let mut stats = LoadStats::default();
    let pp = PostParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
    for level in &plan.levels {
        let uids = &live_uids;
        let results = for_each_bounded(level, |i| {
            let p = &prepared[i];
            let mut body = p.body.clone();
            rewrite_uids(&mut body, &plan.links[i], uids);
            let pp = &pp;
            async move {
                let obj: DynamicObject =
                    serde_json::from_value(body).with_context(|| format!("{}: not a valid object", p.what))?;
                let api = api_for(client, p);
                match api.create(pp, &obj).await {
                    Ok(created) => Ok((created.metadata.uid, true, false)),
                    // Besides AlreadyExists, a reload gets Forbidden for objects in a Namespace it left
                    // Terminating: whatever the refusal, an object that is there counts as existing.
                    Err(e) => match api.get_opt(&p.name).await {
                        Ok(Some(live)) => {
                            let deleting = live.metadata.deletion_timestamp.is_some();
                            Ok((live.metadata.uid, false, deleting))
                        }
                        _ => Err(anyhow!(e).context(format!("creating {}", p.what))),
                    },
                }
            }
        })
        .await?;
        for (i, (uid, created, deleting)) in results {
            live_uids[i] = uid;
            already_deleting[i] = deleting;
            if created {
                stats.created += 1;
            } else {
                stats.existing += 1;
            }
        }
    }

    // Statuses after every create: a Namespace patched to Terminating would refuse objects created in it, so
    // Namespaces go last.
    let with_status: Vec<usize> = (0..prepared.len()).filter(|&i| prepared[i].status.is_some()).collect();
    let (namespaces, others): (Vec<usize>, Vec<usize>) =
        with_status.into_iter().partition(|&i| prepared[i].ar.group.is_empty() && prepared[i].ar.kind == "Namespace");
    let pat = PatchParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
    for batch in [others, namespaces] {
        let done = for_each_bounded(&batch, |i| {
            let p = &prepared[i];
            let pat = &pat;
            async move {
                let patch = Patch::Merge(json!({ "status": p.status }));
                api_for(client, p)
                    .patch_status(&p.name, pat, &patch)
                    .await
                    .with_context(|| format!("writing the status of {}", p.what))?;
                Ok(())
            }
        })
        .await?;
        stats.status_patched += done.len();
    }

    // Terminating objects cannot be created as such; deleting them leaves them Terminating where a finalizer (or,
    // for a Pod bound to a node, the missing kubelet) holds them.
    let to_delete: Vec<usize> = (0..prepared.len()).filter(|&i| prepared[i].delete && !already_deleting[i]).collect();
    let deleted = for_each_bounded(&to_delete, |i| {
        let p = &prepared[i];
        async move {
            match api_for(client, p).delete(&p.name, &DeleteParams::default()).await {
                Ok(_) => Ok(()),
                Err(e) if is_not_found(&e) => Ok(()),
                Err(e) => Err(anyhow!(e).context(format!("deleting {}", p.what))),
            }
        }
    })
    .await?;
    stats.deleted = deleted.len();
    Ok(stats)
}

// ---------------------------------------------------------------------------------------------------------------
// Audit log

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAudit {
    #[serde(rename = "auditID", default)]
    audit_id: String,
    #[serde(default)]
    stage: String,
    #[serde(rename = "requestURI", default)]
    request_uri: String,
    #[serde(default)]
    verb: String,
    user: Option<RawUser>,
    user_agent: Option<String>,
    object_ref: Option<RawObjectRef>,
    response_status: Option<RawStatus>,
    response_object: Option<RawTypeMeta>,
}

#[derive(Deserialize)]
struct RawUser {
    #[serde(default)]
    username: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawObjectRef {
    api_group: Option<String>,
    resource: Option<String>,
    subresource: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct RawStatus {
    code: Option<u16>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTypeMeta {
    kind: Option<String>,
    api_version: Option<String>,
}

/// Parses JSON-lines audit events; lines that do not parse are skipped.
pub fn parse_audit_log(text: &str) -> Vec<AuditEvent> {
    text.lines()
        .filter_map(|line| serde_json::from_str::<RawAudit>(line).ok())
        .map(|r| {
            let object_ref = r.object_ref;
            let (api_group, resource, subresource, namespace, name) = match object_ref {
                Some(o) => (o.api_group, o.resource, o.subresource, o.namespace, o.name),
                None => (None, None, None, None, None),
            };
            AuditEvent {
                audit_id: r.audit_id,
                stage: r.stage,
                user: r.user.map(|u| u.username).unwrap_or_default(),
                verb: r.verb,
                request_uri: r.request_uri,
                user_agent: r.user_agent,
                api_group,
                resource,
                subresource,
                namespace,
                name,
                code: r.response_status.and_then(|s| s.code),
                response_kind: r.response_object.as_ref().and_then(|o| o.kind.clone()),
                response_api_version: r.response_object.and_then(|o| o.api_version),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(api_version: &str, kind: &str, ns: Option<&str>, name: &str) -> Value {
        let mut v = json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name}});
        if let Some(ns) = ns {
            v["metadata"]["namespace"] = json!(ns);
        }
        v
    }

    fn owned_by(mut v: Value, api_version: &str, kind: &str, name: &str, uid: &str) -> Value {
        v["metadata"]["ownerReferences"] =
            json!([{"apiVersion": api_version, "kind": kind, "name": name, "uid": uid, "controller": true}]);
        v
    }

    fn level_index(plan: &Plan, item: usize) -> usize {
        plan.levels.iter().position(|l| l.contains(&item)).expect("every item is planned")
    }

    /// A fixture listed dependents-first, as people write them by accident.
    fn shop() -> Vec<Value> {
        vec![
            // 0: event about the pod
            {
                let mut e = obj("v1", "Event", Some("shop"), "web-1.17a");
                e["involvedObject"] = json!({"kind": "Pod", "name": "web-1", "namespace": "shop", "uid": "old-pod"});
                e
            },
            // 1: pod owned by the ReplicaSet
            owned_by(obj("v1", "Pod", Some("shop"), "web-1"), "apps/v1", "ReplicaSet", "web-rs", "old-rs"),
            // 2: ReplicaSet owned by the Deployment
            owned_by(obj("apps/v1", "ReplicaSet", Some("shop"), "web-rs"), "apps/v1", "Deployment", "web", "old-d"),
            // 3: a webhook configuration
            obj("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", None, "deny-all"),
            // 4: Deployment
            obj("apps/v1", "Deployment", Some("shop"), "web"),
            // 5: Namespace
            obj("v1", "Namespace", None, "shop"),
            // 6: Node (cluster-scoped, no dependencies)
            obj("v1", "Node", None, "node-1"),
        ]
    }

    #[test]
    fn namespaces_first_owners_before_dependents_admission_kinds_last() {
        let items = shop();
        let plan = plan(&items).unwrap();
        assert_eq!(plan.levels[0], vec![5], "the Namespace comes alone, first");
        let l = |i| level_index(&plan, i);
        assert!(l(4) < l(2), "Deployment before its ReplicaSet");
        assert!(l(2) < l(1), "ReplicaSet before its Pod");
        assert!(l(1) < l(0), "Pod before the Event about it");
        assert_eq!(l(6), l(4), "independent objects share the first wave after Namespaces");
        assert_eq!(l(3), plan.levels.len() - 1, "webhook configurations last");
        assert_eq!(plan.levels.iter().map(Vec::len).sum::<usize>(), items.len());
    }

    #[test]
    fn links_point_at_the_referenced_items() {
        let items = shop();
        let plan = plan(&items).unwrap();
        assert_eq!(plan.links[1], vec![Link { at: "/metadata/ownerReferences/0".into(), target: 2, owner: true }]);
        assert_eq!(plan.links[0], vec![Link { at: "/involvedObject".into(), target: 1, owner: false }]);
        assert!(plan.links[4].is_empty() && plan.links[5].is_empty());
    }

    #[test]
    fn uids_are_rewritten_to_live_ones_and_foreign_ones_kept() {
        let mut items = shop();
        // A second owner that is not in the file: its uid must stay.
        items[1]["metadata"]["ownerReferences"]
            .as_array_mut()
            .unwrap()
            .push(json!({"apiVersion": "v1", "kind": "Node", "name": "elsewhere", "uid": "keep-me"}));
        let plan = plan(&items).unwrap();
        let mut live: Vec<Option<String>> = vec![None; items.len()];
        live[2] = Some("live-rs".into());
        live[1] = Some("live-pod".into());
        let mut pod = items[1].clone();
        rewrite_uids(&mut pod, &plan.links[1], &live);
        assert_eq!(pod["metadata"]["ownerReferences"][0]["uid"], "live-rs");
        assert_eq!(pod["metadata"]["ownerReferences"][0]["controller"], true);
        assert_eq!(pod["metadata"]["ownerReferences"][1]["uid"], "keep-me");
        let mut event = items[0].clone();
        rewrite_uids(&mut event, &plan.links[0], &live);
        assert_eq!(event["involvedObject"]["uid"], "live-pod");
    }

    #[test]
    fn references_match_by_fixture_uid_before_name() {
        // Two ReplicaSets with the same name in different namespaces; the fixture uid picks the right one even
        // though the pod's owner reference alone would be ambiguous by name.
        let mut a = obj("apps/v1", "ReplicaSet", Some("a"), "rs");
        a["metadata"]["uid"] = json!("uid-a");
        let mut b = obj("apps/v1", "ReplicaSet", Some("b"), "rs");
        b["metadata"]["uid"] = json!("uid-b");
        let pod = owned_by(obj("v1", "Pod", Some("a"), "p"), "apps/v1", "ReplicaSet", "rs", "uid-b");
        let items = vec![pod, a, b];
        let plan = plan(&items).unwrap();
        assert_eq!(plan.links[0][0].target, 2);
        // Without a uid match, name + namespace decide.
        let pod = owned_by(obj("v1", "Pod", Some("b"), "p"), "apps/v1", "ReplicaSet", "rs", "");
        let items = vec![pod, items[1].clone(), items[2].clone()];
        assert_eq!(super::plan(&items).unwrap().links[0][0].target, 2);
    }

    #[test]
    fn owner_references_need_the_same_namespace_or_a_cluster_scoped_owner() {
        let d = obj("apps/v1", "Deployment", Some("other"), "web");
        let rs = owned_by(obj("apps/v1", "ReplicaSet", Some("shop"), "web-rs"), "apps/v1", "Deployment", "web", "x");
        let node = obj("v1", "Node", None, "n1");
        let lease =
            owned_by(obj("coordination.k8s.io/v1", "Lease", Some("kube-node-lease"), "n1"), "v1", "Node", "n1", "x");
        let plan = plan(&[d, rs, node, lease]).unwrap();
        assert!(plan.links[1].is_empty(), "an owner in another namespace is not this one's owner");
        assert_eq!(plan.links[3][0].target, 2);
        assert!(level_index(&plan, 2) < level_index(&plan, 3));
    }

    #[test]
    fn owner_cycles_are_reported() {
        let a = owned_by(obj("v1", "ConfigMap", Some("x"), "a"), "v1", "ConfigMap", "b", "1");
        let b = owned_by(obj("v1", "ConfigMap", Some("x"), "b"), "v1", "ConfigMap", "a", "2");
        let err = plan(&[a, b]).unwrap_err().to_string();
        assert!(err.contains("cycle"), "{err}");
        assert!(err.contains("ConfigMap a") && err.contains("ConfigMap b"), "{err}");
    }

    #[test]
    fn a_non_owner_reference_cycle_is_not_an_error() {
        // An Endpoints' targetRef to a Pod that names the Endpoints as its owner (odd but legal).
        let mut ep = obj("v1", "Endpoints", Some("x"), "svc");
        ep["subsets"] =
            json!([{"addresses": [{"ip": "10.0.0.1", "targetRef": {"kind": "Pod", "name": "p", "namespace": "x"}}]}]);
        let pod = owned_by(obj("v1", "Pod", Some("x"), "p"), "v1", "Endpoints", "svc", "1");
        let plan = plan(&[ep, pod]).unwrap();
        assert_eq!(plan.levels.iter().map(Vec::len).sum::<usize>(), 2);
        assert!(level_index(&plan, 0) < level_index(&plan, 1), "the owner still comes first");
    }

    #[test]
    fn server_fields_are_stripped_and_the_rest_kept() {
        let mut v = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {
            "name": "p", "namespace": "x", "uid": "u", "resourceVersion": "5", "creationTimestamp": "2024-01-01T00:00:00Z",
            "managedFields": [], "labels": {"a": "b"}, "annotations": {"c": "d"}}, "spec": {"containers": []}});
        strip_server_fields(&mut v);
        assert_eq!(
            v,
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "x",
                "labels": {"a": "b"}, "annotations": {"c": "d"}}, "spec": {"containers": []}})
        );
    }

    #[test]
    fn fixtures_parse_from_lists_multi_doc_yaml_and_json() {
        let yaml = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n\
                    ---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\ndata: {port: \"80\"}\n---\n";
        let items = parse_fixture(yaml).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1]["data"]["port"], "80");
        let json = r#"{"kind": "List", "apiVersion": "v1", "items": [{"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "a"}}, {"kind": "PodList", "items": [{"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}]}}]}]}"#;
        let items = parse_fixture(json).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1]["kind"], "Pod");
        assert!(parse_fixture("- 1\n- 2\n").is_err());
    }

    #[test]
    fn audit_lines_parse_and_bad_lines_are_skipped() {
        let log = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/secrets?limit=500","verb":"list","user":{"username":"reader","groups":["system:authenticated"]},"userAgent":"mk","objectRef":{"resource":"secrets","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"responseObject":{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1"}}
{"truncated
{"kind":"Event","auditID":"a2","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/secrets/x","verb":"get","user":{"username":"limited"},"objectRef":{"resource":"secrets","namespace":"default","name":"x"},"responseStatus":{"code":403}}
"#;
        let events = parse_audit_log(log);
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].user, "reader");
        assert_eq!(events[0].verb, "list");
        assert_eq!(events[0].code, Some(200));
        assert_eq!(events[0].response_kind.as_deref(), Some("PartialObjectMetadataList"));
        assert_eq!(events[0].response_api_version.as_deref(), Some("meta.k8s.io/v1"));
        assert_eq!(events[1].name.as_deref(), Some("x"));
        assert_eq!(events[1].namespace.as_deref(), Some("default"));
        assert_eq!(events[1].code, Some(403));
        assert_eq!(events[1].response_kind, None);
    }

    #[test]
    fn env_files_parse() {
        let dir = std::env::temp_dir().join(format!("mk-testenv-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("env"),
            "APISERVER_URL=https://127.0.0.1:6443\nAPISERVER_PORT=6443\nETCD_PORT=2379\nADMIN_KUBECONFIG=/a\n\
             READER_KUBECONFIG=/r\nLIMITED_KUBECONFIG=/l\nAUDIT_LOG=/audit.log\nKUBECTL=/kubectl\nAPISERVER_PID=10\nETCD_PID=11\n",
        )
        .unwrap();
        let env = TestEnv::from_dir(&dir).unwrap();
        assert_eq!(env.apiserver_port, 6443);
        assert_eq!(env.reader_kubeconfig, PathBuf::from("/r"));
        assert!(env.ollama.is_none());
        std::fs::write(
            dir.join("ollama.env"),
            "OLLAMA_URL=http://127.0.0.1:1\nOLLAMA_PORT=1\nOLLAMA_PID=2\nOLLAMA_MODEL=smollm2-135m\nOLLAMA_LOG=/o.log\n",
        )
        .unwrap();
        let env = TestEnv::from_dir(&dir).unwrap();
        assert_eq!(env.ollama.unwrap().model, "smollm2-135m");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
