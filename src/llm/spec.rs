//! The part of an object's spec that a good SRE would look at for a finding, and nothing else: for Pods and
//! workloads the containers (image, command, probes, resources, env var *names*, mounts) and volumes; for
//! Services the selector and ports; for Ingresses the rules and backends; and so on. Env var values, Secret
//! data, annotations and status noise never make it into a prompt. Each view reads the typed object, so a
//! field that does not exist is a compile error, not a silently empty prompt.

use std::collections::BTreeMap;

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration, WebhookClientConfig,
};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{
    LimitRange, Node, PersistentVolumeClaim, PersistentVolumeClaimSpec, Probe, ResourceQuota, Service, Toleration,
};
use k8s_openapi::api::networking::v1::{
    Ingress, IngressBackend, IngressClass, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort,
};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use mekhanikube_analyzers::{Kind, ObjectRef, Objects, Snapshot};
use serde_json::Value;

use super::data::Data;
use mekhanikube_analyzers::model::{
    Container, CronJob, DaemonSet, Deployment, EnvVar, Job, JobSpec, Pod, PodSpec, ReplicaSet, StatefulSet, Volume,
};

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
    let ns = if kind.namespaced() { object.namespace.as_deref().unwrap_or("") } else { "" };
    let view = build(&snapshot.objects, kind, ns, &object.name, focus, false)?;
    if view.data.to_yaml().len() > MAX_SPEC_CHARS {
        return build(&snapshot.objects, kind, ns, &object.name, focus, true);
    }
    Some(view)
}

fn build(o: &Objects, kind: Kind, ns: &str, name: &str, focus: &[String], compact: bool) -> Option<SpecView> {
    let mut v = Viewer { view: SpecView { kind: kind.name().to_string(), ..SpecView::default() }, focus, compact };
    let data = match kind {
        Kind::Pod => v.pod(o.pods.get(ns, name)?),
        Kind::Deployment => v.deployment(o.deployments.get(ns, name)?),
        Kind::ReplicaSet => v.replica_set(o.replica_sets.get(ns, name)?),
        Kind::StatefulSet => v.stateful_set(o.stateful_sets.get(ns, name)?),
        Kind::DaemonSet => v.daemon_set(o.daemon_sets.get(ns, name)?),
        Kind::Job => v.job(o.jobs.get(ns, name)?),
        Kind::CronJob => v.cron_job(o.cron_jobs.get(ns, name)?),
        Kind::Service => v.service(o.services.get(ns, name)?),
        Kind::Ingress => v.ingress(o.ingresses.get(ns, name)?),
        Kind::PersistentVolumeClaim => v.pvc(o.persistent_volume_claims.get(ns, name)?),
        Kind::HorizontalPodAutoscaler => v.hpa(o.horizontal_pod_autoscalers.get(ns, name)?),
        Kind::Node => v.node(o.nodes.get("", name)?),
        Kind::ValidatingWebhookConfiguration => v.validating(o.validating_webhook_configurations.get("", name)?),
        Kind::MutatingWebhookConfiguration => v.mutating(o.mutating_webhook_configurations.get("", name)?),
        Kind::StorageClass => v.storage_class(o.storage_classes.get("", name)?),
        Kind::IngressClass => v.ingress_class(o.ingress_classes.get("", name)?),
        Kind::ResourceQuota => v.resource_quota(o.resource_quotas.get(ns, name)?),
        Kind::LimitRange => v.limit_range(o.limit_ranges.get(ns, name)?),
        Kind::PodDisruptionBudget => v.pdb(o.pod_disruption_budgets.get(ns, name)?),
        Kind::NetworkPolicy => v.network_policy(o.network_policies.get(ns, name)?),
        // No spec worth a prompt: the finding's evidence says it all (and a Secret has nothing to show; a ConfigMap
        // holds key names only, which its findings name).
        Kind::Namespace
        | Kind::Endpoints
        | Kind::EndpointSlice
        | Kind::ServiceAccount
        | Kind::Secret
        | Kind::Event
        | Kind::ConfigMap
        | Kind::PersistentVolume
        | Kind::PriorityClass
        // An admission policy's findings carry the expression, binding and parameter they are about.
        | Kind::ValidatingAdmissionPolicy
        | Kind::ValidatingAdmissionPolicyBinding => {
            return None;
        }
    };
    v.view.data = data;
    Some(v.view)
}

