//! Read-only access to a live cluster: configuration, a client that can only GET, and one concurrent, paginated
//! list per kind.

mod custom;
mod logs;
mod probe;
mod reader;
mod readonly;

use std::path::PathBuf;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

pub use custom::read_custom;
pub use logs::attach_logs;
pub use mekhanikube_analyzers::CrdSelection;
pub use probe::{ListAccess, probe_list};
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

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why the cluster could not be read. Each variant says what to fix; the cause is kept as its source, and `main`
/// prints the chain on one line.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or run inside a pod")]
    NoConfig,
    #[error("cannot read kubeconfig {path}")]
    KubeconfigFile {
        path: String,
        #[source]
        source: kube::config::KubeconfigError,
    },
    #[error("invalid kubeconfig")]
    Kubeconfig(#[source] BoxError),
    #[error("cannot reach the API server at {server} (is the cluster running, and is --context right?)")]
    Unreachable {
        server: String,
        #[source]
        source: kube::Error,
    },
    #[error(
        "the API server at {server} presented a TLS certificate that was not accepted (check the cluster's \
         certificate-authority in the kubeconfig)"
    )]
    Certificate {
        server: String,
        #[source]
        source: kube::Error,
    },
    #[error("the API server at {server} did not answer within {seconds} s (raise --request-timeout?)")]
    Timeout { server: String, seconds: u64 },
    #[error("the API server at {server} refused the credentials (check the kubeconfig user)")]
    Unauthorized {
        server: String,
        #[source]
        source: kube::Error,
    },
    #[error("listing {kind} failed")]
    List {
        kind: String,
        #[source]
        source: kube::Error,
    },
}

/// How every request to the API server names its client, so that audit logs attribute it (`userAgent`).
pub const USER_AGENT: &str = concat!("mekhanikube/", env!("CARGO_PKG_VERSION"));

/// A read-only client built from the kubeconfig (or in-cluster config), not yet checked against the server.
pub struct Prepared {
    client: Client,
    info: ClusterInfo,
    insecure_tls: bool,
    connect_timeout: Duration,
    read_timeout: Duration,
}

/// Builds the client: read-only layer, timeouts, and our user agent.
pub async fn prepare(options: &ClusterOptions) -> Result<Prepared, ClusterError> {
    let (mut config, current_context) = load_config(options).await?;
    config.connect_timeout = Some(options.connect_timeout);
    config.read_timeout = Some(options.read_timeout);
    config.write_timeout = Some(options.read_timeout);
    config.headers.push((http::header::USER_AGENT, http::HeaderValue::from_static(USER_AGENT)));
    let insecure_tls = config.accept_invalid_certs;
    let server = config.cluster_url.to_string().trim_end_matches('/').to_string();
    let client = kube::client::ClientBuilder::try_from(config)
        .map_err(|e| ClusterError::Kubeconfig(Box::new(e)))?
        .with_layer(&ReadOnlyLayer)
        .build();
    let info = ClusterInfo { context: options.context.clone().or(current_context), server };
    Ok(Prepared {
        client,
        info,
        insecure_tls,
        connect_timeout: options.connect_timeout,
        read_timeout: options.read_timeout,
    })
}

impl Prepared {
    /// Whether the kubeconfig turns certificate checks off (`insecure-skip-tls-verify`): anyone on the path
    /// to the API server could then read the cluster's data and the credentials sent.
    pub fn insecure_tls(&self) -> bool {
        self.insecure_tls
    }

    pub fn info(&self) -> &ClusterInfo {
        &self.info
    }

    /// One cheap GET first, so an unreachable server fails fast with one clear message.
    pub async fn connect(self) -> Result<(Client, ClusterInfo), ClusterError> {
        let limit = self.connect_timeout + self.read_timeout;
        match tokio::time::timeout(limit, self.client.apiserver_version()).await {
            Err(_) => Err(ClusterError::Timeout { server: self.info.server.clone(), seconds: limit.as_secs() }),
            Ok(Err(e)) => Err(classify(&self.info.server, "the server version", e, self.read_timeout)),
            Ok(Ok(_)) => Ok((self.client, self.info)),
        }
    }
}

/// The server's version (`GET /version`), e.g. `v1.36.3`.
pub async fn server_version(client: &Client, info: &ClusterInfo) -> Result<String, ClusterError> {
    let version = client
        .apiserver_version()
        .await
        .map_err(|e| classify(&info.server, "the server version", e, Duration::ZERO))?;
    Ok(version.git_version)
}

/// The client configuration and the current context of the kubeconfig it came from (the one `--kubeconfig`
/// names, not the default one).
async fn load_config(options: &ClusterOptions) -> Result<(Config, Option<String>), ClusterError> {
    let kube_options = KubeConfigOptions { context: options.context.clone(), ..Default::default() };
    let kubeconfig = read_kubeconfig(options.kubeconfig.as_deref())?;
    match kubeconfig {
        Some(kc) => {
            let current = kc.current_context.clone();
            let config = Config::from_custom_kubeconfig(kc, &kube_options)
                .await
                .map_err(|e| ClusterError::Kubeconfig(Box::new(e)))?;
            Ok((config, current))
        }
        None if options.context.is_some() => Err(ClusterError::NoConfig),
        None => Config::incluster().map(|c| (c, None)).map_err(|_| ClusterError::NoConfig),
    }
}

