//! NetworkPolicies that cut pods off by mistake: a policy whose selector matches no pod, pods isolated for egress
//! with no rule that lets them reach the cluster DNS (the classic `lookup ...: i/o timeout`), and the pods behind an
//! Ingress isolated for ingress with no rule admitting the ingress controller's pods.
//!
//! Isolation is per pod and per direction: a pod is isolated when any policy of its namespace selects it with that
//! direction in `policyTypes`, and then only the union of those policies' rules lets traffic through. A
//! default-deny policy with the right allowances beside it is healthy.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{name_of, namespace_of};
use crate::analyzer::{Analyzer, CodeInfo, SeverityRule};
use crate::evidence::Evidence;
use crate::finding::{Finding, Severity};
use crate::kind::Kind;
use crate::model::Pod;
use crate::selector::{label_selector_matches, map_selects};
use crate::snapshot::Snapshot;

pub(crate) struct NetworkPolicyAnalyzer;

const NAME: &str = "networkpolicy";

const NO_PODS: CodeInfo = CodeInfo {
    code: "networkpolicy-selects-no-pods",
    summary: "The policy's pod selector matches no pod in its namespace.",
    severity: SeverityRule::fixed(Severity::Low),
};
const NO_DNS: CodeInfo = CodeInfo {
    code: "networkpolicy-egress-blocks-dns",
    summary: "Pods are isolated for egress and no rule lets them reach the cluster DNS on port 53: name lookups time out.",
    severity: SeverityRule {
        default: Severity::Medium,
        others: &[Severity::High],
        when: "high when one of those pods is not ready",
    },
};
const BLOCKS_INGRESS: CodeInfo = CodeInfo {
    code: "networkpolicy-blocks-ingress-controller",
    summary: "The pods behind an Ingress are isolated for ingress and no rule admits the ingress controller's pods.",
    severity: SeverityRule::fixed(Severity::High),
};

/// The namespace and labels of the cluster DNS pods, when the snapshot holds none to read them from.
const DNS_NAMESPACE: &str = "kube-system";
const DNS_LABELS: &[(&str, &str)] = &[("k8s-app", "kube-dns")];
/// Named ports that mean DNS on the DNS pods.
const DNS_PORT_NAMES: &[&str] = &["dns", "dns-tcp"];

/// Well-known ingress controllers: `spec.controller` of an IngressClass, and the labels of the pods that run it.
const CONTROLLERS: &[(&str, &[(&str, &str)])] = &[
    ("k8s.io/ingress-nginx", &[("app.kubernetes.io/name", "ingress-nginx")]),
    ("traefik.io/ingress-controller", &[("app.kubernetes.io/name", "traefik")]),
    ("haproxy.org/ingress-controller/haproxy", &[("app.kubernetes.io/name", "kubernetes-ingress")]),
    ("nginx.org/ingress-controller", &[("app.kubernetes.io/name", "nginx-ingress")]),
];

impl Analyzer for NetworkPolicyAnalyzer {
    fn name(&self) -> &'static str {
        NAME
    }
    fn kinds(&self) -> &'static [Kind] {
        // Namespaces for namespace selectors; Ingresses, their classes and Services to find what they route to.
        &[Kind::NetworkPolicy, Kind::Pod, Kind::Namespace, Kind::Ingress, Kind::IngressClass, Kind::Service]
    }
    fn codes(&self) -> &'static [CodeInfo] {
        &[NO_PODS, NO_DNS, BLOCKS_INGRESS]
    }
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding> {
        if !snapshot.has_read(Kind::Pod) {
            return Vec::new();
        }
        let net = Net::new(snapshot);
        let mut findings = Vec::new();
        for policy in snapshot.objects.network_policies.iter().filter(|p| p.metadata.deletion_timestamp.is_none()) {
            let pods = net.selected(policy);
            if pods.is_empty() && !selects_everything(policy) {
                findings.push(no_pods(snapshot, policy));
            }
            findings.extend(no_dns(&net, policy, &pods));
        }
        findings.extend(blocked_ingresses(&net));
        findings
    }
}

