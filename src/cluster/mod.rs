//! Read-only access to a live cluster: configuration, a client that can only GET, and one concurrent, paginated
//! list per kind.

mod reader;
mod readonly;

use std::path::PathBuf;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

pub use reader::{ReadProgress, read};
pub use readonly::ReadOnlyLayer;

#[derive(Debug, Clone)]
pub struct ClusterOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
}

/// Where a client points, for reports and error messages.
#[derive(Debug, Clone)]
pub struct ClusterInfo {
    pub context: Option<String>,
    pub server: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or run inside a pod")]
    NoConfig,
    #[error("cannot read kubeconfig {path}: {detail}")]
    KubeconfigFile { path: String, detail: String },
    #[error("invalid kubeconfig: {0}")]
    Kubeconfig(String),
    #[error("cannot reach the API server at {server}: {detail} (is the cluster running, and is --context right?)")]
    Unreachable { server: String, detail: String },
    #[error("the API server at {server} did not answer within {seconds} s (raise --request-timeout?)")]
    Timeout { server: String, seconds: u64 },
    #[error("the API server at {server} refused the credentials: {detail} (check the kubeconfig user)")]
    Unauthorized { server: String, detail: String },
    #[error("listing {kind} failed: {detail}")]
    List { kind: String, detail: String },
}

/// Builds a read-only client from the kubeconfig (or in-cluster config) and checks the server answers.
pub async fn connect(options: &ClusterOptions) -> Result<(Client, ClusterInfo), ClusterError> {
    let mut config = load_config(options).await?;
    config.connect_timeout = Some(options.connect_timeout);
    config.read_timeout = Some(options.read_timeout);
    config.write_timeout = Some(options.read_timeout);
    let server = config.cluster_url.to_string().trim_end_matches('/').to_string();
    let client = kube::client::ClientBuilder::try_from(config)
        .map_err(|e| ClusterError::Kubeconfig(error_chain(&e)))?
        .with_layer(&ReadOnlyLayer)
        .build();
    let info = ClusterInfo { context: options.context.clone().or_else(current_context), server };
    // One cheap GET first, so an unreachable server fails fast with one clear message.
    let version =
        tokio::time::timeout(options.connect_timeout + options.read_timeout, client.apiserver_version()).await;
    match version {
        Err(_) => Err(ClusterError::Timeout {
            server: info.server.clone(),
            seconds: (options.connect_timeout + options.read_timeout).as_secs(),
        }),
        Ok(Err(e)) => Err(classify(&info.server, "the server version", e, options.read_timeout)),
        Ok(Ok(_)) => Ok((client, info)),
    }
}

async fn load_config(options: &ClusterOptions) -> Result<Config, ClusterError> {
    let kube_options = KubeConfigOptions { context: options.context.clone(), ..Default::default() };
    let kubeconfig =
        match &options.kubeconfig {
            Some(path) => Some(Kubeconfig::read_from(path).map_err(|e| ClusterError::KubeconfigFile {
                path: path.display().to_string(),
                detail: error_chain(&e),
            })?),
            None => match Kubeconfig::from_env() {
                Ok(Some(kc)) => Some(kc),
                Ok(None) => default_kubeconfig_path()
                    .filter(|p| p.exists())
                    .map(|p| {
                        Kubeconfig::read_from(&p).map_err(|e| ClusterError::KubeconfigFile {
                            path: p.display().to_string(),
                            detail: error_chain(&e),
                        })
                    })
                    .transpose()?,
                Err(e) => {
                    let path = std::env::var("KUBECONFIG").unwrap_or_default();
                    return Err(ClusterError::KubeconfigFile {
                        path: format!("$KUBECONFIG ({path})"),
                        detail: error_chain(&e),
                    });
                }
            },
        };
    match kubeconfig {
        Some(kc) => Config::from_custom_kubeconfig(kc, &kube_options)
            .await
            .map_err(|e| ClusterError::Kubeconfig(error_chain(&e))),
        None if options.context.is_some() => Err(ClusterError::NoConfig),
        None => Config::incluster().map_err(|_| ClusterError::NoConfig),
    }
}

fn default_kubeconfig_path() -> Option<PathBuf> {
    dirs::home_dir().map(|h| h.join(".kube").join("config"))
}

fn current_context() -> Option<String> {
    Kubeconfig::read().ok().and_then(|kc| kc.current_context)
}

/// Joins an error and its sources into one line, skipping repeats.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

/// Turns a kube error into a message that says what to fix.
fn classify(server: &str, what: &str, error: kube::Error, read_timeout: Duration) -> ClusterError {
    let detail = error_chain(&error);
    match &error {
        kube::Error::Api(status) if status.code == 401 => {
            ClusterError::Unauthorized { server: server.to_string(), detail: status.message.clone() }
        }
        kube::Error::Api(status) => ClusterError::List { kind: what.to_string(), detail: status.message.clone() },
        _ if detail.to_ascii_lowercase().contains("timed out") || detail.to_ascii_lowercase().contains("timeout") => {
            ClusterError::Timeout { server: server.to_string(), seconds: read_timeout.as_secs() }
        }
        _ => ClusterError::Unreachable { server: server.to_string(), detail: short_cause(&detail) },
    }
}

/// The most specific part of an error chain (the last one), which is what a person can act on.
fn short_cause(detail: &str) -> String {
    detail.rsplit(": ").next().unwrap_or(detail).trim().to_string()
}
