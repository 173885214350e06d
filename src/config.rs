//! The config file: defaults for flags, overridden by environment variables and flags. Read from
//! `$MEKHANIKUBE_CONFIG`, else `<config dir>/mekhanikube/config.yaml` when it exists. Its keys are not listed
//! here: every long flag of the command line is one, named in camelCase (`ollamaUrl`, `failOn`, `logs`, ...), found
//! in the clap definitions and checked with the flag's own value parser, so a new flag is a key without a change
//! here. [`EXCLUDED`] lists the flags that are not, and why. An unknown key is an error, not a silent typo.
//!
//! This file is compiled alone into the `config` fuzz target: it uses only crates, never `crate::`.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, Command};
use serde::Deserialize;

/// Flags that the config file does not set, with the reason given to whoever tries.
pub const EXCLUDED: &[(&str, &str)] = &[
    ("output", "it means a format for analyze and a file for snapshot; pass -o on each run"),
    ("snapshot", "a default input would quietly turn every live run into an offline one; pass --snapshot on each run"),
    ("keep_values", "keeping credential-like values must be asked for on each run"),
    ("verbose", "it counts repetitions; set MEKHANIKUBE_LOG instead"),
    ("help", "it is not a setting"),
    ("version", "it is not a setting"),
];

/// A value as YAML gives it: scalars become the text clap parses, lists the values of a comma-separated flag.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Value {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    List(Vec<Scalar>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(n) => n.to_string(),
            Scalar::Float(x) => x.to_string(),
            Scalar::Text(s) => s.clone(),
        }
    }
}

#[derive(Debug, Default)]
pub struct ConfigFile {
    path: String,
    /// camelCase key → value; keys without a value (`model:`) are left out, as if absent.
    values: BTreeMap<String, Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Invalid { path: String, message: String },
}

/// The config file to use, if any: `$MEKHANIKUBE_CONFIG` (which must exist), else the default path if present.
/// Only its shape is checked here; [`ConfigFile::apply`] checks its keys and values against the command line.
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
    if text.trim().is_empty() {
        return Ok(ConfigFile { path: shown, values: BTreeMap::new() });
    }
    let values: BTreeMap<String, Option<Value>> = serde_saphyr::from_str(&text).map_err(|e| {
        let first = e.to_string().lines().next().unwrap_or_default().to_string();
        ConfigError::Invalid { path: shown.clone(), message: first }
    })?;
    let values = values.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).collect();
    Ok(ConfigFile { path: shown, values })
}