/// Builds one view, noting every name it shows for the anonymizer in the order it shows them (token numbers
/// follow that order).
struct Viewer<'a> {
    view: SpecView,
    focus: &'a [String],
    compact: bool,
}

impl Viewer<'_> {
    fn labels_of(&mut self, meta: &ObjectMeta) {
        for value in meta.labels.iter().flatten().map(|(_, v)| v) {
            self.view.name("label", value);
        }
    }

    fn pod(&mut self, pod: &Pod) -> Data {
        self.labels_of(&pod.metadata);
        let mut d = self.pod_spec(pod.spec.as_ref());
        let status = pod.status.as_ref();
        d.push("phase", status.and_then(|s| s.phase.clone()));
        for cs in status.and_then(|s| s.container_statuses.as_ref()).into_iter().flatten() {
            for image in [&cs.image, &cs.image_id] {
                self.view.images.push(image.trim_start_matches("docker-pullable://").to_string());
            }
        }
        d
    }

    fn deployment(&mut self, o: &Deployment) -> Data {
        self.labels_of(&o.metadata);
        let spec = o.spec.as_ref();
        let mut d = Data::map();
        d.push("replicas", spec.and_then(|s| s.replicas))
            .push("strategy", spec.and_then(|s| s.strategy.as_ref()).and_then(|s| s.type_.clone()));
        let selector = spec.and_then(|s| s.selector.match_labels.as_ref());
        d.push("selector", self.labels(selector));
        d.push("template", self.pod_spec(spec.and_then(|s| s.template.spec.as_ref())));
        let st = o.status.as_ref();
        d.push(
            "status",
            counts(&[
                ("replicas", st.and_then(|s| s.replicas)),
                ("readyReplicas", st.and_then(|s| s.ready_replicas)),
                ("availableReplicas", st.and_then(|s| s.available_replicas)),
                ("updatedReplicas", st.and_then(|s| s.updated_replicas)),
                ("unavailableReplicas", st.and_then(|s| s.unavailable_replicas)),
            ]),
        );
        d
    }

    fn replica_set(&mut self, o: &ReplicaSet) -> Data {
        self.labels_of(&o.metadata);
        let spec = o.spec.as_ref();
        let mut d = Data::map();
        d.push("replicas", spec.and_then(|s| s.replicas));
        d.push("selector", self.labels(spec.and_then(|s| s.selector.match_labels.as_ref())));
        d.push("template", self.pod_spec(spec.and_then(|s| s.template.as_ref()).and_then(|t| t.spec.as_ref())));
        let st = o.status.as_ref();
        d.push(
            "status",
            counts(&[
                ("replicas", st.map(|s| s.replicas)),
                ("readyReplicas", st.and_then(|s| s.ready_replicas)),
                ("availableReplicas", st.and_then(|s| s.available_replicas)),
            ]),
        );
        d
    }

    fn stateful_set(&mut self, o: &StatefulSet) -> Data {
        self.labels_of(&o.metadata);
        let spec = o.spec.as_ref();
        let mut d = Data::map();
        d.push("replicas", spec.and_then(|s| s.replicas))
            .push("strategy", spec.and_then(|s| s.update_strategy.as_ref()).and_then(|s| s.type_.clone()))
            .push("serviceName", spec.and_then(|s| s.service_name.clone()));
        d.push("selector", self.labels(spec.and_then(|s| s.selector.match_labels.as_ref())));
        let templates = spec.and_then(|s| s.volume_claim_templates.as_ref());
        if let Some(templates) = templates {
            let list: Vec<Data> = templates
                .iter()
                .map(|t| {
                    let name = t.metadata.name.as_deref().unwrap_or_default();
                    self.view.name("volume", name);
                    let pvc = t.spec.as_ref();
                    let mut m = Data::map();
                    m.push("name", name)
                        .push("storageClassName", pvc.and_then(|s| s.storage_class_name.clone()))
                        .push("accessModes", pvc.and_then(|s| s.access_modes.clone()))
                        .push("storage", pvc.and_then(requested_storage));
                    m
                })
                .collect();
            d.push("volumeClaimTemplates", list);
        }
        d.push("template", self.pod_spec(spec.and_then(|s| s.template.spec.as_ref())));
        let st = o.status.as_ref();
        d.push(
            "status",
            counts(&[
                ("replicas", st.map(|s| s.replicas)),
                ("readyReplicas", st.and_then(|s| s.ready_replicas)),
                ("availableReplicas", st.and_then(|s| s.available_replicas)),
                ("updatedReplicas", st.and_then(|s| s.updated_replicas)),
            ]),
        );
        d
    }

    fn daemon_set(&mut self, o: &DaemonSet) -> Data {
        self.labels_of(&o.metadata);
        let spec = o.spec.as_ref();
        let mut d = Data::map();
        d.push("strategy", spec.and_then(|s| s.update_strategy.as_ref()).and_then(|s| s.type_.clone()));
        d.push("selector", self.labels(spec.and_then(|s| s.selector.match_labels.as_ref())));
        d.push("template", self.pod_spec(spec.and_then(|s| s.template.spec.as_ref())));
        let st = o.status.as_ref();
        d.push(
            "status",
            counts(&[
                ("desiredNumberScheduled", st.map(|s| s.desired_number_scheduled)),
                ("numberReady", st.map(|s| s.number_ready)),
                ("numberUnavailable", st.and_then(|s| s.number_unavailable)),
            ]),
        );
        d
    }

    fn job(&mut self, o: &Job) -> Data {
        self.labels_of(&o.metadata);
        self.job_spec(o.spec.as_ref())
    }

    fn job_spec(&mut self, spec: Option<&JobSpec>) -> Data {
        let mut d = Data::map();
        d.push("completions", spec.and_then(|s| s.completions))
            .push("parallelism", spec.and_then(|s| s.parallelism))
            .push("backoffLimit", spec.and_then(|s| s.backoff_limit))
            .push("activeDeadlineSeconds", spec.and_then(|s| s.active_deadline_seconds));
        d.push("template", self.pod_spec(spec.and_then(|s| s.template.spec.as_ref())));
        d
    }

    fn cron_job(&mut self, o: &CronJob) -> Data {
        self.labels_of(&o.metadata);
        let spec = Some(&o.spec);
        let mut d = Data::map();
        d.push("schedule", spec.map(|s| s.schedule.as_str()))
            .push("timeZone", spec.and_then(|s| s.time_zone.clone()))
            .push("suspend", spec.and_then(|s| s.suspend).filter(|s| *s))
            .push("concurrencyPolicy", spec.and_then(|s| s.concurrency_policy.clone()))
            .push("startingDeadlineSeconds", spec.and_then(|s| s.starting_deadline_seconds));
        d.push("jobTemplate", self.job_spec(spec.and_then(|s| s.job_template.spec.as_ref())));
        d
    }

    fn service(&mut self, o: &Service) -> Data {
        self.labels_of(&o.metadata);
        let spec = o.spec.as_ref();
        let mut d = Data::map();
        d.push("type", spec.and_then(|s| s.type_.clone()));
        d.push("selector", self.labels(spec.and_then(|s| s.selector.as_ref())));
        let external = spec.and_then(|s| s.external_name.clone());
        d.push("externalName", external.clone());
        if let Some(host) = external {
            self.view.hosts.push(host);
        }
        if spec.and_then(|s| s.cluster_ip.as_deref()) == Some("None") {
            d.push("clusterIP", "None");
        }
        let ports: Vec<Data> = spec
            .and_then(|s| s.ports.as_ref())
            .into_iter()
            .flatten()
            .map(|p| {
                let mut m = Data::map();
                m.push("name", p.name.clone())
                    .push("port", p.port)
                    .push("targetPort", p.target_port.as_ref().map(int_or_string))
                    .push("protocol", p.protocol.clone().filter(|p| p != "TCP"))
                    .push("nodePort", p.node_port);
                m
            })
            .collect();
        d.push("ports", ports);
        d
    }

    fn ingress(&mut self, o: &Ingress) -> Data {
        self.labels_of(&o.metadata);
        let spec = o.spec.as_ref();
        let mut d = Data::map();
        let class = spec.and_then(|s| s.ingress_class_name.as_deref());
        d.push("ingressClassName", class);
        if let Some(c) = class {
            self.view.name("ingressclass", c);
        }
        let default_backend = spec.and_then(|s| s.default_backend.as_ref()).map(|b| self.backend(b));
        d.push("defaultBackend", default_backend);
        let rules: Vec<Data> = spec
            .and_then(|s| s.rules.as_ref())
            .into_iter()
            .flatten()
            .map(|r| {
                let mut m = Data::map();
                if let Some(h) = &r.host {
                    self.view.hosts.push(h.clone());
                }
                m.push("host", r.host.clone());
                let paths: Vec<Data> = r
                    .http
                    .iter()
                    .flat_map(|h| &h.paths)
                    .map(|p| {
                        let mut pm = Data::map();
                        pm.push("path", p.path.clone())
                            .push("pathType", p.path_type.as_str())
                            .push("backend", self.backend(&p.backend));
                        pm
                    })
                    .collect();
                m.push("paths", paths);
                m
            })
            .collect();
        d.push("rules", rules);
        let tls: Vec<Data> = spec
            .and_then(|s| s.tls.as_ref())
            .into_iter()
            .flatten()
            .map(|t| {
                self.view.hosts.extend(t.hosts.iter().flatten().cloned());
                if let Some(secret) = &t.secret_name {
                    self.view.name("secret", secret);
                }
                let mut m = Data::map();
                m.push("hosts", t.hosts.clone()).push("secretName", t.secret_name.clone());
                m
            })
            .collect();
        d.push("tls", tls);
        d
    }

    fn backend(&mut self, b: &IngressBackend) -> Data {
        if let Some(svc) = &b.service {
            self.view.name("service", &svc.name);
            let port = svc.port.as_ref();
            let port = port.and_then(|p| p.number.map(|n| n.to_string()).or_else(|| p.name.clone()));
            return Data::Str(format!("service {}:{}", svc.name, port.unwrap_or_default()));
        }
        if let Some(r) = &b.resource {
            self.view.name("object", &r.name);
            return Data::Str(format!("{} {}", r.kind, r.name));
        }
        Data::Null
    }

    fn pvc(&mut self, o: &PersistentVolumeClaim) -> Data {
        self.labels_of(&o.metadata);
        let spec = o.spec.as_ref();
        let class = spec.and_then(|s| s.storage_class_name.clone());
        let volume = spec.and_then(|s| s.volume_name.clone());
        if let Some(sc) = &class {
            self.view.name("storageclass", sc);
        }
        if let Some(v) = &volume {
            self.view.name("pv", v);
        }
        let mut d = Data::map();
        d.push("storageClassName", class)
            .push("accessModes", spec.and_then(|s| s.access_modes.clone()))
            .push("storage", spec.and_then(requested_storage))
            .push("volumeMode", spec.and_then(|s| s.volume_mode.clone()))
            .push("volumeName", volume)
            .push("phase", o.status.as_ref().and_then(|s| s.phase.clone()));
        d
    }

    fn hpa(&mut self, o: &HorizontalPodAutoscaler) -> Data {
        self.labels_of(&o.metadata);
        let mut d = Data::map();
        let spec = &o.spec;
        let target = &spec.scale_target_ref;
        self.view.name(super::anonymize::kind_prefix(&target.kind), &target.name);
        d.push("scaleTargetRef", format!("{}/{}", target.kind, target.name))
            .push("minReplicas", spec.min_replicas)
            .push("maxReplicas", spec.max_replicas)
            .push("metrics", spec.metrics.as_ref().map(json));
        let st = o.status.as_ref();
        d.push(
            "status",
            counts(&[
                ("currentReplicas", st.and_then(|s| s.current_replicas)),
                ("desiredReplicas", st.map(|s| s.desired_replicas)),
            ]),
        );
        d
    }

    fn node(&mut self, o: &Node) -> Data {
        self.labels_of(&o.metadata);
        let spec = o.spec.as_ref();
        let mut d = Data::map();
        d.push("unschedulable", spec.and_then(|s| s.unschedulable).filter(|u| *u));
        let taints: Vec<String> = spec
            .and_then(|s| s.taints.as_ref())
            .into_iter()
            .flatten()
            .map(|t| format!("{}={}:{}", t.key, t.value.as_deref().unwrap_or_default(), t.effect))
            .collect();
        d.push("taints", taints);
        let status = o.status.as_ref();
        for (key, amounts) in [
            ("capacity", status.and_then(|s| s.capacity.as_ref())),
            ("allocatable", status.and_then(|s| s.allocatable.as_ref())),
        ] {
            let mut m = Data::map();
            for r in ["cpu", "memory", "pods", "ephemeral-storage"] {
                m.push(r, amounts.and_then(|a| a.get(r)).map(|q| q.0.as_str()));
            }
            d.push(key, m);
        }
        d
    }

    fn validating(&mut self, o: &ValidatingWebhookConfiguration) -> Data {
        self.labels_of(&o.metadata);
        let hooks =
            o.webhooks.iter().flatten().map(|w| {
                self.webhook(&w.name, &w.client_config, &w.failure_policy, w.timeout_seconds, &w.side_effects)
            });
        let mut d = Data::map();
        d.push("webhooks", hooks.collect::<Vec<_>>());
        d
    }

    fn mutating(&mut self, o: &MutatingWebhookConfiguration) -> Data {
        self.labels_of(&o.metadata);
        let hooks =
            o.webhooks.iter().flatten().map(|w| {
                self.webhook(&w.name, &w.client_config, &w.failure_policy, w.timeout_seconds, &w.side_effects)
            });
        let mut d = Data::map();
        d.push("webhooks", hooks.collect::<Vec<_>>());
        d
    }

    /// One webhook of either configuration kind (they share these fields but not a type).
    fn webhook(
        &mut self,
        name: &str,
        client: &WebhookClientConfig,
        failure_policy: &Option<String>,
        timeout_seconds: Option<i32>,
        side_effects: &str,
    ) -> Data {
        self.view.name("webhook", name);
        let mut m = Data::map();
        m.push("name", name);
        if let Some(svc) = &client.service {
            self.view.name("ns", &svc.namespace);
            self.view.name("service", &svc.name);
            let mut sm = Data::map();
            sm.push("namespace", svc.namespace.as_str())
                .push("name", svc.name.as_str())
                .push("port", svc.port)
                .push("path", svc.path.clone());
            m.push("service", sm);
        }
        if let Some(url) = &client.url {
            self.view.hosts.push(url.clone());
            m.push("url", strip_url(url));
        }
        m.push("failurePolicy", failure_policy.clone())
            .push("timeoutSeconds", timeout_seconds)
            .push("sideEffects", side_effects);
        m
    }

    fn storage_class(&mut self, o: &StorageClass) -> Data {
        self.labels_of(&o.metadata);
        let mut d = Data::map();
        d.push("provisioner", o.provisioner.as_str())
            .push("volumeBindingMode", o.volume_binding_mode.clone())
            .push("reclaimPolicy", o.reclaim_policy.clone());
        d
    }

    fn ingress_class(&mut self, o: &IngressClass) -> Data {
        self.labels_of(&o.metadata);
        let mut d = Data::map();
        d.push("controller", o.spec.as_ref().and_then(|s| s.controller.clone()));
        d
    }

    fn resource_quota(&mut self, o: &ResourceQuota) -> Data {
        self.labels_of(&o.metadata);
        let spec = o.spec.as_ref();
        let mut d = Data::map();
        d.push("hard", spec.and_then(|s| s.hard.as_ref()).map(json))
            .push("scopes", spec.and_then(|s| s.scopes.clone()))
            .push("used", o.status.as_ref().and_then(|s| s.used.as_ref()).map(json));
        d
    }

    fn limit_range(&mut self, o: &LimitRange) -> Data {
        self.labels_of(&o.metadata);
        let mut d = Data::map();
        d.push("limits", o.spec.as_ref().map(|s| json(&s.limits)));
        d
    }

    fn pdb(&mut self, o: &PodDisruptionBudget) -> Data {
        self.labels_of(&o.metadata);
        let spec = o.spec.as_ref();
        let mut d = Data::map();
        d.push("minAvailable", spec.and_then(|s| s.min_available.as_ref()).map(int_or_string))
            .push("maxUnavailable", spec.and_then(|s| s.max_unavailable.as_ref()).map(int_or_string));
        let selector = spec.and_then(|s| s.selector.as_ref()).and_then(|s| s.match_labels.as_ref());
        d.push("selector", self.labels(selector));
        let st = o.status.as_ref();
        d.push(
            "status",
            counts(&[
                ("currentHealthy", st.and_then(|s| s.current_healthy)),
                ("desiredHealthy", st.and_then(|s| s.desired_healthy)),
                ("expectedPods", st.and_then(|s| s.expected_pods)),
                ("disruptionsAllowed", st.and_then(|s| s.disruptions_allowed)),
            ]),
        );
        d
    }

    /// Label values go through `labels` so the anonymizer sees them; peers are summarized by their selectors.
    fn network_policy(&mut self, o: &NetworkPolicy) -> Data {
        self.labels_of(&o.metadata);
        let spec = o.spec.as_ref();
        let mut d = Data::map();
        let selected = spec.and_then(|s| s.pod_selector.as_ref()).and_then(|s| s.match_labels.as_ref());
        d.push("podSelector", self.labels(selected)).push("policyTypes", spec.and_then(|s| s.policy_types.clone()));
        let ingress: Vec<Data> = spec
            .and_then(|s| s.ingress.as_ref())
            .into_iter()
            .flatten()
            .map(|r| self.policy_rule("from", r.ports.as_deref(), r.from.as_deref()))
            .collect();
        d.push("ingress", ingress);
        let egress: Vec<Data> = spec
            .and_then(|s| s.egress.as_ref())
            .into_iter()
            .flatten()
            .map(|r| self.policy_rule("to", r.ports.as_deref(), r.to.as_deref()))
            .collect();
        d.push("egress", egress);
        d
    }

    fn policy_rule(
        &mut self,
        peers_key: &str,
        ports: Option<&[NetworkPolicyPort]>,
        peers: Option<&[NetworkPolicyPeer]>,
    ) -> Data {
        let ports: Vec<String> = ports
            .into_iter()
            .flatten()
            .map(|p| {
                let port = p.port.as_ref().map(int_or_string_text).unwrap_or_default();
                format!("{port}/{}", p.protocol.as_deref().unwrap_or("TCP"))
            })
            .collect();
        let peers: Vec<Data> = peers
            .into_iter()
            .flatten()
            .map(|peer| {
                let mut pm = Data::map();
                let pods = peer.pod_selector.as_ref().and_then(|s| s.match_labels.as_ref());
                pm.push("podSelector", self.labels(pods));
                let namespaces = peer.namespace_selector.as_ref().and_then(|s| s.match_labels.as_ref());
                pm.push("namespaceSelector", self.labels(namespaces))
                    .push("ipBlock", peer.ip_block.as_ref().map(|b| b.cidr.as_str()));
                pm
            })
            .collect();
        let mut m = Data::map();
        m.push("ports", ports).push(peers_key, peers);
        m
    }

    /// The pod spec of a Pod or a workload's template.
    fn pod_spec(&mut self, ps: Option<&PodSpec>) -> Data {
        let mut d = Data::map();
        let Some(ps) = ps else { return d };
        for (key, category, value) in [
            ("serviceAccountName", "serviceaccount", ps.service_account_name.as_deref()),
            ("nodeName", "node", ps.node_name.as_deref()),
            ("priorityClassName", "priorityclass", ps.priority_class_name.as_deref()),
        ] {
            if let Some(v) = value {
                self.view.name(category, v);
            }
            d.push(key, value);
        }
        for (key, containers) in
            [("initContainers", ps.init_containers.as_deref()), ("containers", Some(&ps.containers[..]))]
        {
            let list: Vec<Data> = containers
                .into_iter()
                .flatten()
                .map(|c| {
                    let full = !self.compact || self.focus.is_empty() || self.focus.contains(&c.name);
                    self.container(c, full)
                })
                .collect();
            d.push(key, list);
        }
        let volumes: Vec<Data> = ps.volumes.iter().flatten().map(|v| self.volume(v)).collect();
        d.push("volumes", volumes);
        let pull: Vec<Data> = ps
            .image_pull_secrets
            .iter()
            .flatten()
            .map(|s| {
                self.view.name("secret", &s.name);
                Data::str(&s.name)
            })
            .collect();
        d.push("imagePullSecrets", pull);
        d.push("nodeSelector", self.labels(ps.node_selector.as_ref()));
        let tolerations: Vec<String> = ps.tolerations.iter().flatten().map(toleration).collect();
        d.push("tolerations", tolerations);
        if !self.compact {
            d.push("affinity", ps.affinity.as_ref().map(json));
            d.push("topologySpreadConstraints", ps.topology_spread_constraints.as_ref().map(json));
        }
        d.push("hostNetwork", ps.host_network.filter(|h| *h));
        d
    }

    fn container(&mut self, c: &Container, full: bool) -> Data {
        let mut d = Data::map();
        self.view.name("container", &c.name);
        d.push("name", c.name.as_str());
        if let Some(image) = &c.image {
            self.view.images.push(image.clone());
        }
        d.push("image", c.image.clone());
        if !full {
            return d;
        }
        d.push("imagePullPolicy", c.image_pull_policy.clone())
            .push("command", c.command.as_deref().map(redact_args))
            .push("args", c.args.as_deref().map(redact_args));
        let ports: Vec<String> = c
            .ports
            .iter()
            .flatten()
            .map(|p| {
                let proto = p.protocol.as_deref().filter(|p| *p != "TCP").map(|p| format!("/{p}")).unwrap_or_default();
                let name = p.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
                format!("{}{proto}{name}", p.container_port)
            })
            .collect();
        d.push("ports", ports);
        // Names only: values (and even the keys a value comes from) stay out of the prompt.
        let env: Vec<String> = c.env.iter().flatten().map(|e| format!("{}{}", e.name, self.env_source(e))).collect();
        d.push("env", env);
        let env_from: Vec<String> = c
            .env_from
            .iter()
            .flatten()
            .filter_map(|e| {
                if let Some(r) = &e.config_map_ref {
                    self.view.name("configmap", &r.name);
                    Some(format!("configmap {}", r.name))
                } else if let Some(r) = &e.secret_ref {
                    self.view.name("secret", &r.name);
                    Some(format!("secret {}", r.name))
                } else {
                    None
                }
            })
            .collect();
        d.push("envFrom", env_from);
        let mut res = Data::map();
        let resources = c.resources.as_ref();
        for (key, amounts) in [
            ("requests", resources.and_then(|r| r.requests.as_ref())),
            ("limits", resources.and_then(|r| r.limits.as_ref())),
        ] {
            let mut m = Data::map();
            for (name, q) in amounts.into_iter().flatten() {
                m.push(name, q.0.as_str());
            }
            res.push(key, m);
        }
        d.push("resources", res);
        for (key, probe) in [
            ("startupProbe", &c.startup_probe),
            ("livenessProbe", &c.liveness_probe),
            ("readinessProbe", &c.readiness_probe),
        ] {
            d.push(key, probe.as_deref().map(probe_view));
        }
        let mounts: Vec<String> = c
            .volume_mounts
            .iter()
            .flatten()
            .map(|m| {
                let ro = if m.read_only == Some(true) { " (ro)" } else { "" };
                let sub = m.sub_path.as_deref().map(|s| format!(" subPath={s}")).unwrap_or_default();
                format!("{} -> {}{sub}{ro}", m.name, m.mount_path)
            })
            .collect();
        d.push("volumeMounts", mounts);
        d
    }

    /// Where an env var's value comes from, by name only.
    fn env_source(&mut self, e: &EnvVar) -> String {
        let Some(from) = &e.value_from else { return String::new() };
        if let Some(r) = &from.secret_key_ref {
            self.view.name("secret", &r.name);
            format!(" (from secret {})", r.name)
        } else if let Some(r) = &from.config_map_key_ref {
            self.view.name("configmap", &r.name);
            format!(" (from configmap {})", r.name)
        } else if from.field_ref.is_some() {
            " (from field)".to_string()
        } else if from.resource_field_ref.is_some() {
            " (from resource)".to_string()
        } else {
            String::new()
        }
    }

    /// `name: source ref`. A volume's source is a union of some thirty optional fields, so it is named from the
    /// volume's JSON form: every source has the same shape there (a key and a referenced name, if any).
    fn volume(&mut self, v: &Volume) -> Data {
        let json = serde_json::to_value(v).unwrap_or_default();
        let mut source = String::new();
        for (key, val) in json.as_object().into_iter().flatten().filter(|(k, _)| k.as_str() != "name") {
            let refname = ["name", "secretName", "claimName", "path", "medium"].iter().find_map(|k| val[*k].as_str());
            match (key.as_str(), refname) {
                ("configMap", Some(r)) => self.view.name("configmap", r),
                ("secret", Some(r)) => self.view.name("secret", r),
                ("persistentVolumeClaim", Some(r)) => self.view.name("pvc", r),
                _ => {}
            }
            source = match refname {
                Some(r) => format!("{key} {r}"),
                None if key == "projected" => {
                    let sources = val["sources"].as_array().into_iter().flatten().filter_map(Value::as_object);
                    let parts: Vec<String> = sources
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
        Data::Str(format!("{}: {source}", v.name))
    }

    fn labels(&mut self, labels: Option<&BTreeMap<String, String>>) -> Data {
        let Some(labels) = labels else { return Data::Null };
        let mut m = Data::map();
        for (k, v) in labels {
            self.view.name("label", v);
            m.set(k, v.as_str());
        }
        m
    }
}

/// Replica counters in a fixed order; absent ones left out.
fn counts(counts: &[(&str, Option<i32>)]) -> Data {
    let mut m = Data::map();
    for (key, value) in counts {
        m.push(key, *value);
    }
    m
}

fn requested_storage(spec: &PersistentVolumeClaimSpec) -> Option<&str> {
    spec.resources.as_ref()?.requests.as_ref()?.get("storage").map(|q| q.0.as_str())
}

fn toleration(t: &Toleration) -> String {
    let key = t.key.as_deref().unwrap_or("*");
    let value = t.value.as_deref().map(|v| format!("={v}")).unwrap_or_default();
    let effect = t.effect.as_deref().map(|e| format!(":{e}")).unwrap_or_default();
    let op = if t.operator.as_deref() == Some("Exists") { " (Exists)" } else { "" };
    format!("{key}{value}{effect}{op}")
}

fn probe_view(p: &Probe) -> Data {
    let mut d = Data::map();
    if let Some(h) = &p.http_get {
        let scheme = h.scheme.as_deref().unwrap_or("HTTP");
        let path = h.path.as_deref().unwrap_or("/");
        d.push("httpGet", format!("{scheme} :{}{path}", int_or_string_text(&h.port)));
    }
    if let Some(t) = &p.tcp_socket {
        d.push("tcpSocket", format!(":{}", int_or_string_text(&t.port)));
    }
    if let Some(g) = &p.grpc {
        d.push("grpc", format!(":{}", g.port));
    }
    d.push("exec", p.exec.as_ref().and_then(|e| e.command.as_deref()).map(redact_args));
    for (key, value) in [
        ("initialDelaySeconds", p.initial_delay_seconds),
        ("periodSeconds", p.period_seconds),
        ("timeoutSeconds", p.timeout_seconds),
        ("failureThreshold", p.failure_threshold),
        ("successThreshold", p.success_threshold),
    ] {
        d.push(key, value);
    }
    d
}

fn int_or_string(v: &IntOrString) -> Data {
    match v {
        IntOrString::Int(n) => Data::Int(i64::from(*n)),
        IntOrString::String(s) => Data::str(s),
    }
}

fn int_or_string_text(v: &IntOrString) -> String {
    match v {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

/// Free-form parts shown as they are (affinity, topology spread, HPA metrics), as the API prints them.
fn json<T: serde::Serialize>(value: &T) -> Data {
    Data::from_json(&serde_json::to_value(value).unwrap_or_default())
}

/// Command lines may carry credentials: the snapshot already redacts them (`mekhanikube_analyzers::hygiene`), and
/// prompts redact again in case values were kept on purpose; long shell scripts are cut short.
fn redact_args(args: &[String]) -> Data {
    let items: Vec<&str> = args.iter().map(String::as_str).collect();
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

#[cfg(test)]
mod tests {
    use mekhanikube_analyzers::SnapshotBuilder;
    use mekhanikube_analyzers::hygiene::ValuePolicy;
    use serde_json::json;

    use super::*;

    /// The view of one object, read with its values kept, so that the view's own redaction is what is tested.
    fn view_of(kind: Kind, object: serde_json::Value) -> SpecView {
        let mut builder = SnapshotBuilder::new().with_values(ValuePolicy::Keep);
        builder.insert_value(kind, object.clone()).unwrap();
        let snapshot = builder.build();
        let meta = &object["metadata"];
        let object = ObjectRef {
            api_version: kind.api_version().into(),
            kind: kind.name().into(),
            namespace: meta["namespace"].as_str().map(str::to_string),
            name: meta["name"].as_str().unwrap().into(),
            uid: None,
        };
        spec_view(&snapshot, &object, &[]).expect("a view")
    }

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
        let view = view_of(Kind::Pod, pod);
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
        let svc = json!({"metadata": {"name": "web", "namespace": "shop"}, "spec": {"type": "ClusterIP", "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}});
        let yaml = view_of(Kind::Service, svc).data.to_yaml();
        assert!(yaml.contains("app: web") && yaml.contains("targetPort: 8080"), "{yaml}");
        let ing = json!({"metadata": {"name": "web", "namespace": "shop"}, "spec": {"ingressClassName": "nginx", "rules": [{"host": "shop.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}});
        let view = view_of(Kind::Ingress, ing);
        let yaml = view.data.to_yaml();
        assert!(yaml.contains("service web:80") && yaml.contains("shop.example.com"), "{yaml}");
        assert_eq!(view.hosts, vec!["shop.example.com"]);
    }
}
