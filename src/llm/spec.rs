//! The part of an object's spec that a good SRE would look at for a finding, and nothing else: for Pods and
//! workloads the containers (image, command, probes, resources, env var *names*, mounts) and volumes; for
//! Services the selector and ports; for Ingresses the rules and backends; and so on. Env var values, Secret
//! data, annotations and status noise never make it into a prompt.

use k8s_openapi::Resource;
use mekhanikube_analyzers::{Kind, ObjectRef, Snapshot};
use serde_json::Value;

use super::data::Data;

/// A trimmed spec and the names it mentions (for the anonymizer), as (category, name).
#[derive(Clone, Debug, Default)]
pub struct SpecView {
    pub kind: String,
    pub data: Data,
    pub names: Vec<(String, String)>,
    pub images: Vec<String>,
    pub hosts: Vec<String>,
}

impl SpecView {
    fn name(&mut self, category: &str, name: &str) {
        if !name.is_empty() {
            self.names.push((category.to_string(), name.to_string()));
        }
    }
}

/// Largest spec rendering kept in a prompt; beyond it, containers the evidence does not mention are reduced
/// to their names, then the YAML is cut.
pub const MAX_SPEC_CHARS: usize = 3500;

/// Finds the object in the snapshot and extracts its relevant spec. `focus` lists container names the
/// evidence is about; when the spec is large, other containers are summarized.
pub fn spec_view(snapshot: &Snapshot, object: &ObjectRef, focus: &[String]) -> Option<SpecView> {
    let kind = object.table_kind()?;
    let ns = object.namespace.as_deref().unwrap_or("");
    let o = &snapshot.objects;
    let json = match kind {
        Kind::Pod => to_json(o.pods.get(ns, &object.name)),
        Kind::Deployment => to_json(o.deployments.get(ns, &object.name)),
        Kind::ReplicaSet => to_json(o.replica_sets.get(ns, &object.name)),
        Kind::StatefulSet => to_json(o.stateful_sets.get(ns, &object.name)),
        Kind::DaemonSet => to_json(o.daemon_sets.get(ns, &object.name)),
        Kind::Job => to_json(o.jobs.get(ns, &object.name)),
        Kind::CronJob => to_json(o.cron_jobs.get(ns, &object.name)),
        Kind::Service => to_json(o.services.get(ns, &object.name)),
        Kind::Ingress => to_json(o.ingresses.get(ns, &object.name)),
        Kind::PersistentVolumeClaim => to_json(o.persistent_volume_claims.get(ns, &object.name)),
        Kind::HorizontalPodAutoscaler => to_json(o.horizontal_pod_autoscalers.get(ns, &object.name)),
        Kind::Node => to_json(o.nodes.get("", &object.name)),
        Kind::ValidatingWebhookConfiguration => to_json(o.validating_webhook_configurations.get("", &object.name)),
        Kind::MutatingWebhookConfiguration => to_json(o.mutating_webhook_configurations.get("", &object.name)),
        Kind::StorageClass => to_json(o.storage_classes.get("", &object.name)),
        Kind::IngressClass => to_json(o.ingress_classes.get("", &object.name)),
        // No spec worth a prompt: the finding's evidence says it all (and a Secret has nothing to show).
        Kind::Namespace | Kind::Endpoints | Kind::EndpointSlice | Kind::ServiceAccount | Kind::Secret | Kind::Event => {
            None
        }
        Kind::ResourceQuota => to_json(o.resource_quotas.get(ns, &object.name)),
        Kind::LimitRange => to_json(o.limit_ranges.get(ns, &object.name)),
        Kind::PodDisruptionBudget => to_json(o.pod_disruption_budgets.get(ns, &object.name)),
        Kind::NetworkPolicy => to_json(o.network_policies.get(ns, &object.name)),
        // A ConfigMap holds key names only, which its findings name; the others' findings say what matters.
        Kind::ConfigMap | Kind::PersistentVolume | Kind::PriorityClass => None,
    }?;
    let mut view = view_of_json(kind.name(), &json, focus);
    if view.data.to_yaml().len() > MAX_SPEC_CHARS {
        view = view_of_json_compact(kind.name(), &json, focus);
    }
    Some(view)
}

fn to_json<T: serde::Serialize + Resource>(object: Option<&T>) -> Option<Value> {
    object.and_then(|o| serde_json::to_value(o).ok())
}