/// `ollama_url` → `ollamaUrl`.
pub fn key_of(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    let mut upper = false;
    for c in id.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether an argument of the command line is a config key: a named flag that is not in [`EXCLUDED`].
pub fn is_key(arg: &Arg) -> bool {
    !arg.is_positional()
        && !matches!(arg.get_action(), ArgAction::Help | ArgAction::Version | ArgAction::Count)
        && !EXCLUDED.iter().any(|(id, _)| arg.get_id() == *id)
}

impl ConfigFile {
    fn invalid(&self, message: String) -> ConfigError {
        ConfigError::Invalid { path: self.path.clone(), message }
    }

    /// Makes the file's values the defaults of the flags they name, on the top-level command (global flags)
    /// and on every subcommand that has the flag. Each key must name a flag, and each value must be one that
    /// flag takes (checked with the flag's value parser, so clap never refuses a default without naming the file).
    pub fn apply(&self, mut command: Command) -> Result<Command, ConfigError> {
        for (key, value) in &self.values {
            let mut found = false;
            if let Some(id) = find(&command, key, &mut found) {
                let values = self.values_for(&command, &id, key, value)?;
                command = command.mut_arg(&id, |arg| with_default(arg, values));
            }
            let names: Vec<String> = command.get_subcommands().map(|s| s.get_name().to_string()).collect();
            for name in names {
                let sub = command.find_subcommand(&name).expect("listed above");
                let Some(id) = find(sub, key, &mut found) else { continue };
                let values = self.values_for(sub, &id, key, value)?;
                command = command.mut_subcommand(name, |sub| sub.mut_arg(&id, |arg| with_default(arg, values)));
            }
            if !found {
                let excluded = EXCLUDED.iter().find(|(id, _)| key_of(id) == *key);
                return Err(self.invalid(match excluded {
                    Some((_, why)) => format!("{key} cannot be set in the config file: {why}"),
                    None => format!("unknown key {key} (keys are the long flag names in camelCase, e.g. failOn)"),
                }));
            }
        }
        Ok(command)
    }

    /// The value's texts for the flag `id` of `command`, each accepted by the flag's value parser.
    fn values_for(&self, command: &Command, id: &str, key: &str, value: &Value) -> Result<Vec<String>, ConfigError> {
        let arg = command.get_arguments().find(|a| a.get_id() == id).expect("found by id");
        let many = matches!(arg.get_action(), ArgAction::Append);
        let texts: Vec<String> = match value {
            Value::List(items) if many => items.iter().map(Scalar::text).collect(),
            Value::List(_) => return Err(self.invalid(format!("{key}: one value, not a list"))),
            Value::Text(s) if many => match arg.get_value_delimiter() {
                Some(d) => s.split(d).map(str::to_string).collect(),
                None => vec![s.clone()],
            },
            Value::Bool(b) => vec![b.to_string()],
            Value::Int(n) => vec![n.to_string()],
            Value::Float(x) => vec![x.to_string()],
            Value::Text(s) => vec![s.clone()],
        };
        if texts.is_empty() {
            return Err(self.invalid(format!("{key}: the list is empty")));
        }
        let possible: Vec<String> = arg.get_possible_values().iter().map(|p| p.get_name().to_string()).collect();
        texts
            .into_iter()
            .map(|text| {
                // Possible values are matched as the command line would, and ignoring case (`failOn: High`).
                let text = possible.iter().find(|p| p.eq_ignore_ascii_case(&text)).cloned().unwrap_or(text);
                if let Err(reason) = check(arg, &text) {
                    let reason =
                        if possible.is_empty() { reason } else { format!("possible values: {}", possible.join(", ")) };
                    return Err(self.invalid(format!("{key}: invalid value '{text}' ({reason})")));
                }
                if id == "crds" {
                    mekhanikube_analyzers::CrdSelection::parse(&text)
                        .map_err(|e| self.invalid(format!("{key}: {e}")))?;
                }
                Ok(text)
            })
            .collect()
    }
}

/// The id of the flag of `command` that `key` names, if any; sets `found` when the key names a flag there,
/// even an excluded one, so that a key is reported unknown only when no command has it.
fn find(command: &Command, key: &str, found: &mut bool) -> Option<String> {
    let arg = command.get_arguments().find(|a| !a.is_positional() && key_of(a.get_id().as_str()) == key)?;
    if !is_key(arg) {
        return None;
    }
    *found = true;
    Some(arg.get_id().to_string())
}

/// The flag with the file's values as its default; a required flag given by the file is no longer required.
fn with_default(arg: Arg, values: Vec<String>) -> Arg {
    let arg = arg.required(false);
    if values.len() == 1 { arg.default_value(values[0].clone()) } else { arg.default_values(values) }
}

/// Whether the flag takes `text` as its value: parsed by a one-flag command with the flag's value parser (clap
/// keeps the parser's own entry point to itself). A switch takes `true` or `false`.
fn check(arg: &Arg, text: &str) -> Result<(), String> {
    if matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse) {
        return match text {
            "true" | "false" => Ok(()),
            _ => Err("true or false".to_string()),
        };
    }
    let probe = Arg::new("value").long("value").value_parser(arg.get_value_parser().clone()).allow_hyphen_values(true);
    let command = Command::new("config").no_binary_name(true).arg(probe);
    match command.try_get_matches_from([OsStr::new("--value"), OsStr::new(text)]) {
        Ok(_) => Ok(()),
        Err(e) => {
            // clap's first line, without its prefix and the probe's flag: the parser's own reason.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or_default().trim_start_matches("error: ").trim();
            Err(first.rsplit_once("': ").map_or(first, |(_, reason)| reason).to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    /// Found by the `config` fuzz target: an empty path loaded, then clap refused it as a default with an error
    /// that did not name the file (`a value is required for '--kubeconfig <PATH>'`).
    #[test]
    fn an_empty_path_is_an_error_that_names_the_file() {
        for (text, key) in [("kubeconfig: >\t\r", "kubeconfig"), ("prompts: ''\n", "prompts")] {
            let (_dir, path) = write(text);
            let Err(error) = parse(&path).and_then(|c| c.apply(crate::cli::command())) else {
                panic!("{text:?} was accepted")
            };
            let error = error.to_string();
            assert!(error.contains(&path.display().to_string()) && error.contains(key), "{text:?}: {error}");
        }
    }

    #[test]
    fn keys_are_camel_case_flag_ids() {
        assert_eq!(key_of("ollama_url"), "ollamaUrl");
        assert_eq!(key_of("llm_max_tokens"), "llmMaxTokens");
        assert_eq!(key_of("logs"), "logs");
    }

    /// A sample value each flag takes, different from its default where it has one.
    fn sample(arg: &Arg) -> Vec<String> {
        let possible: Vec<String> = arg.get_possible_values().iter().map(|p| p.get_name().to_string()).collect();
        if matches!(arg.get_action(), ArgAction::SetTrue) {
            return vec!["true".into()];
        }
        if let Some(last) = possible.last() {
            return vec![last.clone()];
        }
        let name = arg.get_value_names().and_then(|n| n.first()).map(|n| n.to_string()).unwrap_or_default();
        match (arg.get_id().as_str(), name.as_str()) {
            ("crds", _) => vec!["none".into()],
            (_, "SECONDS" | "N") => vec!["7".into()],
            _ if matches!(arg.get_action(), ArgAction::Append) => vec!["a".into(), "b".into()],
            _ => vec!["/tmp/sample".into()],
        }
    }

    fn yaml_value(values: &[String]) -> String {
        let quoted: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
        if values.len() == 1 { quoted[0].clone() } else { format!("[{}]", quoted.join(", ")) }
    }

    /// Every flag of analyze, report, snapshot, mcp and doctor, and every global flag, is a config key that
    /// sets its default, or is listed in [`EXCLUDED`] (and then refused with the reason).
    #[test]
    fn every_flag_is_a_config_key_or_excluded_with_a_reason() {
        let command = crate::cli::command();
        let mut commands: Vec<&Command> = vec![&command];
        for name in ["analyze", "report", "snapshot", "mcp", "doctor"] {
            commands.push(command.find_subcommand(name).unwrap_or_else(|| panic!("{name}")));
        }
        let mut checked = 0;
        for sub in commands {
            for arg in sub.get_arguments().filter(|a| !a.is_positional()) {
                let id = arg.get_id().as_str();
                let key = key_of(id);
                if !is_key(arg) {
                    let reason = EXCLUDED.iter().find(|(e, _)| *e == id).map(|(_, why)| *why);
                    let reason = reason.unwrap_or_else(|| panic!("{id} is not a key and not in EXCLUDED"));
                    if !matches!(id, "help" | "version") {
                        let (_dir, path) = write(&format!("{key}: x\n"));
                        let Err(error) = parse(&path).unwrap().apply(crate::cli::command()) else {
                            panic!("{key} was accepted")
                        };
                        let error = error.to_string();
                        assert!(error.contains(reason), "{key}: {error}");
                    }
                    continue;
                }
                let values = sample(arg);
                let (_dir, path) = write(&format!("{key}: {}\n", yaml_value(&values)));
                let applied = parse(&path)
                    .and_then(|c| c.apply(crate::cli::command()))
                    .unwrap_or_else(|e| panic!("{}/{key} = {values:?}: {e}", sub.get_name()));
                let target = if sub.get_name() == "mekhanikube" {
                    &applied
                } else {
                    applied.find_subcommand(sub.get_name()).unwrap()
                };
                let arg = target.get_arguments().find(|a| a.get_id() == id).unwrap();
                let defaults: Vec<String> =
                    arg.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect();
                assert_eq!(defaults, values, "{}: {key}", sub.get_name());
                checked += 1;
            }
        }
        assert!(checked > 40, "only {checked} flags checked");
    }

    /// The config makes a flag's default what clap then parses: `analyze` with no flags takes them all.
    #[test]
    fn a_config_with_many_keys_parses_as_the_command_line_would() {
        let text = "context: [a, b]\nfilter: pod,service\nfailOn: Critical\nlogs: true\nexplain: true\n\
                    llmMaxTokens: 300\ncrds: none\nnamespace: shop\nquiet: true\ncolor: never\n";
        let (_dir, path) = write(text);
        let command = parse(&path).unwrap().apply(crate::cli::command()).unwrap();
        let matches = command.try_get_matches_from(["mekhanikube", "analyze"]).unwrap();
        assert_eq!(matches.get_one::<crate::cli::ColorChoice>("color").copied().map(|c| c as u8), Some(2));
        assert!(matches.get_flag("quiet"));
        let (_, analyze) = matches.subcommand().unwrap();
        let list = |id: &str| -> Vec<String> { analyze.get_many::<String>(id).unwrap().cloned().collect() };
        assert_eq!(list("context"), ["a", "b"]);
        assert_eq!(list("filter"), ["pod", "service"]);
        assert_eq!(analyze.get_one::<crate::cli::SeverityArg>("fail_on"), Some(&crate::cli::SeverityArg::Critical));
        assert!(analyze.get_flag("logs") && analyze.get_flag("explain"));
        assert_eq!(analyze.get_one::<u32>("llm_max_tokens"), Some(&300));
        assert_eq!(analyze.get_one::<String>("namespace").map(String::as_str), Some("shop"));
    }

    #[test]
    fn bad_keys_and_values_name_the_file_and_the_key() {
        for (text, needle) in [
            ("modle: x\n", "unknown key modle"),
            ("failOn: severe\n", "failOn: invalid value 'severe' (possible values: critical, high"),
            ("llmMaxTokens: lots\n", "llmMaxTokens: invalid value 'lots'"),
            ("keepReports: 0\n", "keepReports: invalid value '0'"),
            ("crds: apps\n", "crds: 'apps' is built into Kubernetes"),
            ("model: [a, b]\n", "model: one value, not a list"),
            ("keepValues: true\n", "keepValues cannot be set in the config file"),
            ("output: json\n", "output cannot be set in the config file"),
        ] {
            let (_dir, path) = write(text);
            let Err(error) = parse(&path).and_then(|c| c.apply(crate::cli::command())) else {
                panic!("{text:?} was accepted")
            };
            let error = error.to_string();
            assert!(error.contains(&path.display().to_string()) && error.contains(needle), "{text:?}: {error}");
        }
    }
}
