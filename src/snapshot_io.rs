//! Saved snapshots: reading `kind: List` files or directories as kubectl prints them, and writing one.

use std::path::{Path, PathBuf};

use mekhanikube_analyzers::{LoadError, SnapshotBuilder};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

#[derive(Debug, thiserror::Error)]
pub enum SnapshotFileError {
    #[error("cannot read snapshot {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("snapshot directory {0} holds no .yaml, .yml or .json file")]
    EmptyDir(String),
    #[error(transparent)]
    Parse(#[from] LoadError),
    #[error("cannot write snapshot {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("cannot encode snapshot: {0}")]
    Encode(String),
}

/// Loads a file, or every `.yaml`/`.yml`/`.json` file under a directory (sorted, recursively).
pub fn load(path: &Path, builder: &mut SnapshotBuilder) -> Result<usize, SnapshotFileError> {
    let files = if path.is_dir() {
        let mut files = Vec::new();
        collect_files(path, &mut files)?;
        if files.is_empty() {
            return Err(SnapshotFileError::EmptyDir(path.display().to_string()));
        }
        files
    } else {
        vec![path.to_path_buf()]
    };
    for file in &files {
        let name = file.display().to_string();
        let read_err = |source| SnapshotFileError::Read { path: name.clone(), source };
        // A List is parsed as it is read; anything else is read whole, by the path that also words the errors.
        let reader = std::fs::File::open(file).map_err(read_err)?;
        let bytes = reader.metadata().map_err(read_err)?.len();
        if !builder.add_list_reader(&name, reader, usize::try_from(bytes).unwrap_or(usize::MAX)) {
            let text = std::fs::read_to_string(file).map_err(read_err)?;
            builder.add_text(&name, &text)?;
        }
    }
    Ok(files.len())
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), SnapshotFileError> {
    let read_err = |source| SnapshotFileError::Read { path: dir.display().to_string(), source };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_err)?
        .into_iter()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect_files(&entry, out)?;
        } else if entry.extension().and_then(|e| e.to_str()).is_some_and(|e| matches!(e, "yaml" | "yml" | "json")) {
            out.push(entry);
        }
    }
    Ok(())
}

/// Encodes what a builder read as a kubectl-compatible `kind: List` (JSON when `json`, YAML otherwise), its info
/// item first, into `out`. Objects are serialized one at a time from the builder's stores and written as they
/// are encoded: the cluster is never also held as JSON values or as the whole text.
pub fn encode_list(
    builder: &SnapshotBuilder,
    json: bool,
    out: &mut dyn std::io::Write,
) -> Result<(), SnapshotFileError> {
    let list = SavedList { info: builder.info_item(), builder };
    if json {
        serde_json::to_writer_pretty(&mut *out, &list).map_err(|e| SnapshotFileError::Encode(e.to_string()))?;
        out.write_all(b"\n").map_err(|e| SnapshotFileError::Encode(e.to_string()))
    } else {
        serde_saphyr::to_io_writer(&mut &mut *out, &list).map_err(|e| SnapshotFileError::Encode(e.to_string()))
    }
}

/// Keys in the order kubectl prints them.
struct SavedList<'a> {
    info: serde_json::Value,
    builder: &'a SnapshotBuilder,
}

impl Serialize for SavedList<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("apiVersion", "v1")?;
        map.serialize_entry("items", &Items(self))?;
        map.serialize_entry("kind", "List")?;
        map.serialize_entry("metadata", &serde_json::json!({"resourceVersion": ""}))?;
        map.end()
    }
}

struct Items<'a>(&'a SavedList<'a>);

impl Serialize for Items<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut items = serializer.serialize_seq(None)?;
        items.serialize_element(&self.0.info)?;
        self.0.builder.objects().serialize_items(&mut items)?;
        for object in self.0.builder.custom().iter() {
            items.serialize_element(&object.to_value())?;
        }
        items.end()
    }
}

/// Writes through a temporary file and a rename, so an interrupted run never leaves half a snapshot; owner-only.
pub fn write_atomic(path: &Path, builder: &SnapshotBuilder, json: bool) -> Result<(), SnapshotFileError> {
    let mut encoded = Ok(());
    let written = crate::private_fs::write_atomic_with(path, true, |file| {
        encoded = encode_list(builder, json, file);
        // An encoding error stops the write; the temporary file is then removed, never renamed.
        encoded.as_ref().map(|_| ()).map_err(|_| std::io::Error::other("encoding failed"))
    });
    encoded?;
    written.map_err(|source| SnapshotFileError::Write { path: path.display().to_string(), source })
}

#[cfg(all(test, unix))]
mod tests {
    /// `snapshot -o FILE` writes through here: the file holds every object of the cluster, so it is 0600.
    #[test]
    fn written_snapshots_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cluster.yaml");
        let builder = mekhanikube_analyzers::SnapshotBuilder::new();
        super::write_atomic(&path, &builder, true).unwrap();
        super::write_atomic(&path, &builder, false).unwrap();
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(written.contains("kind: List") && written.contains("mekhanikube-snapshot-info"), "{written}");
        assert_eq!(crate::private_fs::tests::mode(&path), 0o600);
    }
}
