//! `mekhanikube cache clear`.

use super::EXIT_OK;
use crate::printer::Printer;

pub fn run_cache_clear(printer: &Printer) -> anyhow::Result<u8> {
    printer.note("explanation cache: nothing to clear yet");
    Ok(EXIT_OK)
}
