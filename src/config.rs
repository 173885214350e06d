//! The config file: defaults for flags, overridden by environment variables and flags. Read from
//! `$MEKHANIKUBE_CONFIG`, else `<config dir>/mekhanikube/config.yaml` when it exists. Keys are the long flag
//! names in camelCase (`ollamaUrl`, `failOn`, `prompts`, ...); an unknown key is an error, not a silent typo.

use std::path::{Path, PathBuf};

use mekhanikube_analyzers::Severity;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigFile {
    kubeconfig: Option<PathBuf>,
    context: Option<String>,
    connect_timeout: Option<u64>,
    request_timeout: Option<u64>,
    min_severity: Option<String>,
    fail_on: Option<String>,
    ollama_url: Option<String>,
    model: Option<String>,
    language: Option<String>,
    llm_concurrency: Option<usize>,
    llm_max_tokens: Option<u32>,
    llm_timeout: Option<u64>,
    prompts: Option<PathBuf>,
    anonymize: Option<bool>,
    flat: Option<bool>,
    crds: Option<String>,
    rules: Option<PathBuf>,
    audience: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("invalid config file {path}: {message}")]
    Invalid { path: String, message: String },
}

/// The config file to use, if any: `$MEKHANIKUBE_CONFIG` (which must exist), else the default path if present.
pub fn load() -> Result<Option<ConfigFile>, ConfigError> {
    let path = match std::env::var_os("MEKHANIKUBE_CONFIG").filter(|p| !p.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => match dirs::config_dir().map(|d| d.join("mekhanikube").join("config.yaml")) {
            Some(p) if p.exists() => p,
            _ => return Ok(None),
        },
    };
    parse(&path).map(Some)
}

fn parse(path: &Path) -> Result<ConfigFile, ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
    let invalid = |message: String| ConfigError::Invalid { path: shown.clone(), message };
    let config: ConfigFile = if text.trim().is_empty() {
        ConfigFile::default()
    } else {
        serde_saphyr::from_str(&text).map_err(|e| invalid(e.to_string().lines().next().unwrap_or_default().into()))?
    };
    // Checked here: clap takes these as defaults and would not say which file they came from.
    for (key, value) in [("minSeverity", &config.min_severity), ("failOn", &config.fail_on)] {
        if let Some(v) = value {
            v.parse::<Severity>().map_err(|e| invalid(format!("{key}: {e}")))?;
        }
    }
    if let Some(audience) = &config.audience
        && !["operator", "developer"].contains(&audience.to_ascii_lowercase().as_str())
    {
        return Err(invalid(format!("audience: '{audience}' is not operator or developer")));
    }
    if let Some(crds) = &config.crds {
        mekhanikube_analyzers::CrdSelection::parse(crds).map_err(|e| invalid(format!("crds: {e}")))?;
    }
    for (key, value) in [("kubeconfig", &config.kubeconfig), ("prompts", &config.prompts), ("rules", &config.rules)] {
        if value.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
            return Err(invalid(format!("{key}: the path is empty")));
        }
    }
    Ok(config)
}

impl ConfigFile {
    /// `(argument id, value)` for every key that is set; ids are clap's (the field names of src/cli.rs).
    fn defaults(&self) -> Vec<(&'static str, String)> {
        let text = |v: &Option<String>| v.clone();
        let path = |v: &Option<PathBuf>| v.as_ref().map(|p| p.display().to_string());
        let number = |v: Option<u64>| v.map(|n| n.to_string());
        [
            ("kubeconfig", path(&self.kubeconfig)),
            ("context", text(&self.context)),
            ("connect_timeout", number(self.connect_timeout)),
            ("request_timeout", number(self.request_timeout)),
            ("min_severity", self.min_severity.as_ref().map(|s| s.to_ascii_lowercase())),
            ("fail_on", self.fail_on.as_ref().map(|s| s.to_ascii_lowercase())),
            ("ollama_url", text(&self.ollama_url)),
            ("model", text(&self.model)),
            ("language", text(&self.language)),
            ("llm_concurrency", number(self.llm_concurrency.map(|n| n as u64))),
            ("llm_max_tokens", number(self.llm_max_tokens.map(u64::from))),
            ("llm_timeout", number(self.llm_timeout)),
            ("prompts", path(&self.prompts)),
            ("anonymize", self.anonymize.map(|b| b.to_string())),
            ("flat", self.flat.map(|b| b.to_string())),
            ("crds", self.crds.clone()),
            ("rules", path(&self.rules)),
            ("audience", self.audience.as_ref().map(|s| s.to_ascii_lowercase())),
        ]
        .into_iter()
        .filter_map(|(id, value)| value.map(|v| (id, v)))
        .collect()
    }

    /// Makes the file's values the defaults of every subcommand that has the flag.
    pub fn apply(&self, mut command: clap::Command) -> clap::Command {
        let defaults = self.defaults();
        let names: Vec<String> = command.get_subcommands().map(|s| s.get_name().to_string()).collect();
        for name in names {
            command = command.mut_subcommand(name, |mut sub| {
                for (id, value) in &defaults {
                    if sub.get_arguments().any(|a| a.get_id() == *id) {
                        let value = value.clone();
                        sub = sub.mut_arg(*id, move |arg| arg.default_value(value));
                    }
                }
                sub
            });
        }
        command
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `config` fuzz target: an empty path loaded, then clap refused it as a default with an error
    /// that did not name the file (`a value is required for '--kubeconfig <PATH>'`).
    #[test]
    fn an_empty_path_is_an_error_that_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        for (text, key) in [("kubeconfig: >\t\r", "kubeconfig"), ("prompts: ''\n", "prompts")] {
            let path = dir.path().join("config.yaml");
            std::fs::write(&path, text).unwrap();
            let error = parse(&path).unwrap_err().to_string();
            assert!(error.contains(&path.display().to_string()) && error.contains(key), "{text:?}: {error}");
        }
    }
}
