//! An exclusive file lock beside the history database, held from reading the previous run to recording this
//! one. SQLite's own locking keeps the file consistent, but without this two runs started together would both
//! diff against the same previous run.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fs4::fs_std::FileExt;

use crate::printer::Printer;

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot open the history lock {path}: {source}")]
    Open { path: String, source: std::io::Error },
    #[error("another `mekhanikube report` held {path} for more than {seconds} s; try again later")]
    Timeout { path: String, seconds: u64 },
}

/// Released when dropped (closing the file releases the lock, also when the process dies).
#[derive(Debug)]
pub struct HistoryLock {
    _file: File,
}

impl HistoryLock {
    /// The lock file for a history database: `history.sqlite.lock`.
    pub fn path_for(history: &Path) -> PathBuf {
        let mut name = history.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".lock");
        history.with_file_name(name)
    }

    /// Waits up to `timeout` for the lock. The section it guards takes milliseconds, so a long wait means a
    /// stuck process, not a queue.
    pub fn acquire(history: &Path, timeout: Duration, printer: &Printer) -> Result<HistoryLock, LockError> {
        let path = Self::path_for(history);
        let open_err = |source| LockError::Open { path: path.display().to_string(), source };
        let file = crate::private_fs::open(&path).map_err(open_err)?;
        let started = Instant::now();
        let mut told = false;
        loop {
            if file.try_lock_exclusive().map_err(open_err)? {
                return Ok(HistoryLock { _file: file });
            }
            if started.elapsed() >= timeout {
                return Err(LockError::Timeout { path: path.display().to_string(), seconds: timeout.as_secs() });
            }
            if !told {
                printer.note(&format!("waiting for another report run to release {}", path.display()));
                told = true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
