//! The deployment files, checked as files (no Docker engine or cluster here): the Dockerfile against the
//! Makefile, the compose services (and `docker compose config` where the plugin exists), deploy/'s RBAC against
//! what the analyzers read, and the CronJob's wiring.

use serde_json::Value;

use super::note;
use crate::common::{json, mekhanikube, repo_path, run};

#[test]
fn dockerfile_builds_with_the_makefiles_command() {
    let makefile = std::fs::read_to_string(repo_path("Makefile")).unwrap();
    let build_recipe = makefile
        .split("\nbuild:")
        .nth(1)
        .and_then(|rest| rest.lines().nth(1))
        .expect("a build target with a recipe")
        .trim();
    let make_args = build_recipe.strip_prefix("$(CARGO) ").expect("the recipe runs $(CARGO)");
    assert!(make_args.starts_with("build --locked"), "{make_args}");
    let dockerfile = std::fs::read_to_string(repo_path("Dockerfile")).unwrap();
    assert!(
        dockerfile.contains(&format!("cargo {make_args} --release")),
        "the Dockerfile must build with `cargo {make_args} --release ...`"
    );
    let stages: Vec<&str> = dockerfile.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(stages.len(), 2, "builder and final image: {stages:?}");
    // Base images are build arguments defaulting to the official images (the compose test passes local ones),
    // and no `# syntax=` line makes a build fetch a frontend image.
    assert_eq!(stages, ["FROM ${RUST_IMAGE} AS builder", "FROM ${RUNTIME_IMAGE}"]);
    assert!(dockerfile.contains("\nARG RUST_IMAGE=rust:1.95-slim-bookworm\n"));
    assert!(dockerfile.contains("\nARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot\n"));
    assert!(!dockerfile.lines().any(|l| l.starts_with("# syntax=")), "no syntax line");
    let final_stage = dockerfile.rsplit("\nFROM ").next().unwrap();
    let user = final_stage.lines().find_map(|l| l.strip_prefix("USER ")).expect("the final image sets USER");
    assert!(!user.starts_with('0') && !user.starts_with("root"), "non-root: {user}");
    for target in ["run:", "report:"] {
        let recipe = makefile.split(&format!("\n{target}")).nth(1).and_then(|r| r.lines().nth(1)).unwrap();
        assert!(recipe.contains("docker compose run --rm mekhanikube"), "{target} {recipe}");
    }
}

#[test]
fn compose_file_has_ollama_the_model_pull_and_mekhanikube() {
    let text = std::fs::read_to_string(repo_path("docker-compose.yml")).unwrap();
    let compose: Value = serde_saphyr::from_str(&text).expect("valid YAML");
    let services = compose["services"].as_object().unwrap();
    let mut names: Vec<&str> = services.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(names, ["mekhanikube", "ollama", "ollama-pull"]);

    let ollama = &services["ollama"];
    assert!(ollama["image"].as_str().unwrap().contains("ollama/ollama"));
    assert!(ollama["healthcheck"]["test"].to_string().contains("ollama\",\"list"), "{}", ollama["healthcheck"]);
    let models = ollama["volumes"][0].as_str().unwrap();
    assert!(compose["volumes"].get(models.split(':').next().unwrap()).is_some(), "models live in a named volume");

    let pull = &services["ollama-pull"];
    assert!(pull["command"].to_string().contains("${MEKHANIKUBE_MODEL:-qwen2.5:1.5b}"), "{}", pull["command"]);
    assert_eq!(pull["depends_on"]["ollama"]["condition"], "service_healthy");
    // A model already in the volume is not pulled again, so a later run needs no registry.
    assert!(pull["entrypoint"].to_string().contains("ollama show"), "{}", pull["entrypoint"]);

    let mk = &services["mekhanikube"];
    assert_eq!(mk["build"]["dockerfile"], "Dockerfile");
    assert_eq!(mk["depends_on"]["ollama-pull"]["condition"], "service_completed_successfully");
    assert_eq!(mk["environment"]["OLLAMA_HOST"], "http://ollama:11434");
    assert!(mk["command"].as_array().unwrap().iter().any(|a| a == "--allow-remote-llm"));
    let kubeconfig =
        mk["volumes"].as_array().unwrap().iter().find(|v| v["target"] == "/kube/config").expect("kubeconfig mount");
    assert_eq!(kubeconfig["read_only"], true);
    assert_eq!(mk["environment"]["KUBECONFIG"], "/kube/config");
    assert_eq!(mk["init"], true, "an init as PID 1 passes signals on");
    assert_eq!(mk["read_only"], true);
    assert!(mk["volumes"].to_string().contains(":/reports"), "reports go to a volume");
    assert!(mk["extra_hosts"].to_string().contains("host.docker.internal:host-gateway"));
    assert!(!text.contains("insecure-skip-tls-verify"), "no TLS shortcuts");

    // The real parser, where `docker compose` exists (it needs no engine for `config`).
    let probe = std::process::Command::new("docker").args(["compose", "version"]).output();
    if probe.is_ok_and(|o| o.status.success()) {
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("config");
        std::fs::write(&kubeconfig, "apiVersion: v1\nkind: Config\n").unwrap();
        let out = std::process::Command::new("docker")
            .args(["compose", "-f"])
            .arg(repo_path("docker-compose.yml"))
            .args(["config", "--quiet"])
            .env("MEKHANIKUBE_KUBECONFIG", &kubeconfig)
            .output()
            .unwrap();
        assert!(out.status.success(), "docker compose config: {}", String::from_utf8_lossy(&out.stderr));
    } else {
        note("docker compose is not installed: compose file checked as YAML only");
    }
}

