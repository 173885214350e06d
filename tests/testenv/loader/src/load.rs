//! Loading fixtures as the admin: parsing, ordering by dependency (the `plan` submodule), creating, then /status
//! patches.

mod plan;

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use futures::{StreamExt, stream};
use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Discovery, Scope};
use serde_json::{Value, json};

use crate::TestEnv;
use plan::{plan, rewrite_uids, str_at, strip_server_fields};

/// Requests in flight at once while loading; enough to hide latency without swamping a 2-core machine.
const CONCURRENCY: usize = 16;
const FIELD_MANAGER: &str = "mekhanikube-testenv";

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

impl TestEnv {
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

/// CustomResourceDefinitions first, then (once discovery serves every kind they define) the rest, so a fixture can
/// hold both a CRD and its objects.
async fn load_items(client: &Client, items: Vec<Value>) -> Result<LoadStats> {
    let (crds, rest): (Vec<Value>, Vec<Value>) = items.into_iter().partition(is_crd);
    if crds.is_empty() {
        return load_resolved(client, rest).await;
    }
    let wanted: Vec<GroupVersionKind> = crds.iter().flat_map(served_kinds).collect();
    let first = load_resolved(client, crds).await?;
    wait_until_served(client, &wanted).await?;
    let second = load_resolved(client, rest).await?;
    Ok(LoadStats {
        created: first.created + second.created,
        status_patched: first.status_patched + second.status_patched,
        existing: first.existing + second.existing,
        deleted: first.deleted + second.deleted,
    })
}

fn is_crd(v: &Value) -> bool {
    str_at(v, "/apiVersion").is_some_and(|a| a.starts_with("apiextensions.k8s.io/"))
        && str_at(v, "/kind") == Some("CustomResourceDefinition")
}

/// Every served version's kind a CRD defines.
fn served_kinds(crd: &Value) -> Vec<GroupVersionKind> {
    let group = str_at(crd, "/spec/group").unwrap_or_default();
    let kind = str_at(crd, "/spec/names/kind").unwrap_or_default();
    let versions = crd.pointer("/spec/versions").and_then(Value::as_array).cloned().unwrap_or_default();
    versions
        .iter()
        .filter(|v| v.get("served").and_then(Value::as_bool).unwrap_or(true))
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .map(|version| GroupVersionKind::gvk(group, version, kind))
        .collect()
}

/// A new CRD is served once it is Established, a moment after it is created; polls discovery for up to 30 s.
async fn wait_until_served(client: &Client, wanted: &[GroupVersionKind]) -> Result<()> {
    for _ in 0..150 {
        let discovery = discover(client).await?;
        if wanted.iter().all(|gvk| discovery.resolve_gvk(gvk).is_some()) {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    bail!("the API server did not serve {wanted:?} within 30 s of creating their CRDs")
}

async fn load_resolved(client: &Client, items: Vec<Value>) -> Result<LoadStats> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
