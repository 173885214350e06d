//! Report files: a timestamped set per run (never overwritten) and `latest.*` copies (replaced atomically).

use std::path::{Path, PathBuf};

use crate::private_fs;
use crate::render::report::Rendered;

#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("cannot create the report directory {path}: {source}")]
    Dir { path: String, source: std::io::Error },
    #[error("cannot write report {path}: {source}")]
    Write { path: String, source: std::io::Error },
}

/// The formats every report is written in: one file each per run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Markdown,
    Html,
    Json,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 3] = [ReportFormat::Markdown, ReportFormat::Html, ReportFormat::Json];

    pub fn ext(self) -> &'static str {
        match self {
            ReportFormat::Markdown => "md",
            ReportFormat::Html => "html",
            ReportFormat::Json => "json",
        }
    }

    fn body(self, rendered: &Rendered) -> &str {
        match self {
            ReportFormat::Markdown => &rendered.markdown,
            ReportFormat::Html => &rendered.html,
            ReportFormat::Json => &rendered.json,
        }
    }

    fn from_ext(ext: &str) -> Option<ReportFormat> {
        ReportFormat::ALL.into_iter().find(|f| f.ext() == ext)
    }
}

/// `md,html,json`, for messages.
/// A directory name for a context: its name with every character outside `[A-Za-z0-9._-]` replaced by `_`, so a
/// context such as `arn:aws:eks:eu-west-1:1:cluster/prod` stays one directory under OUT.
pub fn dir_name(context: &str) -> String {
    let name: String = context
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' })
        .collect();
    match name.as_str() {
        "" | "." | ".." => format!("context{name}"),
        _ => name,
    }
}

pub fn extensions() -> String {
    ReportFormat::ALL.map(ReportFormat::ext).join(",")
}

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
    let taken = |stem: &str| ReportFormat::ALL.iter().any(|f| out.join(format!("{stem}.{}", f.ext())).exists());
    if !taken(&base) {
        return base;
    }
    (2..).map(|n| format!("{base}-{n}")).find(|s| !taken(s)).expect("some suffix is free")
}

pub fn create_dir(out: &Path) -> Result<(), FilesError> {
    private_fs::create_dir(out).map_err(|source| FilesError::Dir { path: out.display().to_string(), source })
}

/// Writes `<stem>.md`, `.html` and `.json`; each appears whole or not at all, and none replaces an existing file.
pub fn write_reports(out: &Path, stem: &str, rendered: &Rendered) -> Result<Vec<PathBuf>, FilesError> {
    let mut written = Vec::new();
    for format in ReportFormat::ALL {
        let path = out.join(format!("{stem}.{}", format.ext()));
        write_atomic(&path, format.body(rendered), false)?;
        written.push(path);
        if written.len() == 1 {
            super::checkpoint("first-report-file");
        }
    }
    Ok(written)
}

/// Replaces `latest.md`, `.html` and `.json`, each atomically.
pub fn write_latest(out: &Path, rendered: &Rendered) -> Result<(), FilesError> {
    for format in ReportFormat::ALL {
        write_atomic(&out.join(format!("latest.{}", format.ext())), format.body(rendered), true)?;
    }
    Ok(())
}

/// Deletes all but the newest `keep` timestamped report sets in `out`; `latest.*` and other files are left alone.
/// Returns how many sets were deleted.
pub fn prune(out: &Path, keep: usize) -> Result<usize, FilesError> {
    let err = |source| FilesError::Write { path: out.display().to_string(), source };
    let mut stems: Vec<String> = std::fs::read_dir(out)
        .map_err(err)?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let (stem, ext) = name.rsplit_once('.')?;
            (ReportFormat::from_ext(ext).is_some() && is_report_stem(stem)).then(|| stem.to_string())
        })
        .collect();
    // Names sort by time: the timestamp is fixed-width, and a same-second `-N` sorts after its base name.
    stems.sort();
    stems.dedup();
    let old = stems.len().saturating_sub(keep);
    for stem in &stems[..old] {
        for format in ReportFormat::ALL {
            match std::fs::remove_file(out.join(format!("{stem}.{}", format.ext()))) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(err(e)),
                _ => {}
            }
        }
    }
    Ok(old)
}

/// `report-YYYYMMDDTHHMMSSZ` with an optional `-N`: only files this tool named are ever pruned.
fn is_report_stem(stem: &str) -> bool {
    let Some(rest) = stem.strip_prefix("report-") else { return false };
    let (ts, suffix) = rest.split_at(rest.len().min(16));
    let ts_ok = ts.len() == 16
        && ts.char_indices().all(|(i, c)| match i {
            8 => c == 'T',
            15 => c == 'Z',
            _ => c.is_ascii_digit(),
        });
    ts_ok
        && (suffix.is_empty()
            || suffix.strip_prefix('-').is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())))
}

/// Each file appears whole or not at all (see [`private_fs::write_atomic`]); owner-only, like everything else
/// this tool writes: a report names every broken object of the cluster.
fn write_atomic(path: &Path, body: &str, replace: bool) -> Result<(), FilesError> {
    private_fs::write_atomic(path, body.as_bytes(), replace)
        .map_err(|source| FilesError::Write { path: path.display().to_string(), source })
}

#[cfg(test)]
mod tests {
    #[test]
    fn context_directory_names_stay_one_component() {
        assert_eq!(super::dir_name("prod-eu"), "prod-eu");
        assert_eq!(super::dir_name("arn:aws:eks:eu-west-1:1:cluster/prod"), "arn_aws_eks_eu-west-1_1_cluster_prod");
        assert_eq!(super::dir_name(".."), "context..");
        assert_eq!(super::dir_name("../../etc"), ".._.._etc");
    }

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
    fn prune_keeps_the_newest_sets_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        for stem in ["report-20261123T140501Z", "report-20261123T140501Z-2", "report-20261123T150000Z"] {
            write_reports(dir.path(), stem, &rendered(stem)).unwrap();
        }
        write_latest(dir.path(), &rendered("l")).unwrap();
        std::fs::write(dir.path().join("report-notes.md"), "mine").unwrap();
        std::fs::write(dir.path().join("history.sqlite"), "db").unwrap();
        assert_eq!(prune(dir.path(), 2).unwrap(), 1);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert!(!left.iter().any(|n| n.starts_with("report-20261123T140501Z.")), "{left:?}");
        assert!(left.contains(&"report-20261123T140501Z-2.html".to_string()), "{left:?}");
        assert!(left.contains(&"report-notes.md".to_string()) && left.contains(&"latest.json".to_string()));
        assert_eq!(prune(dir.path(), 5).unwrap(), 0);
        assert!(is_report_stem("report-20261123T140501Z-12"));
        assert!(!is_report_stem("report-20261123T140501Z-") && !is_report_stem("report-2026112XT140501Z"));
    }

    #[test]
    #[cfg(unix)]
    fn latest_is_replaced_and_private() {
        let dir = tempfile::tempdir().unwrap();
        write_latest(dir.path(), &rendered("a")).unwrap();
        write_latest(dir.path(), &rendered("b")).unwrap();
        let path = dir.path().join("latest.html");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "html b");
        assert_eq!(crate::private_fs::tests::mode(&path), 0o600);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