fn view_of_json_compact(kind: &str, json: &Value, focus: &[String]) -> SpecView {
    let mut view = SpecView { kind: kind.to_string(), ..SpecView::default() };
    view.data = build(&mut view, kind, json, focus, true);
    view
}

/// Builds the view from an object as JSON (as `kubectl get -o json` prints it).
pub fn view_of_json(kind: &str, json: &Value, focus: &[String]) -> SpecView {
    let mut view = SpecView { kind: kind.to_string(), ..SpecView::default() };
    view.data = build(&mut view, kind, json, focus, false);
    view
}

fn build(view: &mut SpecView, kind: &str, json: &Value, focus: &[String], compact: bool) -> Data {
    let spec = &json["spec"];
    let mut d = Data::map();
    if let Some(labels) = json["metadata"]["labels"].as_object() {
        for v in labels.values().filter_map(Value::as_str) {
            view.name("label", v);
        }
    }
    match kind {
        "Pod" => {
            d = pod_spec(view, spec, focus, compact);
            d.push("phase", s(&json["status"]["phase"]));
            if let Some(statuses) = json["status"]["containerStatuses"].as_array() {
                for cs in statuses {
                    for key in ["image", "imageID"] {
                        if let Some(img) = cs[key].as_str() {
                            view.images.push(img.trim_start_matches("docker-pullable://").to_string());
                        }
                    }
                }
            }
        }
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => {
            d.push("replicas", num(&spec["replicas"]));
            d.push("strategy", s(&spec["strategy"]["type"]).or(s(&spec["updateStrategy"]["type"])));
            d.push("serviceName", s(&spec["serviceName"]));
            d.push("selector", labels(view, &spec["selector"]["matchLabels"]));
            if let Some(vcts) = spec["volumeClaimTemplates"].as_array() {
                let list: Vec<Data> = vcts
                    .iter()
                    .map(|v| {
                        let mut m = Data::map();
                        let name = v["metadata"]["name"].as_str().unwrap_or_default();
                        view.name("volume", name);
                        m.push("name", name)
                            .push("storageClassName", s(&v["spec"]["storageClassName"]))
                            .push("accessModes", strings(&v["spec"]["accessModes"]))
                            .push("storage", s(&v["spec"]["resources"]["requests"]["storage"]));
                        m
                    })
                    .collect();
                d.push("volumeClaimTemplates", list);
            }
            d.push("template", pod_spec(view, &spec["template"]["spec"], focus, compact));
            let status = &json["status"];
            let mut st = Data::map();
            for key in [
                "replicas",
                "readyReplicas",
                "availableReplicas",
                "updatedReplicas",
                "unavailableReplicas",
                "desiredNumberScheduled",
                "numberReady",
                "numberUnavailable",
            ] {
                st.push(key, num(&status[key]));
            }
            d.push("status", st);
        }
        "Job" => {
            job_spec(&mut d, spec);
            d.push("template", pod_spec(view, &spec["template"]["spec"], focus, compact));
        }
        "CronJob" => {
            d.push("schedule", s(&spec["schedule"]))
                .push("timeZone", s(&spec["timeZone"]))
                .push("suspend", boolean(&spec["suspend"]))
                .push("concurrencyPolicy", s(&spec["concurrencyPolicy"]))
                .push("startingDeadlineSeconds", num(&spec["startingDeadlineSeconds"]));
            let job = &spec["jobTemplate"]["spec"];
            let mut j = Data::map();
            job_spec(&mut j, job);
            j.push("template", pod_spec(view, &job["template"]["spec"], focus, compact));
            d.push("jobTemplate", j);
        }
        "Service" => {
            d.push("type", s(&spec["type"]))
                .push("selector", labels(view, &spec["selector"]))
                .push("externalName", s(&spec["externalName"]));
            if let Some(h) = spec["externalName"].as_str() {
                view.hosts.push(h.to_string());
            }
            if spec["clusterIP"].as_str() == Some("None") {
                d.push("clusterIP", "None");
            }
            let ports: Vec<Data> = array(&spec["ports"])
                .map(|p| {
                    let mut m = Data::map();
                    m.push("name", s(&p["name"]))
                        .push("port", num(&p["port"]))
                        .push("targetPort", scalar(&p["targetPort"]))
                        .push("protocol", s(&p["protocol"]).filter(|p| p != "TCP"))
                        .push("nodePort", num(&p["nodePort"]));
                    m
                })
                .collect();
            d.push("ports", ports);
        }
        "Ingress" => {
            d.push("ingressClassName", s(&spec["ingressClassName"]));
            if let Some(c) = spec["ingressClassName"].as_str() {
                view.name("ingressclass", c);
            }
            d.push("defaultBackend", backend(view, &spec["defaultBackend"]));
            let rules: Vec<Data> = array(&spec["rules"])
                .map(|r| {
                    let mut m = Data::map();
                    if let Some(h) = r["host"].as_str() {
                        view.hosts.push(h.to_string());
                    }
                    m.push("host", s(&r["host"]));
                    let paths: Vec<Data> = array(&r["http"]["paths"])
                        .map(|p| {
                            let mut pm = Data::map();
                            pm.push("path", s(&p["path"]))
                                .push("pathType", s(&p["pathType"]))
                                .push("backend", backend(view, &p["backend"]));
                            pm
                        })
                        .collect();
                    m.push("paths", paths);
                    m
                })
                .collect();
            d.push("rules", rules);
            let tls: Vec<Data> = array(&spec["tls"])
                .map(|t| {
                    let mut m = Data::map();
                    for h in array(&t["hosts"]).filter_map(Value::as_str) {
                        view.hosts.push(h.to_string());
                    }
                    if let Some(sn) = t["secretName"].as_str() {
                        view.name("secret", sn);
                    }
                    m.push("hosts", strings(&t["hosts"])).push("secretName", s(&t["secretName"]));
                    m
                })
                .collect();
            d.push("tls", tls);
        }
        "PersistentVolumeClaim" => {
            if let Some(sc) = spec["storageClassName"].as_str() {
                view.name("storageclass", sc);
            }
            if let Some(v) = spec["volumeName"].as_str() {
                view.name("pv", v);
            }
            d.push("storageClassName", s(&spec["storageClassName"]))
                .push("accessModes", strings(&spec["accessModes"]))
                .push("storage", s(&spec["resources"]["requests"]["storage"]))
                .push("volumeMode", s(&spec["volumeMode"]))
                .push("volumeName", s(&spec["volumeName"]))
                .push("phase", s(&json["status"]["phase"]));
        }
        "HorizontalPodAutoscaler" => {
            let target = &spec["scaleTargetRef"];
            if let Some(n) = target["name"].as_str() {
                view.name(super::anonymize::kind_prefix(target["kind"].as_str().unwrap_or("")), n);
            }
            d.push(
                "scaleTargetRef",
                format!("{}/{}", s(&target["kind"]).unwrap_or_default(), s(&target["name"]).unwrap_or_default()),
            )
            .push("minReplicas", num(&spec["minReplicas"]))
            .push("maxReplicas", num(&spec["maxReplicas"]))
            .push("metrics", Data::from_json(&spec["metrics"]));
            let mut st = Data::map();
            st.push("currentReplicas", num(&json["status"]["currentReplicas"]))
                .push("desiredReplicas", num(&json["status"]["desiredReplicas"]));
            d.push("status", st);
        }
        "Node" => {
            d.push("unschedulable", boolean(&spec["unschedulable"]));
            let taints: Vec<Data> = array(&spec["taints"])
                .map(|t| {
                    Data::Str(format!(
                        "{}={}:{}",
                        t["key"].as_str().unwrap_or_default(),
                        t["value"].as_str().unwrap_or_default(),
                        t["effect"].as_str().unwrap_or_default()
                    ))
                })
                .collect();
            d.push("taints", taints);
            for key in ["capacity", "allocatable"] {
                let mut m = Data::map();
                for r in ["cpu", "memory", "pods", "ephemeral-storage"] {
                    m.push(r, s(&json["status"][key][r]));
                }
                d.push(key, m);
            }
        }
        "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration" => {
            let hooks: Vec<Data> = array(&json["webhooks"])
                .map(|w| {
                    let mut m = Data::map();
                    if let Some(n) = w["name"].as_str() {
                        view.name("webhook", n);
                    }
                    m.push("name", s(&w["name"]));
                    let svc = &w["clientConfig"]["service"];
                    if svc.is_object() {
                        if let Some(n) = svc["namespace"].as_str() {
                            view.name("ns", n);
                        }
                        if let Some(n) = svc["name"].as_str() {
                            view.name("service", n);
                        }
                        let mut sm = Data::map();
                        sm.push("namespace", s(&svc["namespace"]))
                            .push("name", s(&svc["name"]))
                            .push("port", num(&svc["port"]))
                            .push("path", s(&svc["path"]));
                        m.push("service", sm);
                    }
                    if let Some(u) = w["clientConfig"]["url"].as_str() {
                        view.hosts.push(u.to_string());
                        m.push("url", strip_url(u));
                    }
                    m.push("failurePolicy", s(&w["failurePolicy"]))
                        .push("timeoutSeconds", num(&w["timeoutSeconds"]))
                        .push("sideEffects", s(&w["sideEffects"]));
                    m
                })
                .collect();
            d.push("webhooks", hooks);
        }
        "StorageClass" => {
            d.push("provisioner", s(&json["provisioner"]))
                .push("volumeBindingMode", s(&json["volumeBindingMode"]))
                .push("reclaimPolicy", s(&json["reclaimPolicy"]));
        }
        "IngressClass" => {
            d.push("controller", s(&spec["controller"]));
        }
        "ResourceQuota" => {
            d.push("hard", Data::from_json(&spec["hard"]))
                .push("scopes", strings(&spec["scopes"]))
                .push("used", Data::from_json(&json["status"]["used"]));
        }
        "LimitRange" => {
            d.push("limits", Data::from_json(&spec["limits"]));
        }
        "PodDisruptionBudget" => {
            d.push("minAvailable", scalar(&spec["minAvailable"]))
                .push("maxUnavailable", scalar(&spec["maxUnavailable"]))
                .push("selector", labels(view, &spec["selector"]["matchLabels"]));
            let mut st = Data::map();
            for key in ["currentHealthy", "desiredHealthy", "expectedPods", "disruptionsAllowed"] {
                st.push(key, num(&json["status"][key]));
            }
            d.push("status", st);
        }
        "NetworkPolicy" => {
            // Label values go through `labels` so the anonymizer sees them; peers are summarized by their kind.
            d.push("podSelector", labels(view, &spec["podSelector"]["matchLabels"]))
                .push("policyTypes", strings(&spec["policyTypes"]));
            for direction in ["ingress", "egress"] {
                let peers_key = if direction == "ingress" { "from" } else { "to" };
                let rules: Vec<Data> = array(&spec[direction])
                    .map(|rule| {
                        let mut m = Data::map();
                        let ports: Vec<Data> = array(&rule["ports"])
                            .map(|p| {
                                let proto = p["protocol"].as_str().unwrap_or("TCP");
                                Data::Str(format!("{}/{proto}", scalar_string(&p["port"])))
                            })
                            .collect();
                        let peers: Vec<Data> = array(&rule[peers_key])
                            .map(|peer| {
                                let mut pm = Data::map();
                                pm.push("podSelector", labels(view, &peer["podSelector"]["matchLabels"]))
                                    .push("namespaceSelector", labels(view, &peer["namespaceSelector"]["matchLabels"]))
                                    .push("ipBlock", s(&peer["ipBlock"]["cidr"]));
                                pm
                            })
                            .collect();
                        m.push("ports", ports).push(peers_key, peers);
                        m
                    })
                    .collect();
                d.push(direction, rules);
            }
        }
        _ => {}
    }
    d
}