/// The snapshot, with namespace labels at hand for namespace selectors.
struct Net<'a> {
    snapshot: &'a Snapshot,
    namespace_labels: BTreeMap<String, BTreeMap<String, String>>,
}

impl<'a> Net<'a> {
    fn new(snapshot: &'a Snapshot) -> Net<'a> {
        let mut namespace_labels: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for ns in snapshot.objects.namespaces.iter() {
            namespace_labels.insert(name_of(&ns.metadata).to_string(), ns.metadata.labels.clone().unwrap_or_default());
        }
        Net { snapshot, namespace_labels }
    }

    /// A namespace's labels: its own if read, and always the name label the API server sets on every namespace.
    fn labels_of_namespace(&self, namespace: &str) -> BTreeMap<String, String> {
        let mut labels = self.namespace_labels.get(namespace).cloned().unwrap_or_default();
        labels.insert("kubernetes.io/metadata.name".into(), namespace.into());
        labels
    }

    /// Unfinished pods that the policy selects (host-network ones included: selected, though not isolated).
    fn selected(&self, policy: &'a NetworkPolicy) -> Vec<&'a Pod> {
        let ns = namespace_of(&policy.metadata);
        self.snapshot
            .objects
            .pods
            .in_namespace(ns)
            .filter(|p| !crate::links::finished(p) && selects(policy, p))
            .collect()
    }

    /// The policies of the pod's namespace that isolate it in one direction (`Ingress` or `Egress`).
    fn isolating(&self, pod: &'a Pod, direction: &str) -> Vec<&'a NetworkPolicy> {
        let ns = namespace_of(&pod.metadata);
        self.snapshot
            .objects
            .network_policies
            .in_namespace(ns)
            .filter(|p| p.metadata.deletion_timestamp.is_none() && types(p).contains(&direction))
            .filter(|p| selects(p, pod))
            .collect()
    }

    /// Whether a peer of a rule in `policy_ns` can be the pod with these labels in `namespace`. An ipBlock cannot
    /// be told from here, so it counts as matching: better a miss than a false alarm.
    fn peer_matches(
        &self,
        peer: &NetworkPolicyPeer,
        policy_ns: &str,
        namespace: &str,
        labels: &BTreeMap<String, String>,
    ) -> bool {
        if peer.ip_block.is_some() {
            return true;
        }
        let namespace_ok = match &peer.namespace_selector {
            Some(selector) => label_selector_matches(selector, Some(&self.labels_of_namespace(namespace))),
            None => namespace == policy_ns,
        };
        let pod_ok = peer.pod_selector.as_ref().is_none_or(|s| label_selector_matches(s, Some(labels)));
        namespace_ok && pod_ok
    }

    /// The labels of the cluster DNS pods: those found in kube-system, or the well-known ones.
    fn dns_pods(&self) -> Vec<(String, BTreeMap<String, String>)> {
        let wanted: BTreeMap<String, String> = DNS_LABELS.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let found: Vec<(String, BTreeMap<String, String>)> = self
            .snapshot
            .objects
            .pods
            .in_namespace(DNS_NAMESPACE)
            .filter(|p| map_selects(&wanted, p.metadata.labels.as_ref()))
            .map(|p| (DNS_NAMESPACE.to_string(), p.metadata.labels.clone().unwrap_or_default()))
            .collect();
        if found.is_empty() { vec![(DNS_NAMESPACE.to_string(), wanted)] } else { found }
    }
}

fn host_network(pod: &Pod) -> bool {
    pod.spec.as_ref().and_then(|s| s.host_network) == Some(true)
}

/// The directions a policy isolates: `policyTypes`, or by default Ingress, plus Egress when it has egress rules.
pub(crate) fn types(policy: &NetworkPolicy) -> Vec<&str> {
    let spec = policy.spec.as_ref();
    match spec.and_then(|s| s.policy_types.as_ref()) {
        Some(types) => types.iter().map(String::as_str).collect(),
        None if spec.and_then(|s| s.egress.as_ref()).is_some() => vec!["Ingress", "Egress"],
        None => vec!["Ingress"],
    }
}

/// Whether the policy selects the pod: a missing or empty pod selector selects every pod of the namespace.
pub(crate) fn selects(policy: &NetworkPolicy, pod: &Pod) -> bool {
    policy.spec.as_ref().is_some_and(|s| {
        s.pod_selector.as_ref().is_none_or(|sel| label_selector_matches(sel, pod.metadata.labels.as_ref()))
    })
}

fn selects_everything(policy: &NetworkPolicy) -> bool {
    policy.spec.as_ref().is_some_and(|s| {
        s.pod_selector.as_ref().is_none_or(|sel| {
            sel.match_labels.as_ref().is_none_or(|m| m.is_empty())
                && sel.match_expressions.as_ref().is_none_or(|e| e.is_empty())
        })
    })
}

/// Whether a rule's ports let through a port given by number or name (no ports: every port).
fn ports_allow(
    ports: Option<&Vec<NetworkPolicyPort>>,
    number: Option<i32>,
    names: &[&str],
    protocols: &[&str],
) -> bool {
    let Some(ports) = ports.filter(|p| !p.is_empty()) else { return true };
    ports.iter().any(|p| {
        let protocol = p.protocol.as_deref().unwrap_or("TCP");
        protocols.contains(&protocol)
            && match &p.port {
                None => true,
                Some(IntOrString::Int(n)) => {
                    number.is_some_and(|want| want == *n || p.end_port.is_some_and(|end| (*n..=end).contains(&want)))
                }
                Some(IntOrString::String(name)) => names.contains(&name.as_str()),
            }
    })
}

fn no_pods(snapshot: &Snapshot, policy: &NetworkPolicy) -> Finding {
    let selector = policy
        .spec
        .as_ref()
        .and_then(|s| s.pod_selector.as_ref())
        .map(|s| serde_json::to_string(s).unwrap_or_default());
    snapshot
        .finding(
            NAME,
            &NO_PODS,
            policy,
            Severity::Low,
            format!("selects no pod in namespace {}: it restricts nothing", namespace_of(&policy.metadata)),
        )
        .with_evidence([Evidence::field("spec.podSelector", selector.unwrap_or_default())])
}

/// Whether an egress rule of this one policy lets its pods reach the cluster DNS on port 53 (for the
/// constraints view, which says it of each policy; the analyzer judges the union per pod).
pub(crate) fn policy_allows_dns(snapshot: &Snapshot, policy: &NetworkPolicy) -> bool {
    allows_dns(&Net::new(snapshot), &[policy])
}

/// Whether any egress rule of these policies lets a pod reach a cluster DNS pod on port 53.
fn allows_dns(net: &Net, policies: &[&NetworkPolicy]) -> bool {
    let dns = net.dns_pods();
    policies.iter().any(|policy| {
        let ns = namespace_of(&policy.metadata);
        policy.spec.as_ref().and_then(|s| s.egress.as_ref()).into_iter().flatten().any(|rule| {
            ports_allow(rule.ports.as_ref(), Some(53), DNS_PORT_NAMES, &["UDP", "TCP"])
                && match rule.to.as_ref().filter(|t| !t.is_empty()) {
                    None => true,
                    Some(peers) => peers
                        .iter()
                        .any(|peer| dns.iter().any(|(dns_ns, labels)| net.peer_matches(peer, ns, dns_ns, labels))),
                }
        })
    })
}

fn no_dns<'a>(net: &Net<'a>, policy: &NetworkPolicy, pods: &[&'a Pod]) -> Option<Finding> {
    if !types(policy).contains(&"Egress") {
        return None;
    }
    // Pods on the host network are not isolated by any policy.
    let cut_off: Vec<&Pod> = pods
        .iter()
        .copied()
        .filter(|pod| !host_network(pod) && !allows_dns(net, &net.isolating(pod, "Egress")))
        .collect();
    let first = cut_off.first()?;
    let not_ready: Vec<&Pod> = cut_off.iter().copied().filter(|p| crate::links::not_ready(p).is_some()).collect();
    let severity = if not_ready.is_empty() { Severity::Medium } else { Severity::High };
    let message = format!(
        "isolates egress of {} pod(s) (such as {}) and no egress rule of the policies selecting them allows DNS (UDP or TCP 53 to {DNS_NAMESPACE}/{}): name lookups time out",
        cut_off.len(),
        name_of(&first.metadata),
        DNS_LABELS.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
    );
    let names = |list: &[&Pod]| list.iter().map(|p| name_of(&p.metadata)).collect::<Vec<_>>().join(", ");
    Some(
        net.snapshot
            .finding(NAME, &NO_DNS, policy, severity, message)
            .with_evidence([Evidence::field("pods without DNS", names(&cut_off))])
            .with_evidence((!not_ready.is_empty()).then(|| Evidence::field("not ready", names(&not_ready)))),
    )
}

/// The controller pods of an Ingress's class, when the class names a well-known controller and its pods are in
/// the snapshot; None when that cannot be determined.
fn controller_pods<'a>(net: &Net<'a>, ingress: &k8s_openapi::api::networking::v1::Ingress) -> Option<Vec<&'a Pod>> {
    let class_name = ingress.spec.as_ref()?.ingress_class_name.as_deref()?;
    let class = net.snapshot.objects.ingress_classes.get("", class_name)?;
    let controller = class.spec.as_ref()?.controller.as_deref()?;
    let (_, labels) = CONTROLLERS.iter().find(|(c, _)| *c == controller)?;
    let wanted: BTreeMap<String, String> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let pods: Vec<&Pod> = net
        .snapshot
        .objects
        .pods
        .iter()
        .filter(|p| !crate::links::finished(p) && map_selects(&wanted, p.metadata.labels.as_ref()))
        .collect();
    (!pods.is_empty()).then_some(pods)
}

fn blocked_ingresses(net: &Net) -> Vec<Finding> {
    let mut findings = Vec::new();
    // The controller's pods are looked for once per IngressClass, not once per Ingress: that scan walks every pod.
    let mut controllers_of: std::collections::HashMap<&str, Option<Vec<&Pod>>> = std::collections::HashMap::new();
    for ingress in net.snapshot.objects.ingresses.iter() {
        let ns = namespace_of(&ingress.metadata);
        // Only a pod under a policy can be cut off: a namespace without one needs no look.
        if net.snapshot.objects.network_policies.in_namespace(ns).next().is_none() {
            continue;
        }
        let class = ingress.spec.as_ref().and_then(|s| s.ingress_class_name.as_deref()).unwrap_or_default();
        let found = controllers_of.entry(class).or_insert_with(|| controller_pods(net, ingress));
        let Some(controllers) = found.clone() else { continue };
        let spec = ingress.spec.as_ref();
        let backends = spec.and_then(|s| s.default_backend.as_ref()).into_iter().chain(
            spec.and_then(|s| s.rules.as_ref())
                .into_iter()
                .flatten()
                .flat_map(|r| r.http.iter().flat_map(|h| h.paths.iter().map(|p| &p.backend))),
        );
        let mut services: Vec<&str> = backends.filter_map(|b| b.service.as_ref().map(|s| s.name.as_str())).collect();
        services.sort_unstable();
        services.dedup();
        for service_name in services {
            let Some(service) = net.snapshot.objects.services.get(ns, service_name) else { continue };
            let Some(selector) = service.spec.as_ref().and_then(|s| s.selector.as_ref()) else { continue };
            let ports: Vec<&IntOrString> = service
                .spec
                .as_ref()
                .and_then(|s| s.ports.as_ref())
                .into_iter()
                .flatten()
                .filter_map(|p| p.target_port.as_ref())
                .collect();
            let pods = net.snapshot.pods_selected_by(ns, selector).into_iter();
            let pods = pods.filter(|p| !crate::links::finished(p) && !host_network(p));
            for pod in pods {
                let isolating = net.isolating(pod, "Ingress");
                if isolating.is_empty() || admits(net, &isolating, &controllers, &target_ports(pod, &ports)) {
                    continue;
                }
                for policy in isolating {
                    findings.push(blocks_ingress(net, policy, ingress, service_name, pod, &controllers));
                }
                break;
            }
        }
    }
    findings
}

/// A Service's target ports on one pod, as (number, name): a named target port is looked up in the pod's
/// containers, since a policy may name the port or give its number.
fn target_ports(pod: &Pod, ports: &[&IntOrString]) -> Vec<(Option<i32>, Option<String>)> {
    let containers = pod.spec.as_ref().map(|s| s.containers.as_slice()).unwrap_or_default();
    let number_of = |name: &str| {
        containers
            .iter()
            .flat_map(|c| c.ports.iter().flatten())
            .find(|p| p.name.as_deref() == Some(name))
            .map(|p| p.container_port)
    };
    ports
        .iter()
        .map(|port| match port {
            IntOrString::Int(n) => (Some(*n), None),
            IntOrString::String(name) => (number_of(name), Some(name.clone())),
        })
        .collect()
}

/// Whether any ingress rule of these policies admits one of the controller pods on one of the target ports.
fn admits(
    net: &Net,
    policies: &[&NetworkPolicy],
    controllers: &[&Pod],
    ports: &[(Option<i32>, Option<String>)],
) -> bool {
    policies.iter().any(|policy| {
        let ns = namespace_of(&policy.metadata);
        policy.spec.as_ref().and_then(|s| s.ingress.as_ref()).into_iter().flatten().any(|rule| {
            let port_ok = ports.is_empty()
                || ports.iter().any(|(number, name)| {
                    let names: Vec<&str> = name.as_deref().into_iter().collect();
                    ports_allow(rule.ports.as_ref(), *number, &names, &["TCP"])
                });
            port_ok
                && match rule.from.as_ref().filter(|f| !f.is_empty()) {
                    None => true,
                    Some(peers) => peers.iter().any(|peer| {
                        controllers.iter().any(|c| {
                            let labels = c.metadata.labels.clone().unwrap_or_default();
                            net.peer_matches(peer, ns, namespace_of(&c.metadata), &labels)
                        })
                    }),
                }
        })
    })
}

fn blocks_ingress(
    net: &Net,
    policy: &NetworkPolicy,
    ingress: &k8s_openapi::api::networking::v1::Ingress,
    service: &str,
    pod: &Pod,
    controllers: &[&Pod],
) -> Finding {
    let controller = controllers[0];
    let message = format!(
        "isolates pods of Service {service} (such as {}) behind Ingress {} for ingress, and no rule admits the ingress controller's pods (such as {}/{})",
        name_of(&pod.metadata),
        name_of(&ingress.metadata),
        namespace_of(&controller.metadata),
        name_of(&controller.metadata)
    );
    net.snapshot.finding(NAME, &BLOCKS_INGRESS, policy, Severity::High, message).with_evidence([
        Evidence::field("ingress", name_of(&ingress.metadata)),
        Evidence::field("service", service),
        Evidence::field(
            "controller pods",
            controllers
                .iter()
                .map(|p| format!("{}/{}", namespace_of(&p.metadata), name_of(&p.metadata)))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ])
}
