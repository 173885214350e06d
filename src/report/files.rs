//! Report files: a timestamped set per run (never overwritten) and `latest.*` copies (replaced atomically).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Rendered;

#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("cannot create the report directory {path}: {source}")]
    Dir { path: String, source: std::io::Error },
    #[error("cannot write report {path}: {source}")]
    Write { path: String, source: std::io::Error },
}

const EXTENSIONS: [&str; 3] = ["md", "html", "json"];

/// Test hook, compiled into debug builds only: `MEKHANIKUBE_TEST_ABORT_AFTER=<phase>` aborts the process (no
/// destructors, no cleanup — like a kill) and `MEKHANIKUBE_TEST_SLEEP_AFTER=<phase>:<ms>` pauses there.
pub fn checkpoint(phase: &str) {
    #[cfg(debug_assertions)]
    {
        if std::env::var("MEKHANIKUBE_TEST_ABORT_AFTER").is_ok_and(|p| p == phase) {
            std::process::abort();
        }
        if let Ok(spec) = std::env::var("MEKHANIKUBE_TEST_SLEEP_AFTER")
            && let Some((p, ms)) = spec.split_once(':')
            && p == phase
            && let Ok(ms) = ms.parse()
        {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = phase;
}

/// `report-20261123T140501Z`, with `-2`, `-3`... when a run in the same second already wrote that name.
pub fn pick_stem(out: &Path, generated_at: &str) -> String {
    let ts = generated_at.parse::<jiff::Timestamp>().unwrap_or_else(|_| jiff::Timestamp::now());
    let base = format!("report-{}", ts.strftime("%Y%m%dT%H%M%SZ"));
    let taken = |stem: &str| EXTENSIONS.iter().any(|ext| out.join(format!("{stem}.{ext}")).exists());
    if !taken(&base) {
        return base;
    }
    (2..).map(|n| format!("{base}-{n}")).find(|s| !taken(s)).expect("some suffix is free")
}

pub fn create_dir(out: &Path) -> Result<(), FilesError> {
    std::fs::create_dir_all(out).map_err(|source| FilesError::Dir { path: out.display().to_string(), source })
}

/// Writes `<stem>.md`, `.html` and `.json`; each appears whole or not at all, and none replaces an existing file.
pub fn write_reports(out: &Path, stem: &str, rendered: &Rendered) -> Result<Vec<PathBuf>, FilesError> {
    let mut written = Vec::new();
    for (ext, body) in contents(rendered) {
        let path = out.join(format!("{stem}.{ext}"));
        write_atomic(&path, body, false)?;
        written.push(path);
        if written.len() == 1 {
            super::checkpoint("first-report-file");
        }
    }
    Ok(written)
}

/// Replaces `latest.md`, `.html` and `.json`, each atomically.
pub fn write_latest(out: &Path, rendered: &Rendered) -> Result<(), FilesError> {
    for (ext, body) in contents(rendered) {
        write_atomic(&out.join(format!("latest.{ext}")), body, true)?;
    }
    Ok(())
}

fn contents(rendered: &Rendered) -> [(&'static str, &str); 3] {
    [("md", &rendered.markdown), ("html", &rendered.html), ("json", &rendered.json)]
}

/// Temp file in the same directory, flushed to disk, then renamed (or linked, when `replace` is false, so that
/// an existing file is never clobbered). Readable by others: reports are for sharing, unlike tempfile's 0600.
fn write_atomic(path: &Path, body: &str, replace: bool) -> Result<(), FilesError> {
    let err = |source| FilesError::Write { path: path.display().to_string(), source };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir).map_err(err)?;
    tmp.write_all(body.as_bytes()).map_err(err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644)).map_err(err)?;
    }
    tmp.as_file().sync_all().map_err(err)?;
    if replace {
        tmp.persist(path).map_err(|e| err(e.error))?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| err(e.error))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(tag: &str) -> Rendered {
        Rendered { markdown: format!("md {tag}"), html: format!("html {tag}"), json: format!("json {tag}") }
    }

    #[test]
    fn stems_are_timestamped_and_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let stem = pick_stem(dir.path(), "2026-11-23T14:05:01.123Z");
        assert_eq!(stem, "report-20261123T140501Z");
        write_reports(dir.path(), &stem, &rendered("a")).unwrap();
        let again = pick_stem(dir.path(), "2026-11-23T14:05:01.999Z");
        assert_eq!(again, "report-20261123T140501Z-2");
        assert!(write_reports(dir.path(), &stem, &rendered("b")).is_err(), "an existing report is never replaced");
        assert_eq!(std::fs::read_to_string(dir.path().join(format!("{stem}.md"))).unwrap(), "md a");
    }

    #[test]
    #[cfg(unix)]
    fn latest_is_replaced_and_readable_by_others() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        write_latest(dir.path(), &rendered("a")).unwrap();
        write_latest(dir.path(), &rendered("b")).unwrap();
        let path = dir.path().join("latest.html");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "html b");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o644);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
