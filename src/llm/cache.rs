//! The explanation cache: one JSON file per key under `~/.cache/mekhanikube/explanations` (XDG), written
//! atomically (temporary file, then rename). The key is the sha256 of everything that shapes an answer: the
//! model, its options, the output format, the template versions, the language and the prompt as sent (after
//! anonymization). Only complete answers are stored, and they are stored as the model wrote them (with
//! anonymization tokens, restored on every read).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::client::{ChatOptions, ChatStats};

/// Bumped when the file format or the key recipe changes.
pub(crate) const CACHE_FORMAT: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cache {
    dir: PathBuf,
}

/// What makes two requests the same.
#[derive(Serialize)]
pub struct CacheKey<'a> {
    pub model: &'a str,
    pub options: &'a ChatOptions,
    /// The JSON schema sent as `format`, if any.
    pub format: Option<&'a serde_json::Value>,
    pub template_version: &'a str,
    pub language: &'a str,
    pub system: &'a str,
    pub prompt: &'a str,
}

impl CacheKey<'_> {
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        h.update(format!("mekhanikube-explanation-v{CACHE_FORMAT}\0").as_bytes());
        h.update(serde_json::to_vec(self).unwrap_or_default());
        hex::encode(h.finalize())
    }
}

/// A stored answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedAnswer {
    pub format: u32,
    pub model: String,
    /// The raw model text, anonymization tokens included.
    pub content: String,
    #[serde(default)]
    pub warnings: Vec<String>,
    #[serde(default)]
    pub stats: ChatStats,
    /// Seconds since the Unix epoch.
    pub created: u64,
}

impl Cache {
    pub fn new(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: dir.into() }
    }

    /// `$XDG_CACHE_HOME/mekhanikube/explanations` (or the platform's cache directory).
    pub fn default_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|d| d.join("mekhanikube").join("explanations"))
    }

    /// The cache in the default directory, if the platform has one.
    pub fn at_default() -> Option<Cache> {
        Cache::default_dir().map(Cache::new)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    /// The stored answer for a key; a missing, unreadable or outdated file is a miss.
    pub fn get(&self, key: &str) -> Option<CachedAnswer> {
        let text = std::fs::read(self.path(key)).ok()?;
        serde_json::from_slice::<CachedAnswer>(&text).ok().filter(|a| a.format == CACHE_FORMAT)
    }

    /// Stores an answer atomically: readers see the old file or the new one, never half of one.
    pub fn put(&self, key: &str, answer: &CachedAnswer) -> std::io::Result<()> {
        crate::private_fs::create_dir(&self.dir)?;
        let body = serde_json::to_vec_pretty(answer).map_err(std::io::Error::other)?;
        crate::private_fs::write_atomic(&self.path(key), &body, true)
    }

    /// Removes every cached answer (and leftover temporary files); returns how many answers were removed.
    /// Only files this cache writes are touched, whatever else the directory holds.
    pub fn clear(&self) -> std::io::Result<usize> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let mut removed = 0;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let is_answer =
                name.len() == 64 + 5 && name.ends_with(".json") && name[..64].bytes().all(|b| b.is_ascii_hexdigit());
            let is_tmp = name.starts_with(".tmp-") && name.ends_with(".json");
            if (is_answer || is_tmp) && entry.file_type()?.is_file() {
                std::fs::remove_file(entry.path())?;
                removed += usize::from(is_answer);
            }
        }
        Ok(removed)
    }

    #[cfg(test)]
    /// How many answers are stored.
    pub fn len(&self) -> usize {
        std::fs::read_dir(&self.dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| {
                        let n = e.file_name();
                        let n = n.to_string_lossy();
                        n.len() == 69 && n.ends_with(".json") && !n.starts_with('.')
                    })
                    .count()
            })
            .unwrap_or(0)
    }
}

pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(prompt: &str, model: &str, options: &ChatOptions) -> String {
        CacheKey { model, options, format: None, template_version: "t1", language: "English", system: "s", prompt }
            .digest()
    }

    #[test]
    fn key_covers_model_options_and_prompt() {
        let o = ChatOptions::default();
        let base = key("p", "m", &o);
        assert_eq!(base, key("p", "m", &o));
        assert_ne!(base, key("p2", "m", &o));
        assert_ne!(base, key("p", "m2", &o));
        assert_ne!(base, key("p", "m", &ChatOptions { num_ctx: 8192, ..o.clone() }));
        assert_ne!(base, key("p", "m", &ChatOptions { seed: None, ..o.clone() }));
        let schema = serde_json::json!({"type": "object"});
        let with_format = CacheKey {
            model: "m",
            options: &o,
            format: Some(&schema),
            template_version: "t1",
            language: "English",
            system: "s",
            prompt: "p",
        };
        assert_ne!(base, with_format.digest());
        let other_lang = CacheKey { language: "French", format: None, ..with_format };
        assert_ne!(base, other_lang.digest());
    }

    /// Cached answers hold the cluster's names: 0600 files in 0700 directories.
    #[test]
    #[cfg(unix)]
    fn cached_answers_are_private() {
        use crate::private_fs::tests::mode;
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("nested").join("explanations"));
        let k = key("p", "m", &ChatOptions::default());
        let answer = sample_answer();
        cache.put(&k, &answer).unwrap();
        assert_eq!(mode(&cache.dir().join(format!("{k}.json"))), 0o600);
        assert_eq!((mode(cache.dir()), mode(&dir.path().join("nested"))), (0o700, 0o700));
    }

    fn sample_answer() -> CachedAnswer {
        CachedAnswer {
            format: CACHE_FORMAT,
            model: "m".into(),
            content: "Cause: x".into(),
            warnings: vec![],
            stats: ChatStats::default(),
            created: now_secs(),
        }
    }

    #[test]
    fn put_get_clear() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("nested").join("explanations"));
        let k = key("p", "m", &ChatOptions::default());
        assert!(cache.get(&k).is_none());
        let answer = sample_answer();
        cache.put(&k, &answer).unwrap();
        cache.put(&k, &answer).unwrap();
        assert_eq!(cache.get(&k).unwrap(), answer);
        assert_eq!(cache.len(), 1);
        std::fs::write(cache.dir().join("unrelated.txt"), "keep").unwrap();
        std::fs::write(cache.dir().join(format!("{}.json", "0".repeat(64))), "{broken").unwrap();
        assert!(cache.get(&"0".repeat(64)).is_none());
        assert_eq!(cache.clear().unwrap(), 2);
        assert!(cache.get(&k).is_none());
        assert!(cache.dir().join("unrelated.txt").exists());
        assert_eq!(Cache::new(dir.path().join("absent")).clear().unwrap(), 0);
    }
}
