//! The `--resource Kind/name` parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mekhanikube_analyzers::ResourceRef;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(parsed) = ResourceRef::parse(text) {
        assert!(!parsed.name.is_empty() && !parsed.name.contains('/'), "{text:?} -> {parsed:?}");
        assert!(text.ends_with(&format!("/{}", parsed.name)), "{text:?} -> {parsed:?}");
    }
});
