//! `mekhanikube snapshot`: save what the analyzers would read, for offline analysis or a bug report.

use anyhow::Context;

use super::ExitStatus;
use crate::pipeline::read_cluster;
use crate::printer::Printer;
use crate::settings::SnapshotSettings;
use crate::snapshot_io;

pub async fn run_snapshot(printer: &Printer, settings: SnapshotSettings) -> anyhow::Result<ExitStatus> {
    let (builder, _info, _client) = read_cluster(printer, &settings.cluster, &settings.scope, settings.values)
        .await
        .context("reading the cluster")?;
    let count = builder.object_count();
    match &settings.file {
        // Written as it is encoded: a big cluster's text is never held whole.
        None => printer.out_stream(|out| snapshot_io::encode_list(&builder, settings.json, out))??,
        Some(file) => {
            snapshot_io::write_atomic(file, &builder, settings.json)?;
            printer.note(&format!("wrote {count} objects to {}", file.display()));
        }
    }
    Ok(ExitStatus::Ok)
}
