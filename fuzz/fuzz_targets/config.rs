//! The config file parser, src/config.rs of the binary crate, compiled here as it is (the binary has no library
//! target to depend on). Each input is written to a file that `$MEKHANIKUBE_CONFIG` names, read back by
//! `config::load` and applied to a command with the kinds of flags of src/cli.rs (which cannot be compiled
//! alone): text, paths, numbers, a bounded number, severities, switches, comma-separated lists, a global flag, a
//! required flag. Either an error that names the file, or a command whose defaults clap then takes.
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

/// Flags as src/cli.rs declares them: the value parsers and actions clap's derive picks for their types.
fn command() -> Command {
    let text = |id: &'static str| Arg::new(id).long(id);
    let switch = |id: &'static str| Arg::new(id).long(id).action(ArgAction::SetTrue);
    let analyze = Command::new("analyze")
        .arg(text("kubeconfig").value_parser(value_parser!(PathBuf)))
        .arg(text("context").action(ArgAction::Append).value_delimiter(','))
        .arg(text("filter").action(ArgAction::Append).value_delimiter(','))
        .arg(text("connect_timeout").value_parser(value_parser!(u64)).default_value("5"))
        .arg(text("min_severity").value_parser(SEVERITIES).default_value("info"))
        .arg(text("fail_on").value_parser(SEVERITIES))
        .arg(text("ollama_url"))
        .arg(text("crds").default_value("all"))
        .arg(text("llm_concurrency").value_parser(value_parser!(usize)))
        .arg(text("llm_max_tokens").value_parser(value_parser!(u32)))
        .arg(text("keep_reports").value_parser(value_parser!(u32).range(1..)))
        .arg(text("prompts").value_parser(value_parser!(PathBuf)))
        .arg(switch("anonymize"))
        .arg(switch("logs"))
        .arg(text("allow_remote_llm").action(ArgAction::SetTrue).value_parser(clap::builder::FalseyValueParser::new()))
        .arg(text("out").value_parser(value_parser!(PathBuf)).required(true))
        .arg(text("output").value_parser(["text", "json"]));
    Command::new("mekhanikube")
        .arg(switch("quiet").global(true))
        .arg(text("verbose").action(ArgAction::Count).global(true))
        .subcommand(analyze)
        .subcommand(Command::new("analyzers"))
}

fuzz_target!(|data: &[u8]| {
    let file = file();
    std::fs::write(file, data).expect("write the config file");
    let loaded = config::load();
    std::fs::remove_file(file).expect("remove the config file");
    match loaded {
        Ok(Some(config)) => match config.apply(command()) {
            // A config that applies is one whose values clap takes: an error here would not name the file.
            Ok(command) => {
                if let Err(e) = command.try_get_matches_from(["mekhanikube", "analyze", "--out", "/reports"]) {
                    panic!("a config that applies is refused by the command line: {e}");
                }
            }
            Err(e) => assert!(e.to_string().contains(&file.display().to_string()), "the error names the file: {e}"),
        },
        Ok(None) => panic!("$MEKHANIKUBE_CONFIG is set: a config is always read"),
        Err(e) => assert!(e.to_string().contains(&file.display().to_string()), "the error names the file: {e}"),
    }
});
