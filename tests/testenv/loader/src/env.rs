//! The test bed itself: what `up.sh` wrote to `DIR/env`, starting and stopping instances, clients for its users.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

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
}

#[cfg(test)]
mod tests {
    use super::*;

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
