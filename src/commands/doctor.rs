//! `mekhanikube doctor`: one line per check, ✓ or ✗ with what to fix, exit 1 if any fails. Every check is
//! read-only: the API server sees GETs only (the kinds by `limit=1` metadata lists, never an access review),
//! Ollama sees GETs and one `/api/show`, and the directories get a temporary file that is removed.

use std::path::Path;

use mekhanikube_analyzers::{Kind, needed_kinds, registry};

use super::ExitStatus;
use crate::cluster::{self, ListAccess};
use crate::llm::{self, OllamaClient, PromptSet, Timeouts};
use crate::printer::Printer;
use crate::render::count;
use crate::sanitize::sanitize_for_terminal;
use crate::settings::DoctorSettings;

/// Checks print as they finish, so a slow one shows where the time goes.
struct Checks<'a> {
    printer: &'a Printer,
    failed: usize,
}

impl Checks<'_> {
    fn pass(&mut self, what: &str) -> anyhow::Result<()> {
        Ok(self.printer.out(&format!("✓ {}\n", sanitize_for_terminal(what)))?)
    }
    fn fail(&mut self, what: &str, fix: &str) -> anyhow::Result<()> {
        self.failed += 1;
        Ok(self.printer.out(&format!("✗ {}: {fix}\n", sanitize_for_terminal(what)))?)
    }
    /// Not a failure: a limit by design, said so that nobody wonders.
    fn note(&mut self, what: &str) -> anyhow::Result<()> {
        Ok(self.printer.out(&format!("- {}\n", sanitize_for_terminal(what)))?)
    }
}

pub async fn run_doctor(printer: &Printer, settings: DoctorSettings) -> anyhow::Result<ExitStatus> {
    let mut checks = Checks { printer, failed: 0 };
    check_cluster(&mut checks, &settings).await?;
    check_model(&mut checks, &settings).await?;
    check_directories(&mut checks, &settings)?;
    Ok(if checks.failed > 0 { ExitStatus::Findings } else { ExitStatus::Ok })
}

async fn check_cluster(checks: &mut Checks<'_>, settings: &DoctorSettings) -> anyhow::Result<()> {
    let prepared = match cluster::prepare(&settings.cluster).await {
        Ok(p) => p,
        Err(e) => return checks.fail(&format!("kubeconfig: {}", error_line(&e)), "pass --kubeconfig or --context"),
    };
    let info = prepared.info().clone();
    let context = info.context.as_deref().unwrap_or("in-cluster");
    checks.pass(&format!("kubeconfig: context {context}, server {}", info.server))?;
    if prepared.insecure_tls() {
        checks
            .fail("TLS: the kubeconfig turns certificate checks off", "remove insecure-skip-tls-verify, set the CA")?;
    }
    let (client, info) = match prepared.connect().await {
        Ok(connected) => connected,
        Err(e) => {
            return checks
                .fail(&format!("API server: {}", error_line(&e)), "check the server address, network and credentials");
        }
    };
    match cluster::server_version(&client, &info).await {
        Ok(version) => checks.pass(&format!("API server reachable, Kubernetes {version}"))?,
        Err(e) => checks.fail(&format!("API server version: {}", error_line(&e)), "check the credentials")?,
    }
    let kinds: Vec<Kind> = needed_kinds(registry()).into_iter().collect();
    let access = cluster::probe_list(&client, &kinds).await;
    let allowed: Vec<&str> =
        access.iter().filter(|(_, a)| *a == ListAccess::Allowed).map(|(k, _)| k.plural()).collect();
    checks.pass(&format!("may list {} of {}: {}", allowed.len(), count(kinds.len(), "kind"), allowed.join(", ")))?;
    for (kind, access) in &access {
        match access {
            ListAccess::Allowed => {}
            // The shipped RBAC grants nothing on Secrets on purpose: listing them returns their values.
            ListAccess::Forbidden(_) if *kind == Kind::Secret => checks.note(
                "secrets: not listable (by design; checks of Secret references use events instead; opt in with deploy/opt-in/secret-names)",
            )?,
            ListAccess::Forbidden(why) => checks.fail(
                &format!("{}: list forbidden ({why})", kind.plural()),
                &format!("grant get/list on {} (deploy/clusterrole.yaml); its checks are skipped until then", kind.plural()),
            )?,
            ListAccess::NotServed => checks.note(&format!("{}: not served by this API server; its checks are skipped", kind.plural()))?,
            ListAccess::Failed(why) => checks.fail(&format!("{}: {why}", kind.plural()), "check the API server's health")?,
        }
    }
    Ok(())
}

