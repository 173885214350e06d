//! The `-l` label query parser. The first line is the query; the other lines, `key=value`, are the labels it
//! is matched against.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use mekhanikube_analyzers::LabelQuery;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (query, labels) = text.split_once('\n').unwrap_or((text, ""));
    let labels: BTreeMap<String, String> =
        labels.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
    match LabelQuery::parse(query) {
        Ok(parsed) => {
            let matched = parsed.matches(&labels);
            // Parsing is deterministic, and so is matching.
            assert_eq!(LabelQuery::parse(query).as_ref(), Ok(&parsed));
            assert_eq!(parsed.matches(&labels), matched);
        }
        Err(e) => assert_eq!(e.query, query, "the error names the query"),
    }
});
