//! The history: one SQLite file (bundled SQLite, no system library) with every recorded run and its findings.
//!
//! Each run is recorded in one IMMEDIATE transaction, so a process killed mid-write leaves the file as it was
//! (SQLite rolls the journal back on the next open). A busy timeout makes concurrent runs wait instead of failing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mekhanikube_analyzers::{Finding, Summary};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{HistoryKey, checkpoint};
use crate::document::RunSummary;

/// The schema this build writes; a newer one is refused rather than misread.
const SCHEMA_VERSION: i64 = 1;
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// Findings are kept for this many runs per key (a run of 3000 findings takes about 2 MB); older runs keep only
/// their summary row, which is all the trend needs.
const KEEP_FINDINGS_RUNS: i64 = 100;

const SCHEMA: &str = "
CREATE TABLE runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    history_key   TEXT NOT NULL,
    history_label TEXT NOT NULL,
    report        TEXT NOT NULL,
    generated_at  TEXT NOT NULL,
    health_score  INTEGER NOT NULL,
    total         INTEGER NOT NULL,
    critical      INTEGER NOT NULL,
    high          INTEGER NOT NULL,
    medium        INTEGER NOT NULL,
    low           INTEGER NOT NULL,
    info          INTEGER NOT NULL
);
CREATE INDEX runs_by_key ON runs (history_key, id);
CREATE TABLE findings (
    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    code        TEXT NOT NULL,
    severity    TEXT NOT NULL,
    api_version TEXT NOT NULL,
    kind        TEXT NOT NULL,
    namespace   TEXT,
    name        TEXT NOT NULL,
    message     TEXT NOT NULL,
    finding     TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the history directory {path}: {source}")]
    Dir { path: String, source: std::io::Error },
    #[error("cannot create the history {path}: {source}")]
    Create { path: String, source: std::io::Error },
    #[error("history {path}: {source}")]
    Sqlite { path: String, source: rusqlite::Error },
    #[error("history {path} was written by a newer mekhanikube (schema {found}, this build knows {SCHEMA_VERSION})")]
    Newer { path: String, found: i64 },
    #[error("history {path}: a recorded finding is not readable: {source}")]
    Corrupt { path: String, source: serde_json::Error },
}

/// `$XDG_STATE_HOME/mekhanikube/history.sqlite` (`~/.local/state/...`), or the data directory on platforms
/// without a state directory.
pub fn default_history_path() -> Option<PathBuf> {
    dirs::state_dir().or_else(dirs::data_dir).map(|d| d.join("mekhanikube").join("history.sqlite"))
}

pub struct History {
    conn: Connection,
    path: PathBuf,
    keep_findings_runs: i64,
}