fn job_spec(d: &mut Data, spec: &Value) {
    d.push("completions", num(&spec["completions"]))
        .push("parallelism", num(&spec["parallelism"]))
        .push("backoffLimit", num(&spec["backoffLimit"]))
        .push("activeDeadlineSeconds", num(&spec["activeDeadlineSeconds"]));
}

fn backend(view: &mut SpecView, b: &Value) -> Data {
    let svc = &b["service"];
    if let Some(name) = svc["name"].as_str() {
        view.name("service", name);
        let port = svc["port"]["number"]
            .as_i64()
            .map(|n| n.to_string())
            .or_else(|| svc["port"]["name"].as_str().map(str::to_string))
            .unwrap_or_default();
        return Data::Str(format!("service {name}:{port}"));
    }
    if let Some(r) = b["resource"].as_object() {
        let name = r.get("name").and_then(Value::as_str).unwrap_or_default();
        view.name("object", name);
        return Data::Str(format!("{} {name}", r.get("kind").and_then(Value::as_str).unwrap_or("resource")));
    }
    Data::Null
}

/// The pod spec of a Pod or a workload's template.
fn pod_spec(view: &mut SpecView, ps: &Value, focus: &[String], compact: bool) -> Data {
    let mut d = Data::map();
    if !ps.is_object() {
        return d;
    }
    for (key, category) in
        [("serviceAccountName", "serviceaccount"), ("nodeName", "node"), ("priorityClassName", "priorityclass")]
    {
        if let Some(v) = ps[key].as_str() {
            view.name(category, v);
        }
        d.push(key, s(&ps[key]));
    }
    for kind in ["initContainers", "containers"] {
        let containers: Vec<Data> = array(&ps[kind])
            .map(|c| {
                let name = c["name"].as_str().unwrap_or_default();
                let keep_full = !compact || focus.is_empty() || focus.iter().any(|f| f == name);
                container(view, c, keep_full)
            })
            .collect();
        d.push(kind, containers);
    }
    let volumes: Vec<Data> = array(&ps["volumes"]).map(|v| volume(view, v)).collect();
    d.push("volumes", volumes);
    let pull: Vec<Data> = array(&ps["imagePullSecrets"])
        .filter_map(|s| s["name"].as_str())
        .map(|n| {
            view.name("secret", n);
            Data::str(n)
        })
        .collect();
    d.push("imagePullSecrets", pull);
    d.push("nodeSelector", labels(view, &ps["nodeSelector"]));
    let tolerations: Vec<Data> = array(&ps["tolerations"])
        .map(|t| {
            let key = t["key"].as_str().unwrap_or("*");
            let value = t["value"].as_str().map(|v| format!("={v}")).unwrap_or_default();
            let effect = t["effect"].as_str().map(|e| format!(":{e}")).unwrap_or_default();
            let op = t["operator"].as_str().filter(|o| *o == "Exists").map(|_| " (Exists)").unwrap_or_default();
            Data::Str(format!("{key}{value}{effect}{op}"))
        })
        .collect();
    d.push("tolerations", tolerations);
    if !compact {
        d.push("affinity", Data::from_json(&ps["affinity"]));
        d.push("topologySpreadConstraints", Data::from_json(&ps["topologySpreadConstraints"]));
    }
    d.push("hostNetwork", boolean(&ps["hostNetwork"]));
    d
}

