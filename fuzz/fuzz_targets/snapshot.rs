//! The snapshot loader on hostile files: YAML (one or many documents) or JSON, then every analyzer.
//! Whatever the text, loading returns a result and analysis returns findings in report order, once each; a file
//! read as it is parsed (`add_list_reader`) loads exactly what the text path loads, or nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mekhanikube_analyzers::{SnapshotBuilder, registry, run};

fuzz_target!(|data: &[u8]| {
    let mut read = SnapshotBuilder::new();
    let streamed = read.add_list_reader("fuzz.yaml", data, data.len());
    // The reader also takes UTF-16 with a byte-order mark, which the text path cannot be given.
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut builder = SnapshotBuilder::new();
    let loaded = builder.add_text("fuzz.yaml", text);
    if streamed {
        assert!(loaded.is_ok(), "the text path refused a List the reader loaded: {loaded:?}");
        assert_eq!(read.object_count(), builder.object_count(), "the two paths loaded different objects");
    } else {
        assert_eq!(read.object_count(), 0, "a file the reader did not take added objects");
    }
    if loaded.is_err() {
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