impl History {
    pub fn open(path: &Path) -> Result<History, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::private_fs::create_dir(dir)
                .map_err(|source| StoreError::Dir { path: dir.display().to_string(), source })?;
        }
        // SQLite would create the file 0644; created here first, it is 0600, and SQLite gives its journal and
        // WAL files the mode of the database file.
        crate::private_fs::open(path)
            .map_err(|source| StoreError::Create { path: path.display().to_string(), source })?;
        let sql = |source| StoreError::Sqlite { path: path.display().to_string(), source };
        let conn = Connection::open(path).map_err(sql)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        conn.pragma_update(None, "foreign_keys", true).map_err(sql)?;
        let mut history = History { conn, path: path.to_path_buf(), keep_findings_runs: KEEP_FINDINGS_RUNS };
        history.migrate()?;
        Ok(history)
    }

    /// Opens an existing history for reading only (the MCP server's `diff`): nothing is created, migrated or
    /// written. `None` when there is no history yet, or one that has never recorded a run.
    #[cfg(feature = "mcp")]
    pub fn open_read_only(path: &Path) -> Result<Option<History>, StoreError> {
        if !path.exists() {
            return Ok(None);
        }
        let sql = |source| StoreError::Sqlite { path: path.display().to_string(), source };
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(sql)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(sql)?;
        match version {
            0 => Ok(None),
            SCHEMA_VERSION => {
                Ok(Some(History { conn, path: path.to_path_buf(), keep_findings_runs: KEEP_FINDINGS_RUNS }))
            }
            found => Err(StoreError::Newer { path: path.display().to_string(), found }),
        }
    }

    fn sql(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        |source| StoreError::Sqlite { path: self.path.display().to_string(), source }
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let path = self.path.display().to_string();
        let sql = |source| StoreError::Sqlite { path: path.clone(), source };
        // IMMEDIATE: two first runs at once must not both create the tables.
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(sql)?;
        match version {
            0 => {
                tx.execute_batch(SCHEMA).map_err(sql)?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(sql)?;
            }
            SCHEMA_VERSION => {}
            found => return Err(StoreError::Newer { path: path.clone(), found }),
        }
        tx.commit().map_err(sql)
    }

    /// The last recorded run of `key` and its findings, in the order they were reported.
    pub fn previous(&self, key: &str) -> Result<Option<(RunSummary, Vec<Finding>)>, StoreError> {
        let run = self
            .conn
            .query_row(
                &format!("SELECT id, {RUN_COLUMNS} FROM runs WHERE history_key = ?1 ORDER BY id DESC LIMIT 1"),
                params![key],
                |row| Ok((row.get::<_, i64>(0)?, run_from_row(row, 1)?)),
            )
            .optional()
            .map_err(self.sql())?;
        let Some((id, run)) = run else { return Ok(None) };
        let mut stmt =
            self.conn.prepare("SELECT finding FROM findings WHERE run_id = ?1 ORDER BY seq").map_err(self.sql())?;
        let texts: Vec<String> = stmt
            .query_map(params![id], |row| row.get(0))
            .map_err(self.sql())?
            .collect::<Result<_, _>>()
            .map_err(self.sql())?;
        let findings = texts
            .iter()
            .map(|t| serde_json::from_str(t))
            .collect::<Result<Vec<Finding>, _>>()
            .map_err(|source| StoreError::Corrupt { path: self.path.display().to_string(), source })?;
        Ok(Some((run, findings)))
    }

    /// The last `limit` runs of `key`, oldest first.
    pub fn trend(&self, key: &str, limit: usize) -> Result<Vec<RunSummary>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE history_key = ?1 ORDER BY id DESC LIMIT ?2"))
            .map_err(self.sql())?;
        let mut runs: Vec<RunSummary> = stmt
            .query_map(params![key, limit as i64], |row| run_from_row(row, 0))
            .map_err(self.sql())?
            .collect::<Result<_, _>>()
            .map_err(self.sql())?;
        runs.reverse();
        Ok(runs)
    }

    /// Records one run and its findings, all or nothing.
    pub fn record(&mut self, key: &HistoryKey, run: &RunSummary, findings: &[Finding]) -> Result<(), StoreError> {
        let path = self.path.display().to_string();
        let sql = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
        let s = &run.summary;
        tx.execute(
            "INSERT INTO runs (history_key, history_label, report, generated_at, health_score, total, critical, high,
                               medium, low, info)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                key.id,
                key.label,
                run.report,
                run.generated_at,
                s.health_score,
                s.total as i64,
                s.critical as i64,
                s.high as i64,
                s.medium as i64,
                s.low as i64,
                s.info as i64
            ],
        )
        .map_err(sql)?;
        let run_id = tx.last_insert_rowid();
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO findings (run_id, seq, code, severity, api_version, kind, namespace, name, message, finding)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(sql)?;
            for (seq, f) in findings.iter().enumerate() {
                let json = serde_json::to_string(f).expect("a finding always serializes");
                stmt.execute(params![
                    run_id,
                    seq as i64,
                    f.code,
                    f.severity.as_str(),
                    f.object.api_version,
                    f.object.kind,
                    f.object.namespace,
                    f.object.name,
                    f.message,
                    json
                ])
                .map_err(sql)?;
            }
        }
        tx.execute(
            "DELETE FROM findings WHERE run_id IN
                 (SELECT id FROM runs WHERE history_key = ?1 ORDER BY id DESC LIMIT -1 OFFSET ?2)",
            params![key.id, self.keep_findings_runs],
        )
        .map_err(sql)?;
        checkpoint("history-insert");
        tx.commit().map_err(sql)
    }

    /// How many runs are recorded under `key` (tests and docs).
    #[cfg(test)]
    pub fn count(&self, key: &str) -> i64 {
        self.conn.query_row("SELECT count(*) FROM runs WHERE history_key = ?1", params![key], |r| r.get(0)).unwrap()
    }
}

const RUN_COLUMNS: &str = "report, generated_at, health_score, total, critical, high, medium, low, info";

fn run_from_row(row: &rusqlite::Row, first: usize) -> rusqlite::Result<RunSummary> {
    let n = |i: usize| row.get::<_, i64>(first + i).map(|v| v.max(0) as usize);
    Ok(RunSummary {
        report: row.get(first)?,
        generated_at: row.get(first + 1)?,
        summary: Summary {
            health_score: row.get::<_, i64>(first + 2)?.clamp(0, 100) as u8,
            total: n(3)?,
            critical: n(4)?,
            high: n(5)?,
            medium: n(6)?,
            low: n(7)?,
            info: n(8)?,
            ..Summary::default()
        },
    })
}

#[cfg(test)]
mod tests {

    use super::*;

    fn finding(name: &str) -> Finding {
        crate::test_support::pod_finding(None, name, "m")
    }

    fn run(report: &str, findings: &[Finding]) -> RunSummary {
        RunSummary {
            report: report.into(),
            generated_at: "2026-11-23T14:05:01Z".into(),
            summary: Summary::counts(findings),
        }
    }