fn container(view: &mut SpecView, c: &Value, full: bool) -> Data {
    let mut d = Data::map();
    let name = c["name"].as_str().unwrap_or_default();
    view.name("container", name);
    d.push("name", name);
    if let Some(img) = c["image"].as_str() {
        view.images.push(img.to_string());
    }
    d.push("image", s(&c["image"]));
    if !full {
        return d;
    }
    d.push("imagePullPolicy", s(&c["imagePullPolicy"]));
    d.push("command", redact_args(&c["command"]));
    d.push("args", redact_args(&c["args"]));
    let ports: Vec<Data> = array(&c["ports"])
        .map(|p| {
            let port = p["containerPort"].as_i64().unwrap_or_default();
            let proto = p["protocol"].as_str().filter(|p| *p != "TCP").map(|p| format!("/{p}")).unwrap_or_default();
            let name = p["name"].as_str().map(|n| format!(" ({n})")).unwrap_or_default();
            Data::Str(format!("{port}{proto}{name}"))
        })
        .collect();
    d.push("ports", ports);
    // Names only: values (and even the keys a value comes from) stay out of the prompt.
    let env: Vec<Data> = array(&c["env"])
        .map(|e| {
            let n = e["name"].as_str().unwrap_or_default();
            let from = &e["valueFrom"];
            let source = if let Some(r) = from["secretKeyRef"].as_object() {
                let sn = r.get("name").and_then(Value::as_str).unwrap_or_default();
                view.name("secret", sn);
                format!(" (from secret {sn})")
            } else if let Some(r) = from["configMapKeyRef"].as_object() {
                let cn = r.get("name").and_then(Value::as_str).unwrap_or_default();
                view.name("configmap", cn);
                format!(" (from configmap {cn})")
            } else if from["fieldRef"].is_object() {
                " (from field)".to_string()
            } else if from["resourceFieldRef"].is_object() {
                " (from resource)".to_string()
            } else {
                String::new()
            };
            Data::Str(format!("{n}{source}"))
        })
        .collect();
    d.push("env", env);
    let env_from: Vec<Data> = array(&c["envFrom"])
        .filter_map(|e| {
            if let Some(n) = e["configMapRef"]["name"].as_str() {
                view.name("configmap", n);
                Some(Data::Str(format!("configmap {n}")))
            } else if let Some(n) = e["secretRef"]["name"].as_str() {
                view.name("secret", n);
                Some(Data::Str(format!("secret {n}")))
            } else {
                None
            }
        })
        .collect();
    d.push("envFrom", env_from);
    let mut res = Data::map();
    for key in ["requests", "limits"] {
        let mut m = Data::map();
        if let Some(o) = c["resources"][key].as_object() {
            for (k, v) in o {
                m.push(k, s(v));
            }
        }
        res.push(key, m);
    }
    d.push("resources", res);
    for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
        d.push(probe, probe_view(&c[probe]));
    }
    let mounts: Vec<Data> = array(&c["volumeMounts"])
        .map(|m| {
            let ro = if m["readOnly"].as_bool() == Some(true) { " (ro)" } else { "" };
            let sub = m["subPath"].as_str().map(|s| format!(" subPath={s}")).unwrap_or_default();
            Data::Str(format!(
                "{} -> {}{sub}{ro}",
                m["name"].as_str().unwrap_or_default(),
                m["mountPath"].as_str().unwrap_or_default()
            ))
        })
        .collect();
    d.push("volumeMounts", mounts);
    d
}

