//! One file per subcommand. Each returns the process exit status or an error for `main` to print.

pub mod analyze;
pub mod analyzers;
pub mod cache;
pub mod constraints;
pub mod doctor;
pub mod explain;
#[cfg(feature = "mcp")]
pub mod mcp;
pub mod report;
pub mod shell;
pub mod snapshot;

/// How a run ends, as the process exit status documented in README.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing at or above the threshold (`--fail-on`, `--fail-on-new`).
    Ok = 0,
    /// Something at or above the threshold.
    Findings = 1,
    /// Bad input, an unreachable cluster or model: what to fix was printed on stderr.
    Error = 2,
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status as u8)
    }
}

/// Writes the Prometheus metrics of a finished analysis to `path`, atomically, readable by node_exporter (which
/// runs as another user): the one file written 0644, since it holds counts and codes but no object names.
pub(crate) fn write_metrics(
    path: &std::path::Path,
    doc: &crate::document::AnalysisDocument,
    started: std::time::Instant,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let finished_at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let run = crate::render::RunTimes {
        duration_seconds: started.elapsed().as_secs_f64(),
        finished_at: finished_at.as_secs_f64(),
    };
    let text = crate::render::metrics(doc, &run)?;
    crate::private_fs::write_atomic_readable(path, text.as_bytes())
        .with_context(|| format!("writing the metrics file {}", path.display()))
}

/// One line: the error and its causes, without repeating a cause that an outer message already quotes.
pub fn error_line(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ").replace('\n', " ")
}