/// The kubeconfig `path` names, else $KUBECONFIG (merged), else ~/.kube/config; None when there is none.
fn read_kubeconfig(path: Option<&std::path::Path>) -> Result<Option<Kubeconfig>, ClusterError> {
    let read = |p: &std::path::Path| {
        Kubeconfig::read_from(p)
            .map_err(|source| ClusterError::KubeconfigFile { path: p.display().to_string(), source })
    };
    match path {
        Some(path) => read(path).map(Some),
        None => match Kubeconfig::from_env() {
            Ok(Some(kc)) => Ok(Some(kc)),
            Ok(None) => default_kubeconfig_path().filter(|p| p.exists()).map(|p| read(&p)).transpose(),
            Err(source) => {
                let path = std::env::var("KUBECONFIG").unwrap_or_default();
                Err(ClusterError::KubeconfigFile { path: format!("$KUBECONFIG ({path})"), source })
            }
        },
    }
}

/// Every context of the kubeconfig, in its order (`--all-contexts`).
pub fn context_names(path: Option<&std::path::Path>) -> Result<Vec<String>, ClusterError> {
    let kubeconfig = read_kubeconfig(path)?.ok_or(ClusterError::NoConfig)?;
    Ok(kubeconfig.contexts.into_iter().map(|c| c.name).collect())
}

fn default_kubeconfig_path() -> Option<PathBuf> {
    dirs::home_dir().map(|h| h.join(".kube").join("config"))
}

/// Turns a kube error into a message that says what to fix, recognising timeouts and certificate refusals by
/// the types in its chain.
fn classify(server: &str, what: &str, error: kube::Error, read_timeout: Duration) -> ClusterError {
    let server = server.to_string();
    match &error {
        kube::Error::Api(status) if status.code == 401 => ClusterError::Unauthorized { server, source: error },
        kube::Error::Api(_) => ClusterError::List { kind: what.to_string(), source: error },
        _ if in_chain(&error, &|e| e.is::<rustls::Error>()) => ClusterError::Certificate { server, source: error },
        _ if in_chain(&error, &is_timeout) => ClusterError::Timeout { server, seconds: read_timeout.as_secs() },
        _ => ClusterError::Unreachable { server, source: error },
    }
}

/// Whether an error or one of its sources (looking inside `io::Error` wrappers too) matches.
fn in_chain(
    error: &(dyn std::error::Error + 'static),
    matches: &dyn Fn(&(dyn std::error::Error + 'static)) -> bool,
) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if matches(e) {
            return true;
        }
        if let Some(inner) = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref())
            && in_chain(inner, matches)
        {
            return true;
        }
        current = e.source();
    }
    false
}

fn is_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    error.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        || error.is::<tokio::time::error::Elapsed>()
}

#[cfg(test)]
#[path = "../../tests/support/fake_cluster.rs"]
mod fake_cluster;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use mekhanikube_analyzers::Kind;

    use super::*;

    struct Quiet;
    impl ReadProgress for Quiet {
        fn kind_done(&self, _: Kind, _: usize) {}
    }

    /// A kubeconfig for `server`, with `insecure-skip-tls-verify` when `insecure`.
    fn kubeconfig(dir: &std::path::Path, server: &str, insecure: bool) -> ClusterOptions {
        let path = dir.join("kubeconfig");
        std::fs::write(&path, super::fake_cluster::kubeconfig_text(server, insecure)).unwrap();
        ClusterOptions {
            kubeconfig: Some(path),
            context: None,
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(5),
        }
    }

    /// Through the client the commands use (kubeconfig, read-only layer, HTTP), the version check and every list
    /// carry exactly one User-Agent, `mekhanikube/<version>`, so an audit log attributes them.
    #[tokio::test]
    async fn every_request_names_mekhanikube_as_user_agent() {
        let server = super::fake_cluster::mock_apiserver().await;
        let dir = tempfile::tempdir().unwrap();
        let prepared = prepare(&kubeconfig(dir.path(), &server.uri(), false)).await.unwrap();
        assert!(!prepared.insecure_tls());
        let (client, info) = prepared.connect().await.unwrap();
        let kinds: BTreeSet<Kind> = [Kind::Pod, Kind::Node].into_iter().collect();
        read(
            &client,
            &info,
            &kinds,
            None,
            Duration::from_secs(5),
            &Quiet,
            mekhanikube_analyzers::SnapshotBuilder::new(),
        )
        .await
        .unwrap();

        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 3, "{requests:?}");
        assert_eq!(USER_AGENT, format!("mekhanikube/{}", env!("CARGO_PKG_VERSION")));
        for r in &requests {
            let agents: Vec<&str> =
                r.headers.get_all(http::header::USER_AGENT).iter().map(|v| v.to_str().unwrap()).collect();
            assert_eq!(agents, [USER_AGENT], "{} {}", r.method, r.url);
        }
    }

    #[tokio::test]
    async fn insecure_skip_tls_verify_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let prepared = prepare(&kubeconfig(dir.path(), "https://127.0.0.1:1", true)).await.unwrap();
        assert!(prepared.insecure_tls());
    }
}