fn probe_view(p: &Value) -> Data {
    if !p.is_object() {
        return Data::Null;
    }
    let mut d = Data::map();
    if let Some(h) = p["httpGet"].as_object() {
        let scheme = h.get("scheme").and_then(Value::as_str).unwrap_or("HTTP");
        let port = h.get("port").map(scalar_string).unwrap_or_default();
        let path = h.get("path").and_then(Value::as_str).unwrap_or("/");
        d.push("httpGet", format!("{scheme} :{port}{path}"));
    }
    if let Some(t) = p["tcpSocket"].as_object() {
        d.push("tcpSocket", format!(":{}", t.get("port").map(scalar_string).unwrap_or_default()));
    }
    if p["grpc"].is_object() {
        d.push("grpc", format!(":{}", scalar_string(&p["grpc"]["port"])));
    }
    d.push("exec", redact_args(&p["exec"]["command"]));
    for key in ["initialDelaySeconds", "periodSeconds", "timeoutSeconds", "failureThreshold", "successThreshold"] {
        d.push(key, num(&p[key]));
    }
    d
}

fn volume(view: &mut SpecView, v: &Value) -> Data {
    let name = v["name"].as_str().unwrap_or_default();
    let mut source = String::new();
    if let Some(o) = v.as_object() {
        for (key, val) in o.iter().filter(|(k, _)| k.as_str() != "name") {
            let refname = ["name", "secretName", "claimName", "path", "medium"].iter().find_map(|k| val[*k].as_str());
            match (key.as_str(), refname) {
                ("configMap", Some(r)) => view.name("configmap", r),
                ("secret", Some(r)) => view.name("secret", r),
                ("persistentVolumeClaim", Some(r)) => view.name("pvc", r),
                _ => {}
            }
            source = match refname {
                Some(r) => format!("{key} {r}"),
                None if key == "projected" => {
                    let parts: Vec<String> = array(&val["sources"])
                        .filter_map(|s| s.as_object())
                        .flat_map(|s| {
                            s.iter().map(|(k, v)| match v["name"].as_str() {
                                Some(n) => format!("{k} {n}"),
                                None => k.clone(),
                            })
                        })
                        .collect();
                    format!("projected [{}]", parts.join(", "))
                }
                None => key.clone(),
            };
            if val["optional"].as_bool() == Some(true) {
                source.push_str(" (optional)");
            }
        }
    }
    Data::Str(format!("{name}: {source}"))
}

