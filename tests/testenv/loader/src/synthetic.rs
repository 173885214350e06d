//! A synthetic cluster of any size for benchmarks: `pods` pods in 10 namespaces, in Deployments of 10 replicas
//! with their ReplicaSets, a Service with Endpoints and an EndpointSlice, a claim and an Ingress each, one node per
//! 100 pods, and an event per 10 pods. One pod in a hundred crash-loops, so the run has findings and problems to
//! link. Everything carries its status, as a cluster without controllers needs.

use serde_json::{Value, json};

const NAMESPACES: usize = 10;
const REPLICAS: usize = 10;
const PODS_PER_NODE: usize = 100;
const TIME: &str = "2026-11-23T09:00:00Z";

/// The whole cluster as one `kind: List`.
pub fn cluster(pods: usize) -> Value {
    let mut items = vec![
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "standard"},
               "provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "WaitForFirstConsumer"}),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx"},
               "spec": {"controller": "k8s.io/ingress-nginx"}}),
    ];
    let nodes = pods.div_ceil(PODS_PER_NODE).max(1);
    items.extend((0..nodes).map(node));
    for n in 0..NAMESPACES {
        items.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace(n)}}));
    }
    let deployments = pods.div_ceil(REPLICAS);
    let mut pod_index = 0;
    for d in 0..deployments {
        let replicas = REPLICAS.min(pods - pod_index);
        let ns = namespace(d % NAMESPACES);
        let app = format!("app-{d}");
        let first = pod_index;
        pod_index += replicas;
        let crashing = (first..pod_index).filter(|p| p % 100 == 99).count();
        items.push(deployment(&ns, &app, replicas, replicas - crashing));
        items.push(replica_set(&ns, &app, replicas, replicas - crashing));
        for p in first..pod_index {
            items.push(pod(&ns, &app, p, nodes));
            if p % 10 == 0 {
                items.push(event(&ns, &app, p));
            }
        }
        items.extend(service(&ns, &app, first..pod_index));
        items.push(claim(&ns, &app));
        items.push(ingress(&ns, &app));
    }
    json!({"apiVersion": "v1", "kind": "List", "items": items})
}

/// The whole cluster as `mekhanikube snapshot` saves it: its info item first, with the time it was read.
pub fn saved_file(pods: usize) -> Value {
    let mut list = cluster(pods);
    let info = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "mekhanikube-snapshot-info",
        "annotations": {"mekhanikube.io/read-at": TIME}}});
    if let Some(items) = list["items"].as_array_mut() {
        items.insert(0, info);
    }
    list
}

fn namespace(n: usize) -> String {
    format!("bench-{n}")
}

fn pod_name(app: &str, p: usize) -> String {
    format!("{app}-5d8f7c9b4-{p:05}")
}

fn pod_ip(p: usize) -> String {
    format!("10.{}.{}.{}", 64 + p / 65536, (p / 256) % 256, p % 256)
}

fn node(n: usize) -> Value {
    json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": format!("node-{n:04}"),
            "labels": {"kubernetes.io/hostname": format!("node-{n:04}"), "topology.kubernetes.io/zone": format!("zone-{}", n % 3)}},
        "spec": {},
        "status": {"conditions": [
            {"type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": TIME, "lastTransitionTime": TIME},
            {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory", "lastHeartbeatTime": TIME, "lastTransitionTime": TIME},
            {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure", "lastHeartbeatTime": TIME, "lastTransitionTime": TIME}],
            "capacity": {"cpu": "16", "memory": "64Gi", "pods": "110"},
            "allocatable": {"cpu": "15800m", "memory": "62Gi", "pods": "110"}}})
}

fn template(app: &str) -> Value {
    json!({"metadata": {"labels": {"app": app, "tier": "backend"}},
           "spec": {"containers": [{"name": "app", "image": format!("registry.example.com/bench/{app}:1.0.0"),
               "ports": [{"containerPort": 8080, "name": "http"}],
               "env": [{"name": "LOG_LEVEL"}, {"name": "DB_HOST"}],
               "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
               "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 5},
               "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
               "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": format!("{app}-data")}}]}})
}

fn deployment(ns: &str, app: &str, replicas: usize, ready: usize) -> Value {
    let available = if ready == replicas { "True" } else { "False" };
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": app, "namespace": ns, "uid": format!("uid-deploy-{ns}-{app}"), "generation": 1, "labels": {"app": app}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}}, "template": template(app)},
        "status": {"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas, "readyReplicas": ready,
            "availableReplicas": ready, "unavailableReplicas": replicas - ready,
            "conditions": [{"type": "Available", "status": available, "reason": "MinimumReplicasAvailable", "lastTransitionTime": TIME},
                           {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "lastTransitionTime": TIME}]}})
}

fn replica_set(ns: &str, app: &str, replicas: usize, ready: usize) -> Value {
    // The API server checks that the selector, which carries the template hash, matches the template's labels.
    let mut rs_template = template(app);
    rs_template["metadata"]["labels"]["pod-template-hash"] = json!("5d8f7c9b4");
    json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": format!("{app}-5d8f7c9b4"), "namespace": ns, "uid": format!("uid-rs-{ns}-{app}"), "generation": 1,
            "labels": {"app": app, "pod-template-hash": "5d8f7c9b4"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": app, "uid": format!("uid-deploy-{ns}-{app}"), "controller": true}]},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app, "pod-template-hash": "5d8f7c9b4"}}, "template": rs_template},
        "status": {"observedGeneration": 1, "replicas": replicas, "readyReplicas": ready, "availableReplicas": ready, "fullyLabeledReplicas": replicas}})
}

