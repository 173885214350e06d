//! The snapshot loader on hostile files: YAML (one or many documents) or JSON, then every analyzer.
//! Whatever the text, loading returns a result and analysis returns findings in report order, once each.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mekhanikube_analyzers::{SnapshotBuilder, registry, run};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut builder = SnapshotBuilder::new();
    if builder.add_text("fuzz.yaml", text).is_err() {
        return;
    }
    let snapshot = builder.build();
    let findings = run(registry(), &snapshot);
    for pair in findings.windows(2) {
        assert!(pair[0].sort_key() <= pair[1].sort_key(), "findings out of order");
        assert!(pair[0] != pair[1], "a finding twice");
    }
    // What `-o json` prints must serialize.
    serde_json::to_string(&findings).expect("findings serialize");
});