fn labels(view: &mut SpecView, v: &Value) -> Data {
    let Some(o) = v.as_object() else { return Data::Null };
    let mut m = Data::map();
    for (k, val) in o {
        if let Some(s) = val.as_str() {
            view.name("label", s);
        }
        m.set(k, scalar(val));
    }
    m
}

/// Command lines may carry credentials: the snapshot already redacts them (`mekhanikube_analyzers::hygiene`), and
/// prompts redact again in case values were kept on purpose; long shell scripts are cut short.
fn redact_args(v: &Value) -> Data {
    let Some(items) = v.as_array() else { return Data::Null };
    let items: Vec<&str> = items.iter().map(|i| i.as_str().unwrap_or_default()).collect();
    let redacted = mekhanikube_analyzers::hygiene::redact_args(&items);
    Data::List(
        redacted
            .into_iter()
            .zip(&items)
            .map(|(text, original)| {
                if text.len() > 300 {
                    Data::Str(format!("{}… ({} chars)", text.chars().take(300).collect::<String>(), original.len()))
                } else {
                    Data::Str(text)
                }
            })
            .collect(),
    )
}

fn strip_url(u: &str) -> String {
    match url::Url::parse(u) {
        Ok(mut url) => {
            let _ = url.set_password(None);
            let _ = url.set_username("");
            url.set_query(None);
            url.to_string()
        }
        Err(_) => "<invalid url>".into(),
    }
}

