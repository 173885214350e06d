//! mekhanikube: diagnose a Kubernetes cluster read-only, and explain findings with a local model.

mod audience;
mod cli;
mod cluster;
mod commands;
mod config;
mod document;
mod llm;
#[cfg(feature = "mcp")]
mod mcp;
mod pipeline;
mod printer;
mod private_fs;
mod render;
mod report;
mod rules;
mod sanitize;
mod settings;
mod snapshot_io;
#[cfg(test)]
mod test_support;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::cli::{CacheCommand, Cli, Command};
use crate::commands::ExitStatus;
use crate::printer::Printer;

fn main() -> ExitCode {
    let configured = config::load().and_then(|config| match config {
        Some(config) => config.apply(Cli::command()),
        None => Ok(Cli::command()),
    });
    let command = match configured {
        Ok(command) => command,
        // Help and the version never depend on the config file: a broken one must not hide how to fix it.
        Err(e) if asks_for_help_or_version() => {
            Printer::new(false, anstream::ColorChoice::Auto).warn(&format!("{e} (ignored for help and --version)"));
            Cli::command()
        }
        Err(e) => {
            Printer::new(false, anstream::ColorChoice::Auto).error(&e.to_string());
            return ExitStatus::Error.into();
        }
    };
    let command = cli::mask_url_credentials(command);
    let cli = match command.try_get_matches().and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and --version are not errors; bad flags exit 2 like every other error.
            let _ = e.print();
            return if e.use_stderr() { ExitStatus::Error } else { ExitStatus::Ok }.into();
        }
    };
    let printer = Printer::new(cli.global.quiet, settings::color(cli.global.color));
    init_logging(cli.global.verbose);
    // One thread, but for the MCP server (whose tool calls run on threads of their own): a command reads the
    // cluster and decodes each page on the thread that awaits it, and with worker threads the pages' buffers were
    // spread over per-thread allocator arenas (10,000 pods live: 141 against 133 MB, no faster).
    let mut runtime = match cli.command {
        Command::Mcp(_) => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match runtime.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            printer.error(&format!("cannot start the async runtime: {e}"));
            return ExitStatus::Error.into();
        }
    };
    let result = runtime.block_on(dispatch(&printer, cli.command));
    match result {
        Ok(status) => status.into(),
        // The reader of stdout has gone (`| head`): what it wanted was written.
        Err(e) if e.chain().any(|c| c.is::<printer::OutputClosed>()) => ExitStatus::Ok.into(),
        Err(e) => {
            printer.error(&commands::error_line(&e));
            ExitStatus::Error.into()
        }
    }
}

fn asks_for_help_or_version() -> bool {
    std::env::args().skip(1).any(|a| matches!(a.as_str(), "-h" | "--help" | "-V" | "--version" | "help"))
}

async fn dispatch(printer: &Printer, command: Command) -> anyhow::Result<ExitStatus> {
    match command {
        Command::Analyze(args) => commands::analyze::run_analyze(printer, settings::analyze(&args)?).await,
        Command::Snapshot(args) => commands::snapshot::run_snapshot(printer, settings::snapshot(&args)?).await,
        Command::Constraints(args) => {
            commands::constraints::run_constraints(printer, settings::constraints(&args)?).await
        }
        Command::Report(args) => commands::report::run_report(printer, settings::report(&args)?).await,
        Command::Analyzers(args) => {
            let rules = settings::rule_analyzers(&args.rules)?;
            commands::analyzers::run_analyzers(printer, settings::format(args.output), &rules)
        }
        Command::Cache(CacheCommand::Clear) => commands::cache::run_cache_clear(printer),
        #[cfg(feature = "mcp")]
        Command::Mcp(args) => commands::mcp::run_mcp(printer, settings::mcp(&args)?).await,
        Command::Doctor(args) => commands::doctor::run_doctor(printer, settings::doctor(&args)?).await,
        Command::Completions(args) => commands::shell::run_completions(printer, args.shell),
        Command::Man(args) => commands::shell::run_man(printer, &args.dir),
    }
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "mekhanikube=warn",
        1 => "mekhanikube=debug,kube=info",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("MEKHANIKUBE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
}
