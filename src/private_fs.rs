//! Every file this tool writes (reports, history, its lock, snapshots, cached answers) holds names and messages
//! from a cluster, so each is created readable by its owner only (0600) and each directory it creates is 0700.
//! Sharing a report is then a deliberate step (`chmod`, a copy), not a side effect of the umask. The one
//! exception is the metrics file, 0644, made for node_exporter: counts and codes, no names of objects.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

/// Creates `dir` and any missing parents with mode 0700; existing directories are left as they are.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Opens `path` for writing, creating it with mode 0600 when missing; an existing file is not truncated.
pub fn open(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Writes `body` to `path` through a 0600 temporary file in the same directory, flushed, then renamed: readers see
/// the old file or the new one, never half of one. With `replace` false an existing file is never clobbered
/// (the write fails instead).
pub fn write_atomic(path: &Path, body: &[u8], replace: bool) -> std::io::Result<()> {
    write_atomic_mode(path, body, replace, 0o600)
}

/// [`write_atomic`] (replacing) for the one file meant to be read by another user: mode 0644.
pub fn write_atomic_readable(path: &Path, body: &[u8]) -> std::io::Result<()> {
    write_atomic_mode(path, body, true, 0o644)
}

/// [`write_atomic`] for a body written piece by piece by `write` (through a buffer), never held whole.
pub fn write_atomic_with(
    path: &Path,
    replace: bool,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    write_atomic_mode_with(path, replace, 0o600, write)
}

fn write_atomic_mode(path: &Path, body: &[u8], replace: bool, mode: u32) -> std::io::Result<()> {
    write_atomic_mode_with(path, replace, mode, |file| file.write_all(body))
}

fn write_atomic_mode_with(
    path: &Path,
    replace: bool,
    mode: u32,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // `.tmp-XXXX.ext`: named so that whoever cleans the directory recognizes leftovers of a killed process.
    let suffix = path.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tmp-").suffix(&suffix);
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(mode));
    let mut tmp = builder.tempfile_in(dir)?;
    let mut buffered = std::io::BufWriter::new(&mut tmp);
    write(&mut buffered)?;
    buffered.flush()?;
    drop(buffered);
    tmp.as_file().sync_all()?;
    if replace {
        tmp.persist(path).map_err(|e| e.error)?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| e.error)?;
    }
    Ok(())
}

#[cfg(all(test, unix))]
pub mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    use super::*;

    /// The permission bits of a file or directory.
    pub fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
    }

    /// A umask that would make files 0644 and directories 0755 changes nothing.
    #[test]
    fn files_are_0600_and_directories_0700() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a").join("b");
        create_dir(&nested).unwrap();
        assert_eq!((mode(&dir.path().join("a")), mode(&nested)), (0o700, 0o700));
        write_atomic(&nested.join("new"), b"x", false).unwrap();
        write_atomic(&nested.join("new"), b"y", true).unwrap();
        assert!(write_atomic(&nested.join("new"), b"z", false).is_err(), "never clobbered without replace");
        assert_eq!(std::fs::read(nested.join("new")).unwrap(), b"y");
        open(&nested.join("opened")).unwrap();
        assert_eq!((mode(&nested.join("new")), mode(&nested.join("opened"))), (0o600, 0o600));
    }
}
