//! `mekhanikube snapshot`: save what the analyzers would read, for offline analysis or a bug report.

use anyhow::Context;
use mekhanikube_analyzers::ValuePolicy;

use super::ExitStatus;
use crate::cli::SnapshotArgs;
use crate::pipeline::read_cluster;
use crate::printer::Printer;
use crate::{settings, snapshot_io};

pub async fn run_snapshot(printer: &Printer, args: SnapshotArgs) -> anyhow::Result<ExitStatus> {
    let scope = settings::scope(&args.scope)?;
    let options = settings::cluster_options(&args.cluster)?;
    let values = if args.keep_values { ValuePolicy::Keep } else { ValuePolicy::Redact };
    let (builder, _info) = read_cluster(printer, &options, &scope, values).await.context("reading the cluster")?;
    let mut items = vec![builder.info_item()];
    items.extend(builder.objects().to_list_items());
    let count = items.len() - 1;
    let to_stdout = args.output.as_os_str() == "-";
    let json = args.output.extension().is_some_and(|e| e == "json");
    let text = snapshot_io::encode_list(items, json && !to_stdout)?;
    if to_stdout {
        printer.out(&text)?;
    } else {
        snapshot_io::write_atomic(&args.output, &text)?;
        printer.note(&format!("wrote {count} objects to {}", args.output.display()));
    }
    Ok(ExitStatus::Ok)
}
