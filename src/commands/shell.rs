//! `mekhanikube completions SHELL` and the hidden `mekhanikube man DIR` (`make man`): both generated from the
//! clap definitions, so they cannot drift from the flags.

use std::path::Path;

use anyhow::Context;

use super::ExitStatus;
use crate::printer::Printer;

pub fn run_completions(printer: &Printer, shell: clap_complete::Shell) -> anyhow::Result<ExitStatus> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut crate::cli::command(), "mekhanikube", &mut script);
    printer.out(&String::from_utf8(script).context("the completion script is not UTF-8")?)?;
    Ok(ExitStatus::Ok)
}

/// One page for the command and one per subcommand (`mekhanikube-analyze.1`, ...), as `man mekhanikube-analyze`
/// finds them.
pub fn run_man(printer: &Printer, dir: &Path) -> anyhow::Result<ExitStatus> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let command = crate::cli::command();
    let mut pages = vec![("mekhanikube".to_string(), command.clone())];
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        let name = format!("mekhanikube-{}", sub.get_name());
        pages.push((name.clone(), sub.clone().name(name)));
    }
    for (name, page) in pages {
        let mut roff = Vec::new();
        clap_mangen::Man::new(page).render(&mut roff).with_context(|| format!("rendering the {name} man page"))?;
        let path = dir.join(format!("{name}.1"));
        std::fs::write(&path, roff).with_context(|| format!("writing {}", path.display()))?;
    }
    printer.note(&format!("wrote man pages to {}", dir.display()));
    Ok(ExitStatus::Ok)
}