/// RBAC (group, plural) of every kind the analyzers may read. A new kind fails the test until it is added here and
/// to deploy/clusterrole.yaml.
pub(super) const RBAC: &[(&str, &str, &str)] = &[
    ("Pod", "", "pods"),
    ("Service", "", "services"),
    ("Endpoints", "", "endpoints"),
    ("Event", "", "events"),
    ("Node", "", "nodes"),
    ("PersistentVolumeClaim", "", "persistentvolumeclaims"),
    ("Secret", "", "secrets"),
    ("Namespace", "", "namespaces"),
    ("ServiceAccount", "", "serviceaccounts"),
    ("Deployment", "apps", "deployments"),
    ("ReplicaSet", "apps", "replicasets"),
    ("StatefulSet", "apps", "statefulsets"),
    ("DaemonSet", "apps", "daemonsets"),
    ("Job", "batch", "jobs"),
    ("CronJob", "batch", "cronjobs"),
    ("Ingress", "networking.k8s.io", "ingresses"),
    ("IngressClass", "networking.k8s.io", "ingressclasses"),
    ("EndpointSlice", "discovery.k8s.io", "endpointslices"),
    ("StorageClass", "storage.k8s.io", "storageclasses"),
    ("HorizontalPodAutoscaler", "autoscaling", "horizontalpodautoscalers"),
    ("ValidatingWebhookConfiguration", "admissionregistration.k8s.io", "validatingwebhookconfigurations"),
    ("MutatingWebhookConfiguration", "admissionregistration.k8s.io", "mutatingwebhookconfigurations"),
    ("ConfigMap", "", "configmaps"),
    ("ResourceQuota", "", "resourcequotas"),
    ("LimitRange", "", "limitranges"),
    ("PersistentVolume", "", "persistentvolumes"),
    ("PodDisruptionBudget", "policy", "poddisruptionbudgets"),
    ("NetworkPolicy", "networking.k8s.io", "networkpolicies"),
    ("PriorityClass", "scheduling.k8s.io", "priorityclasses"),
    ("ValidatingAdmissionPolicy", "admissionregistration.k8s.io", "validatingadmissionpolicies"),
    ("ValidatingAdmissionPolicyBinding", "admissionregistration.k8s.io", "validatingadmissionpolicybindings"),
];

/// Kinds granted `list` only: every read is one list, so `get` and `watch` are not needed (issue 12 asks the
/// kinds it adds to be granted no more than that).
const LIST_ONLY: &[&str] = &["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"];

fn deploy(file: &str) -> Value {
    serde_saphyr::from_str(&std::fs::read_to_string(repo_path("deploy").join(file)).unwrap()).unwrap()
}

