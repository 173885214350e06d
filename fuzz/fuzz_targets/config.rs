//! The config file parser, src/config.rs of the binary crate, compiled here as it is (the binary has no library
//! target to depend on). Each input is written to a file that `$MEKHANIKUBE_CONFIG` names, read back by
//! `config::load`; a config that loads is applied to a command with the argument ids and value parsers of
//! src/cli.rs (which cannot be compiled alone), and clap must take its values.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use clap::{Arg, ArgAction, Command, value_parser};
use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../src/config.rs"]
mod config;

fn file() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir =
            if std::path::Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
        let file = dir.join(format!("mekhanikube-fuzz-config-{}.yaml", std::process::id()));
        // SAFETY: set once, before any other thread of this process reads the environment.
        unsafe { std::env::set_var("MEKHANIKUBE_CONFIG", &file) };
        file
    })
}

const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];

/// The config's flags as src/cli.rs declares them: the value parsers clap's derive picks for their types.
fn command() -> Command {
    let text = |id: &'static str| Arg::new(id).long(id);
    let analyze = Command::new("analyze")
        .arg(text("kubeconfig").value_parser(value_parser!(PathBuf)))
        .arg(text("context"))
        .arg(text("connect_timeout").value_parser(value_parser!(u64)))
        .arg(text("request_timeout").value_parser(value_parser!(u64)))
        .arg(text("min_severity").value_parser(SEVERITIES))
        .arg(text("fail_on").value_parser(SEVERITIES))
        .arg(text("ollama_url"))
        .arg(text("model"))
        .arg(text("language"))
        .arg(text("llm_concurrency").value_parser(value_parser!(usize)))
        .arg(text("llm_max_tokens").value_parser(value_parser!(u32)))
        .arg(text("llm_timeout").value_parser(value_parser!(u64)))
        .arg(text("prompts").value_parser(value_parser!(PathBuf)))
        .arg(text("anonymize").action(ArgAction::SetTrue));
    Command::new("mekhanikube").subcommand(analyze).subcommand(Command::new("analyzers"))
}

fuzz_target!(|data: &[u8]| {
    let file = file();
    std::fs::write(file, data).expect("write the config file");
    let loaded = config::load();
    std::fs::remove_file(file).expect("remove the config file");
    match loaded {
        Ok(Some(config)) => {
            // A config that loads is one whose values clap takes: an error here would not name the file.
            if let Err(e) = config.apply(command()).try_get_matches_from(["mekhanikube", "analyze"]) {
                panic!("a config that loads is refused by the command line: {e}");
            }
        }
        Ok(None) => panic!("$MEKHANIKUBE_CONFIG is set: a config is always read"),
        Err(e) => assert!(e.to_string().contains(&file.display().to_string()), "the error names the file: {e}"),
    }
});
