//! `mekhanikube report`: being written.

use clap::Args;

use crate::printer::Printer;

#[derive(Debug, Args)]
pub struct ReportArgs {}

pub async fn run_report(_printer: &Printer, _args: ReportArgs) -> anyhow::Result<u8> {
    anyhow::bail!("report: not available in this build")
}
