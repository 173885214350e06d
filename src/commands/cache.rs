//! `mekhanikube cache clear`.

use anyhow::Context;

use super::ExitStatus;
use crate::llm::Cache;
use crate::printer::Printer;

pub fn run_cache_clear(printer: &Printer) -> anyhow::Result<ExitStatus> {
    let cache = Cache::at_default().context("no cache directory on this system (set XDG_CACHE_HOME)")?;
    let removed =
        cache.clear().with_context(|| format!("clearing the explanation cache in {}", cache.dir().display()))?;
    printer.note(&format!("removed {removed} cached explanation(s) from {}", cache.dir().display()));
    Ok(ExitStatus::Ok)
}