/// The kinds `mekhanikube analyzers -o json` says are read, plus Events (evidence for every analyzer).
pub(super) fn kinds_read() -> Vec<String> {
    let out = run(mekhanikube().args(["analyzers", "-o", "json"]));
    let list = json(&out.stdout);
    let mut kinds: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["kinds"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_string()))
        .chain(["Event".to_string()])
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

/// The verbs a role's rules grant on one resource.
fn verbs_for(role: &Value, group: &str, plural: &str) -> Vec<String> {
    role["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["apiGroups"].as_array().unwrap().iter().any(|g| g == group))
        .filter(|r| r["resources"].as_array().unwrap().iter().any(|p| p == plural))
        .flat_map(|r| r["verbs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()))
        .collect()
}

fn assert_read_verbs_only(role: &Value) {
    for rule in role["rules"].as_array().unwrap() {
        for verb in rule["verbs"].as_array().unwrap() {
            assert!(["get", "list", "watch"].contains(&verb.as_str().unwrap()), "write verb in {rule}");
        }
        assert!(!rule.to_string().contains('*'), "no wildcards: {rule}");
    }
}

#[test]
fn cluster_role_covers_what_the_analyzers_read_with_read_verbs_only_and_nothing_on_secrets() {
    let role = deploy("clusterrole.yaml");
    assert_read_verbs_only(&role);
    for kind in kinds_read() {
        let (_, group, plural) =
            RBAC.iter().find(|(k, _, _)| *k == kind).unwrap_or_else(|| panic!("add {kind} to RBAC"));
        let verbs = verbs_for(&role, group, plural);
        if kind == "Secret" {
            // A plain list returns every value: RBAC cannot grant metadata only.
            assert!(verbs.is_empty(), "the default role must hold nothing on Secrets: {verbs:?}");
        } else if LIST_ONLY.contains(&kind.as_str()) {
            assert_eq!(verbs, ["list"], "{kind}: list only");
        } else {
            for verb in ["get", "list", "watch"] {
                assert!(verbs.iter().any(|v| v == verb), "{kind}: {verb} missing ({verbs:?})");
            }
        }
    }
}

#[test]
fn secret_names_opt_in_grants_exactly_list_on_secrets_to_the_cronjobs_account() {
    let dir = repo_path("deploy/opt-in/secret-names");
    let read =
        |file: &str| -> Value { serde_saphyr::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap() };
    let kustomization = read("kustomization.yaml");
    assert_eq!(kustomization["resources"], serde_json::json!(["clusterrole.yaml", "clusterrolebinding.yaml"]));
    let role = read("clusterrole.yaml");
    assert_read_verbs_only(&role);
    assert_eq!(role["rules"].as_array().unwrap().len(), 1, "{role}");
    assert_eq!(verbs_for(&role, "", "secrets"), ["list"], "list only: never get");
    let binding = read("clusterrolebinding.yaml");
    assert_eq!(binding["roleRef"]["name"], role["metadata"]["name"]);
    assert_eq!(binding["subjects"], deploy("clusterrolebinding.yaml")["subjects"], "the CronJob's account");
}

#[test]
fn pod_logs_opt_in_grants_exactly_get_on_pods_log_to_the_cronjobs_account_and_is_off_by_default() {
    let dir = repo_path("deploy/opt-in/pod-logs");
    let read =
        |file: &str| -> Value { serde_saphyr::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap() };
    let kustomization = read("kustomization.yaml");
    assert_eq!(kustomization["resources"], serde_json::json!(["clusterrole.yaml", "clusterrolebinding.yaml"]));
    let role = read("clusterrole.yaml");
    assert_read_verbs_only(&role);
    assert_eq!(role["rules"].as_array().unwrap().len(), 1, "{role}");
    assert_eq!(verbs_for(&role, "", "pods/log"), ["get"]);
    let binding = read("clusterrolebinding.yaml");
    assert_eq!(binding["roleRef"]["name"], role["metadata"]["name"]);
    assert_eq!(binding["subjects"], deploy("clusterrolebinding.yaml")["subjects"], "the CronJob's account");
    // Off by default: the default role grants nothing on pods/log and the CronJob does not ask for logs.
    assert!(verbs_for(&deploy("clusterrole.yaml"), "", "pods/log").is_empty());
    assert!(!deploy("cronjob.yaml").to_string().contains("--logs"), "the CronJob does not ask for logs");
}

#[test]
fn kustomization_lists_every_manifest_and_the_cronjob_reports_to_the_pvc() {
    let kustomization = deploy("kustomization.yaml");
    let resources: Vec<&str> =
        kustomization["resources"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    let mut files: Vec<String> = std::fs::read_dir(repo_path("deploy"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && n != "kustomization.yaml")
        .collect();
    files.sort();
    let mut listed: Vec<String> = resources.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(listed, files);

    let cron = deploy("cronjob.yaml");
    let pod = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], deploy("serviceaccount.yaml")["metadata"]["name"]);
    let container = &pod["containers"][0];
    let args: Vec<&str> = container["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(args[0], "report");
    assert!(args.contains(&"--out=/reports") && args.contains(&"--allow-remote-llm"), "{args:?}");
    assert_eq!(container["volumeMounts"][0]["mountPath"], "/reports");
    assert_eq!(pod["volumes"][0]["persistentVolumeClaim"]["claimName"], deploy("pvc.yaml")["metadata"]["name"]);
    assert!(container["env"].to_string().contains("OLLAMA_HOST"));
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    let binding = deploy("clusterrolebinding.yaml");
    assert_eq!(binding["roleRef"]["name"], deploy("clusterrole.yaml")["metadata"]["name"]);
    // The live test applies deploy/ to the shared test bed: it must not replace the bed's own RBAC.
    let bed: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(repo_path("tests/testenv/rbac.yaml")).unwrap()).unwrap();
    let bed_names: Vec<&Value> = bed["items"].as_array().unwrap().iter().map(|i| &i["metadata"]["name"]).collect();
    for name in [&binding["metadata"]["name"], &deploy("clusterrole.yaml")["metadata"]["name"]] {
        assert!(!bed_names.contains(&name), "{name} is also a test-bed object in tests/testenv/rbac.yaml");
    }
    assert_eq!(binding["subjects"][0]["namespace"], deploy("namespace.yaml")["metadata"]["name"]);
}

/// The CronJob's arguments, without the explanation flags (explanations are tested with the LLM; here the point
/// is what the service account may read), with its paths moved into `dir`.
#[cfg(feature = "live")]
pub(super) fn cronjob_args(dir: &std::path::Path) -> Vec<String> {
    let cron = deploy("cronjob.yaml");
    let args =
        cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"].as_array().unwrap().clone();
    args.iter()
        .map(|a| a.as_str().unwrap().to_string())
        .filter(|a| a != "--explain" && a != "--allow-remote-llm")
        .map(|a| a.replace("=/reports", &format!("={}", dir.display())))
        .collect()
}

/// `make demo` runs the test bed's 135M model: the demo says so before any answer (the binary then says once that
/// such a model's answers are unreliable: `llm::tests::orchestration::a_tiny_model_is_said_to_be_unreliable_once`),
/// and its token cap below the product's default is a named, explained setting, not a bare flag.
#[test]
fn demo_names_its_model_as_a_test_model_and_explains_its_token_cap() {
    let demo = std::fs::read_to_string(repo_path("tests/testenv/demo.sh")).unwrap();
    let label = demo.lines().find(|l| l.contains("TEST MODEL")).expect("the demo names its model as a test model");
    assert!(label.trim_start().starts_with("log ") && label.contains("$OLLAMA_MODEL"), "{label}");
    assert!(!demo.contains("--llm-max-tokens 200"), "a bare cap: name it and say why");
    let lines: Vec<&str> = demo.lines().collect();
    let cap = lines.iter().position(|l| l.starts_with("demo_max_tokens=")).expect("the demo's cap is named");
    let why: Vec<&str> = lines[..cap].iter().rev().take_while(|l| l.starts_with('#')).copied().collect();
    assert!(why.iter().any(|l| l.contains("1024")), "the comment above the cap compares it with the default: {why:?}");
    assert!(demo.contains(r#"--llm-max-tokens "$demo_max_tokens""#));
}
