//! One file per subcommand. Each returns the process exit status or an error for `main` to print.

pub mod analyze;
pub mod analyzers;
pub mod cache;
pub mod explain;
pub mod report;
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