async fn check_model(checks: &mut Checks<'_>, settings: &DoctorSettings) -> anyhow::Result<()> {
    let url = llm::display_url(&settings.ollama_url);
    let endpoint = match llm::check_llm_url(&settings.ollama_url, settings.allow_remote_llm) {
        Ok(endpoint) => endpoint,
        Err(e) => return checks.fail(&format!("Ollama URL: {e}"), "use a loopback URL or pass --allow-remote-llm"),
    };
    let client = OllamaClient::for_endpoint(&endpoint, Timeouts::default())?;
    match client.version().await {
        Ok(version) => checks.pass(&format!("Ollama {version} at {url}"))?,
        Err(e) => return checks.fail(&format!("Ollama at {url}: {e}"), "start `ollama serve` or pass --ollama-url"),
    }
    let model = &settings.model;
    let details = match client.show_model(model).await {
        Ok(Some(details)) => details,
        Ok(None) => {
            return checks.fail(&format!("model {model}: not in Ollama"), &format!("run `ollama pull {model}`"));
        }
        Err(e) => return checks.fail(&format!("model {model}: {e}"), "check the Ollama server"),
    };
    let size = details.parameter_size.as_deref().unwrap_or("unknown size");
    let bytes = client.model_bytes(model).await.ok().flatten();
    match (bytes, available_memory()) {
        (Some(bytes), Some(free)) if bytes > free => checks.fail(
            &format!(
                "model {model} ({size}, {} MB) is larger than the {} MB of memory available",
                bytes >> 20,
                free >> 20
            ),
            "choose a smaller model (--model) or free memory",
        )?,
        (Some(bytes), Some(free)) => checks.pass(&format!(
            "model {model}: {size} parameters, {} MB, {} MB of memory available",
            bytes >> 20,
            free >> 20
        ))?,
        _ => checks.pass(&format!("model {model}: {size} parameters"))?,
    }
    if details.billions().is_some_and(|b| b < llm::SMALL_MODEL_BILLIONS) {
        checks.note(&format!("model {model} is tiny: its explanations will be unreliable"))?;
    }
    Ok(())
}

fn check_directories(checks: &mut Checks<'_>, settings: &DoctorSettings) -> anyhow::Result<()> {
    if let Some(dir) = &settings.prompts {
        match PromptSet::from_dir(dir) {
            Ok(_) => checks.pass(&format!("prompt templates in {} render", dir.display()))?,
            Err(e) => checks
                .fail(&format!("prompt templates in {}: {e}", dir.display()), "fix the template or drop --prompts")?,
        }
    }
    match llm::Cache::at_default() {
        Some(cache) => writable(checks, "explanation cache", cache.dir())?,
        None => checks
            .fail("explanation cache: no cache directory on this system", "set XDG_CACHE_HOME or use --no-cache")?,
    }
    match settings.history.as_deref().and_then(Path::parent) {
        Some(dir) => writable(checks, "report history", dir)?,
        None => checks.fail("report history: no state directory on this system", "pass --history PATH to report")?,
    }
    Ok(())
}

/// Creates the directory as the tool would (0700) and a temporary file in it, removed at once.
fn writable(checks: &mut Checks<'_>, what: &str, dir: &Path) -> anyhow::Result<()> {
    let probe = crate::private_fs::create_dir(dir).and_then(|()| tempfile::tempfile_in(dir).map(drop));
    match probe {
        Ok(()) => checks.pass(&format!("{what} directory {} is writable", dir.display())),
        Err(e) => {
            checks.fail(&format!("{what} directory {}: {e}", dir.display()), "fix its permissions or point elsewhere")
        }
    }
}

/// MemAvailable from /proc/meminfo, in bytes; None where there is no such file.
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// An error with its causes on one line.
fn error_line(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}
