//! The module layering docs/architecture.md draws, checked on the sources: no module of the binary imports one
//! of a layer above it, and the core crate imports nothing of the binary.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::repo_path;

/// Top to bottom. A module may import its own layer's leaves and any layer below, never one above.
const LAYERS: &[&[&str]] = &[
    &["main"],
    &["commands"],
    &["settings"],
    &["cli", "config"],
    &["mcp"],
    &["pipeline", "report", "llm"],
    &["render"],
    &["cluster", "snapshot_io", "document", "rules", "audience"],
    &["printer", "sanitize", "private_fs", "test_support"],
];

fn layer_of(module: &str) -> usize {
    LAYERS.iter().position(|l| l.contains(&module)).unwrap_or_else(|| panic!("add module `{module}` to LAYERS"))
}

/// `crate::x` paths used by each top-level module of src/.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(repo_path("src")).unwrap() {
        let path = entry.unwrap().path();
        let module = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.extension().is_some_and(|e| e == "css") {
            continue;
        }
        let mut text = String::new();
        collect(&path, &mut text);
        let used = out.entry(module.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let name: String = text[i + 7..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() && name != module {
                used.insert(name);
            }
        }
    }
    out
}

fn collect(path: &Path, text: &mut String) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            collect(&entry.unwrap().path(), text);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        text.push_str(&std::fs::read_to_string(path).unwrap());
    }
}

#[test]
fn no_module_imports_a_layer_above_it() {
    let mut upward = Vec::new();
    for (module, used) in imports() {
        for target in used {
            if layer_of(&target) < layer_of(&module) {
                upward.push(format!("{module} -> {target}"));
            }
        }
    }
    assert!(upward.is_empty(), "upward imports (see docs/architecture.md): {upward:?}");
}

#[test]
fn the_core_crate_knows_nothing_of_the_binary() {
    let mut text = String::new();
    collect(&repo_path("analyzers/src"), &mut text);
    for word in ["mekhanikube::", "tokio", "reqwest", "kube::"] {
        assert!(!text.contains(word), "analyzers/src uses {word}: the core is pure");
    }
}