fn array(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().map(|a| a.iter()).into_iter().flatten()
}

fn s(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

fn num(v: &Value) -> Data {
    v.as_i64().map_or(Data::Null, Data::Int)
}

fn boolean(v: &Value) -> Data {
    v.as_bool().filter(|b| *b).map_or(Data::Null, Data::Bool)
}

fn scalar(v: &Value) -> Data {
    match v {
        Value::String(s) => Data::Str(s.clone()),
        Value::Number(n) => n.as_i64().map_or(Data::Null, Data::Int),
        Value::Bool(b) => Data::Bool(*b),
        _ => Data::Null,
    }
}

fn scalar_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn strings(v: &Value) -> Data {
    Data::List(array(v).filter_map(Value::as_str).map(Data::str).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pod_view_keeps_env_names_never_values() {
        let pod = json!({
            "metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}},
            "spec": {
                "containers": [{
                    "name": "app", "image": "registry.corp/web:1.0",
                    "command": ["/bin/server"], "args": ["--db-password", "hunter2", "--token=abc", "--url=postgres://u:pw@db:5432/x"],
                    "env": [{"name": "DB_HOST", "value": "db.internal"}, {"name": "DB_PASS", "valueFrom": {"secretKeyRef": {"name": "db-creds", "key": "password"}}}],
                    "envFrom": [{"configMapRef": {"name": "web-config"}}],
                    "resources": {"limits": {"memory": "64Mi"}},
                    "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "httpHeaders": [{"name": "Authorization", "value": "Bearer s3cret"}]}, "periodSeconds": 5},
                    "volumeMounts": [{"name": "cfg", "mountPath": "/etc/web", "readOnly": true}]
                }],
                "volumes": [{"name": "cfg", "configMap": {"name": "web-files"}}],
                "nodeSelector": {"disktype": "ssd"}
            },
            "status": {"phase": "Running"}
        });
        let view = view_of_json("Pod", &pod, &[]);
        let yaml = view.data.to_yaml();
        for secret in ["db.internal", "hunter2", "abc", "pw@", "s3cret", "key: password"] {
            assert!(!yaml.contains(secret), "{secret} leaked:\n{yaml}");
        }
        for kept in [
            "DB_HOST",
            "DB_PASS (from secret db-creds)",
            "configmap web-config",
            "HTTP :8080/healthz",
            "cfg: configMap web-files",
            "64Mi",
            "cfg -> /etc/web (ro)",
            "disktype",
            "--token=<redacted>",
        ] {
            assert!(yaml.contains(kept), "{kept} missing:\n{yaml}");
        }
        assert!(view.names.iter().any(|(c, n)| c == "secret" && n == "db-creds"));
        assert!(view.names.iter().any(|(c, n)| c == "label" && n == "web"));
        assert_eq!(view.images, vec!["registry.corp/web:1.0"]);
    }

    #[test]
    fn service_and_ingress_views() {
        let svc = json!({"spec": {"type": "ClusterIP", "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}});
        let yaml = view_of_json("Service", &svc, &[]).data.to_yaml();
        assert!(yaml.contains("app: web") && yaml.contains("targetPort: 8080"), "{yaml}");
        let ing = json!({"spec": {"ingressClassName": "nginx", "rules": [{"host": "shop.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}});
        let view = view_of_json("Ingress", &ing, &[]);
        let yaml = view.data.to_yaml();
        assert!(yaml.contains("service web:80") && yaml.contains("shop.example.com"), "{yaml}");
        assert_eq!(view.hosts, vec!["shop.example.com"]);
    }
}