fn pod(ns: &str, app: &str, p: usize, nodes: usize) -> Value {
    let crashing = p % 100 == 99;
    let mut spec = template(app)["spec"].clone();
    spec["nodeName"] = json!(format!("node-{:04}", p % nodes));
    let ready = if crashing { "False" } else { "True" };
    let state = if crashing {
        json!({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container=app"}})
    } else {
        json!({"running": {"startedAt": TIME}})
    };
    let last = if crashing {
        json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": TIME, "finishedAt": TIME}})
    } else {
        json!({})
    };
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": pod_name(app, p), "namespace": ns, "uid": format!("uid-pod-{p}"),
            "labels": {"app": app, "tier": "backend", "pod-template-hash": "5d8f7c9b4"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{app}-5d8f7c9b4"),
                "uid": format!("uid-rs-{ns}-{app}"), "controller": true, "blockOwnerDeletion": true}]},
        "spec": spec,
        "status": {"phase": "Running", "startTime": TIME, "hostIP": "10.0.0.1", "podIP": pod_ip(p),
            "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": TIME},
                           {"type": "Initialized", "status": "True", "lastTransitionTime": TIME},
                           {"type": "ContainersReady", "status": ready, "lastTransitionTime": TIME},
                           {"type": "Ready", "status": ready, "lastTransitionTime": TIME}],
            "containerStatuses": [{"name": "app", "image": format!("registry.example.com/bench/{app}:1.0.0"), "imageID": "",
                "ready": !crashing, "started": !crashing, "restartCount": if crashing { 7 } else { 0 },
                "state": state, "lastState": last}]}})
}

fn event(ns: &str, app: &str, p: usize) -> Value {
    let (kind, reason, message) = if p % 100 == 90 {
        ("Warning", "BackOff", "Back-off restarting failed container app".to_string())
    } else {
        (
            "Normal",
            "Pulled",
            format!("Container image \"registry.example.com/bench/{app}:1.0.0\" already present on machine"),
        )
    };
    json!({"apiVersion": "v1", "kind": "Event",
        "metadata": {"name": format!("{}.18f3a0b1c2d3e4f5", pod_name(app, p)), "namespace": ns},
        "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": pod_name(app, p), "namespace": ns, "uid": format!("uid-pod-{p}")},
        "type": kind, "reason": reason, "message": message, "count": 1,
        "firstTimestamp": TIME, "lastTimestamp": TIME, "source": {"component": "kubelet"}})
}

fn service(ns: &str, app: &str, pods: std::ops::Range<usize>) -> Vec<Value> {
    let ready: Vec<usize> = pods.clone().filter(|p| p % 100 != 99).collect();
    let addresses: Vec<Value> = ready
        .iter()
        .map(|p| json!({"ip": pod_ip(*p), "targetRef": {"kind": "Pod", "name": pod_name(app, *p), "namespace": ns}}))
        .collect();
    let endpoints: Vec<Value> = ready
        .iter()
        .map(|p| {
            json!({"addresses": [pod_ip(*p)], "conditions": {"ready": true},
                        "targetRef": {"kind": "Pod", "name": pod_name(app, *p), "namespace": ns}})
        })
        .collect();
    vec![
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": app, "namespace": ns, "labels": {"app": app}},
            "spec": {"selector": {"app": app}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}),
        json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": app, "namespace": ns},
            "subsets": [{"addresses": addresses, "ports": [{"name": "http", "port": 8080}]}]}),
        json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": format!("{app}-abcde"), "namespace": ns, "labels": {"kubernetes.io/service-name": app}},
            "addressType": "IPv4", "endpoints": endpoints, "ports": [{"name": "http", "port": 8080}]}),
    ]
}

fn claim(ns: &str, app: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": format!("{app}-data"), "namespace": ns},
        "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "standard", "resources": {"requests": {"storage": "1Gi"}}},
        "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "1Gi"}}})
}

fn ingress(ns: &str, app: &str) -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": app, "namespace": ns},
        "spec": {"ingressClassName": "nginx", "rules": [{"host": format!("{app}.{ns}.example.com"), "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": app, "port": {"number": 80}}}}]}}]}})
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_and_shapes() {
        let list = super::cluster(1000);
        let items = list["items"].as_array().unwrap();
        let count = |kind: &str| items.iter().filter(|i| i["kind"] == kind).count();
        assert_eq!(count("Pod"), 1000);
        assert_eq!(count("Deployment"), 100);
        assert_eq!(count("Node"), 10);
        assert_eq!(count("Event"), 100);
        assert_eq!(count("Namespace"), 10);
        let crashing = items.iter().filter(|i| i["status"]["containerStatuses"][0]["ready"] == false).count();
        assert_eq!(crashing, 10, "one pod in a hundred crash-loops");
        assert_eq!(super::cluster(15)["items"].as_array().unwrap().iter().filter(|i| i["kind"] == "Pod").count(), 15);
    }
}