    /// What the MCP server's `diff` relies on: a missing history stays missing, a recorded run reads back, and
    /// reading leaves the file as it was.
    #[test]
    #[cfg(feature = "mcp")]
    fn read_only_opening_creates_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/history.sqlite");
        assert!(History::open_read_only(&path).unwrap().is_none());
        assert!(!dir.path().join("state").exists(), "nothing was created");
        let key = HistoryKey { id: "k".into(), label: "l".into() };
        let findings = [finding("a"), finding("b")];
        History::open(&path).unwrap().record(&key, &run("r1", &findings), &findings).unwrap();
        let before = std::fs::read(&path).unwrap();
        let history = History::open_read_only(&path).unwrap().expect("a history with a run");
        let (summary, read) = history.previous("k").unwrap().expect("the recorded run");
        assert_eq!((summary.report.as_str(), read.as_slice()), ("r1", &findings[..]));
        assert!(history.previous("other").unwrap().is_none());
        drop(history);
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    /// The history, its directory, and the rollback journal or WAL files SQLite makes beside it while writing
    /// are private, whatever the umask (SQLite's own default is 0644).
    #[test]
    #[cfg(unix)]
    fn history_and_its_journals_are_private() {
        use crate::private_fs::tests::mode;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/history.sqlite");
        let mut h = History::open(&path).unwrap();
        assert_eq!((mode(&path), mode(&dir.path().join("state"))), (0o600, 0o700));
        let tx = h.conn.transaction_with_behavior(TransactionBehavior::Immediate).unwrap();
        tx.execute("DELETE FROM runs", []).unwrap();
        tx.execute_batch("CREATE TABLE grow (x); INSERT INTO grow VALUES (randomblob(100000));").unwrap();
        let journal = dir.path().join("state/history.sqlite-journal");
        assert_eq!(mode(&journal), 0o600, "the rollback journal");
        tx.rollback().unwrap();
        let wal = dir.path().join("state/wal.sqlite");
        let h = History::open(&wal).unwrap();
        let journal_mode: String = h.conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).unwrap();
        assert_eq!(journal_mode, "wal");
        h.conn.execute("DELETE FROM runs", []).unwrap();
        for file in ["wal.sqlite-wal", "wal.sqlite-shm"] {
            assert_eq!(mode(&dir.path().join("state").join(file)), 0o600, "{file}");
        }
    }

    #[test]
    fn records_and_reads_back_per_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/history.sqlite");
        let key = HistoryKey { id: "k1".into(), label: "one".into() };
        let other = HistoryKey { id: "k2".into(), label: "two".into() };
        let mut h = History::open(&path).unwrap();
        assert!(h.previous("k1").unwrap().is_none());
        let first = vec![finding("a"), finding("b")];
        h.record(&key, &run("r1", &first), &first).unwrap();
        h.record(&other, &run("x1", &[]), &[]).unwrap();
        let second = vec![finding("c")];
        h.record(&key, &run("r2", &second), &second).unwrap();
        drop(h);
        let h = History::open(&path).unwrap();
        let (prev, findings) = h.previous("k1").unwrap().unwrap();
        assert_eq!(prev.report, "r2");
        assert_eq!(findings, second);
        assert_eq!(prev.summary, Summary::counts(&second));
        let trend: Vec<String> = h.trend("k1", 10).unwrap().into_iter().map(|r| r.report).collect();
        assert_eq!(trend, ["r1", "r2"]);
        assert_eq!(h.trend("k1", 1).unwrap()[0].report, "r2", "the limit keeps the newest runs");
        assert_eq!(h.count("k2"), 1);
    }

    #[test]
    fn old_runs_keep_their_summary_but_not_their_findings() {
        let dir = tempfile::tempdir().unwrap();
        let mut h = History::open(&dir.path().join("history.sqlite")).unwrap();
        h.keep_findings_runs = 2;
        let key = HistoryKey { id: "k".into(), label: "k".into() };
        let findings = vec![finding("a")];
        for report in ["r1", "r2", "r3"] {
            h.record(&key, &run(report, &findings), &findings).unwrap();
        }
        let kept: Vec<i64> = h
            .conn
            .prepare("SELECT DISTINCT run_id FROM findings ORDER BY run_id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(kept, [2, 3]);
        assert_eq!(h.trend("k", 10).unwrap().len(), 3);
        assert_eq!(h.previous("k").unwrap().unwrap().1, findings);
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.sqlite");
        Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
        assert!(matches!(History::open(&path), Err(StoreError::Newer { found: 99, .. })));
    }

    #[test]
    fn default_path_is_under_the_state_directory() {
        let path = default_history_path().unwrap();
        assert!(path.ends_with("mekhanikube/history.sqlite"), "{}", path.display());
    }
}
