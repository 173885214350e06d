//! Saved snapshots into a [`SnapshotBuilder`]: a `kind: List` as `kubectl get -o yaml|json` prints it, a typed list
//! (`PodList`), one or many YAML documents, or single objects.
//!
//! A List is read as a stream: each item is decoded when the parser reaches it, filtered, stored in its typed form
//! and dropped, so a file of 100,000 pods is never also held as one tree of `serde_json::Value`s (that tree took
//! about ten times the memory of the typed objects). Anything the stream does not take as a List (single objects,
//! several YAML documents, and every malformed input) is read again whole, by the one path that also words the
//! errors, so both paths accept and refuse exactly the same files.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::custom::{group_of, is_builtin_group};
use crate::kind::Kind;
use crate::snapshot::{
    DECODED_FROM_TEXT, LoadError, READ_ANNOTATION, READ_AT_ANNOTATION, SKIPPED_ANNOTATION, SNAPSHOT_INFO_NAME,
    SavedInfo, SnapshotBuilder,
};

impl SnapshotBuilder {
    /// Parses YAML (one or many documents) or JSON text as printed by `kubectl get -o yaml|json`. A file that
    /// fails adds nothing.
    pub fn add_text(&mut self, source_name: &str, text: &str) -> Result<(), LoadError> {
        let mut loaded = self.fragment();
        if !stream_list::<std::io::Empty>(&mut loaded, source_name, Input::Text(text)) {
            loaded = self.fragment();
            loaded.add_whole_text(source_name, text)?;
        }
        self.merge_loaded(loaded);
        Ok(())
    }

    /// Streams a file as it is read, when it is one List: the text is never held whole (a 100,000-pod snapshot is
    /// 220 MB of it). True when the file was one List, now added; false for anything else, which adds nothing:
    /// read it whole and give it to [`add_text`](Self::add_text), the path that also words the errors.
    pub fn add_list_reader<R: std::io::Read>(&mut self, source_name: &str, reader: R, bytes: usize) -> bool {
        let mut loaded = self.fragment();
        let mut reader = std::io::BufReader::with_capacity(READ_BUFFER, reader);
        // The first bytes say whether it is JSON.
        if std::io::BufRead::fill_buf(&mut reader).is_err() {
            return false;
        }
        let taken = stream_list(&mut loaded, source_name, Input::Reader { reader, bytes });
        if taken {
            self.merge_loaded(loaded);
        }
        taken
    }

    fn add_whole_text(&mut self, source_name: &str, text: &str) -> Result<(), LoadError> {
        let docs: Vec<serde_json::Value> = if is_json(text) {
            vec![
                serde_json::from_str(text)
                    .map_err(|e| LoadError::Syntax { source_name: source_name.into(), message: e.to_string() })?,
            ]
        } else {
            serde_saphyr::from_multiple_with_options(text, yaml_options(text.len())).map_err(|e| LoadError::Syntax {
                source_name: source_name.into(),
                message: e.to_string().lines().next().unwrap_or_default().to_string(),
            })?
        };
        for doc in docs {
            self.add_document(source_name, doc)?;
        }
        Ok(())
    }

    /// Adds every item of a parsed document: a `kind: List`, a typed list (`PodList`), or a single object.
    /// Objects of custom groups go to the custom store; other kinds no analyzer reads are counted and ignored.
    pub fn add_document(&mut self, source_name: &str, doc: serde_json::Value) -> Result<(), LoadError> {
        // Items are moved out of the document, never copied: a big List is held once.
        let is_list = doc.get("kind").and_then(|k| k.as_str()).is_some_and(|k| k.ends_with("List"));
        let items: Vec<serde_json::Value> = match doc {
            serde_json::Value::Null => return Ok(()),
            serde_json::Value::Object(mut map) if is_list => match map.remove("items") {
                Some(serde_json::Value::Array(items)) => items,
                Some(serde_json::Value::Null) | None => Vec::new(),
                Some(other) => {
                    return Err(LoadError::NotAList {
                        source_name: source_name.into(),
                        found: format!("items: {}", type_name(&other)),
                    });
                }
            },
            serde_json::Value::Object(_) => vec![doc],
            other => {
                return Err(LoadError::NotAList { source_name: source_name.into(), found: type_name(&other).into() });
            }
        };
        self.from_files = true;
        for (index, item) in items.into_iter().enumerate() {
            self.add_item(source_name, index, item)?;
        }
        Ok(())
    }

    /// Adds one item of a file: the info item, a kind of the table, a custom object, or an ignored kind.
    fn add_item(&mut self, source_name: &str, index: usize, item: serde_json::Value) -> Result<(), LoadError> {
        if is_info_item(&item) {
            self.saved_info = Some(parse_saved_info(&item));
            return Ok(());
        }
        let text_at = |pointer: &str| item.pointer(pointer).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let (api_version, kind_name) = (text_at("/apiVersion"), text_at("/kind"));
        let name = Some(text_at("/metadata/name")).filter(|n| !n.is_empty()).unwrap_or_else(|| "<unnamed>".into());
        if api_version.is_empty() || kind_name.is_empty() {
            return Err(LoadError::MissingType { source_name: source_name.into(), index, what: name });
        }
        self.newest_observed = crate::clock::newest_observed(&item, self.newest_observed);
        let invalid = |e: serde_json::Error| LoadError::Invalid {
            source_name: source_name.into(),
            index,
            kind: kind_name.clone(),
            name: name.clone(),
            message: e.to_string(),
        };
        match Kind::from_type(&api_version, &kind_name) {
            Some(kind) => self.insert_value(kind, item).map_err(invalid)?,
            None if !is_builtin_group(group_of(&api_version)) => self.insert_custom(item).map_err(invalid)?,
            None => {
                self.ignored_kinds.insert(format!("{api_version}/{kind_name}"));
            }
        }
        Ok(())
    }

    /// One item of a JSON List, as its raw text. Once a saved file's info item has set the clock (`snapshot`
    /// writes it first), the kinds of the compact model are decoded straight from the text: the JSON tree of the
    /// other path cost as much as the decoding, and is needed only to find the newest observed time.
    fn add_raw_item(&mut self, source_name: &str, index: usize, raw: &str) -> Result<(), LoadError> {
        let clock_known = self.saved_info.as_ref().is_some_and(|info| info.read_at.is_some());
        if clock_known && let Some(kind) = item_type(raw).filter(|k| DECODED_FROM_TEXT.contains(k)) {
            self.insert_json(kind, raw).map_err(|e| LoadError::Invalid {
                source_name: source_name.into(),
                index,
                kind: kind.name().into(),
                name: item_name(raw),
                message: e.to_string(),
            })?;
            return Ok(());
        }
        let item = serde_json::from_str(raw)
            .map_err(|e| LoadError::Syntax { source_name: source_name.into(), message: e.to_string() })?;
        self.add_item(source_name, index, item)
    }

    /// Moves in what one file added.
    fn merge_loaded(&mut self, mut loaded: SnapshotBuilder) {
        self.from_files |= loaded.from_files;
        self.newest_observed = self.newest_observed.max(loaded.newest_observed);
        self.ignored_kinds.append(&mut loaded.ignored_kinds);
        if let Some(info) = loaded.saved_info.take() {
            self.saved_info = Some(info);
        }
        self.absorb(loaded);
    }
}

/// The kind an item names, from its `apiVersion` and `kind`. The scan stops once both are seen (`snapshot` and
/// kubectl write them first), so the rest of the text is read once, by the typed decode.
fn item_type(text: &str) -> Option<Kind> {
    let mut found = (None, None);
    // Stopping early leaves the object unclosed, which the parser reports: what was found by then is all we need.
    let _ = serde_json::Deserializer::from_str(text).deserialize_map(TypeFields(&mut found));
    Kind::from_type(found.0?, found.1?)
}

/// Fills in `apiVersion` and `kind` as a map goes by, then stops.
struct TypeFields<'f, 'de>(&'f mut (Option<&'de str>, Option<&'de str>));

impl<'de> Visitor<'de> for TypeFields<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while self.0.0.is_none() || self.0.1.is_none() {
            let Some(key) = map.next_key::<&'de str>()? else { break };
            match key {
                "apiVersion" => self.0.0 = Some(map.next_value()?),
                "kind" => self.0.1 = Some(map.next_value()?),
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// An item's name for an error, read only when one is reported.
fn item_name(text: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Item {
        metadata: Option<Metadata>,
    }
    #[derive(serde::Deserialize)]
    struct Metadata {
        name: Option<String>,
    }
    serde_json::from_str::<Item>(text).ok().and_then(|i| i.metadata?.name).unwrap_or_else(|| "<unnamed>".into())
}

/// Bytes read from a file at a time while streaming it.
const READ_BUFFER: usize = 1 << 16;

fn is_json(text: &str) -> bool {
    text.trim_start().starts_with(['{', '['])
}

/// What a List is streamed from: text already in memory, or a file as it is read.
enum Input<'t, R> {
    Text(&'t str),
    Reader { reader: std::io::BufReader<R>, bytes: usize },
}

/// Streams `input` into `into` if it is one document holding a List; false for anything else, `into` then being
/// of no use.
fn stream_list<R: std::io::Read>(into: &mut SnapshotBuilder, source_name: &str, input: Input<'_, R>) -> bool {
    let mut failure = None;
    let json = match &input {
        Input::Text(text) => is_json(text),
        // The same test as for text (a character cut at the buffer's end does not matter to it).
        Input::Reader { reader, .. } => is_json(&String::from_utf8_lossy(reader.buffer())),
    };
    let visitor = |into, failure| DocumentVisitor { into, source_name, failure, raw_items: json };
    let streamed = match input {
        Input::Text(text) if json => {
            let mut json = serde_json::Deserializer::from_str(text);
            json.deserialize_any(visitor(into, &mut failure)).ok().filter(|_| json.end().is_ok())
        }
        Input::Text(text) => {
            serde_saphyr::with_deserializer_from_str_with_options(text, yaml_options(text.len()), |yaml| {
                yaml.deserialize_any(visitor(into, &mut failure))
            })
            .ok()
        }
        // Split in large blocks: serde_json's reader takes a byte at a time.
        Input::Reader { reader, .. } if json => {
            let split = crate::json_list::split_list(reader, |index, item| {
                into.add_raw_item(source_name, index, item).map_err(|e| failure = Some(e)).is_ok()
            });
            let taken = matches!(split, Ok(crate::json_list::Split::List));
            into.from_files |= taken;
            taken.then_some(Shape::List)
        }
        Input::Reader { reader, bytes } => {
            serde_saphyr::with_deserializer_from_reader_with_options(reader, yaml_options(bytes), |yaml| {
                yaml.deserialize_any(visitor(into, &mut failure))
            })
            .ok()
        }
    };
    failure.is_none() && streamed == Some(Shape::List)
}

#[derive(Debug, PartialEq, Eq)]
enum Shape {
    List,
    Other,
}

/// Visits the top of a document: `items` is streamed, `kind` kept, the rest skipped unread.
struct DocumentVisitor<'a> {
    into: &'a mut SnapshotBuilder,
    source_name: &'a str,
    failure: &'a mut Option<LoadError>,
    /// JSON: items are taken as their raw text (see [`SnapshotBuilder::add_raw_item`]).
    raw_items: bool,
}

impl<'de> Visitor<'de> for DocumentVisitor<'_> {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a kind: List")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        let (mut kind, mut has_items) = (None::<String>, false);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                // Keys come in any order (kubectl puts `items` before `kind`): a document with items that turns
                // out not to be a List is read again whole.
                "items" => {
                    map.next_value_seed(ItemsSeed {
                        into: self.into,
                        source_name: self.source_name,
                        failure: self.failure,
                        raw_items: self.raw_items,
                    })?;
                    has_items = true;
                }
                "kind" => kind = Some(map.next_value()?),
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        let is_list = has_items && kind.is_some_and(|k| k.ends_with("List"));
        if is_list {
            self.into.from_files = true;
        }
        Ok(if is_list { Shape::List } else { Shape::Other })
    }
}

struct ItemsSeed<'a> {
    into: &'a mut SnapshotBuilder,
    source_name: &'a str,
    failure: &'a mut Option<LoadError>,
    raw_items: bool,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sequence of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        for index in 0.. {
            let added = if self.raw_items {
                match seq.next_element::<Box<RawValue>>()? {
                    Some(raw) => self.into.add_raw_item(self.source_name, index, raw.get()),
                    None => break,
                }
            } else {
                match seq.next_element::<serde_json::Value>()? {
                    Some(item) => self.into.add_item(self.source_name, index, item),
                    None => break,
                }
            };
            if let Err(e) = added {
                *self.failure = Some(e);
                return Err(de::Error::custom("an item was refused"));
            }
        }
        Ok(())
    }
}

/// The YAML parser's limits, sized to the file: a document cannot hold more nodes or events than it has bytes,
/// so the size limits grow with it (a 30,000-pod snapshot has millions of nodes), while the limits that stop
/// alias bombs and absurd nesting (aliases, anchors, expansion, depth) stay the parser's defaults.
fn yaml_options(bytes: usize) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_events = budget.max_events.max(bytes);
    budget.max_nodes = budget.max_nodes.max(bytes);
    budget.max_total_scalar_bytes = budget.max_total_scalar_bytes.max(bytes);
    budget.max_reader_input_bytes = budget.max_reader_input_bytes.map(|limit| limit.max(bytes));
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

/// Our info item has no namespace; a cluster's ConfigMap of the same name always has one and is read as what it is.
fn is_info_item(item: &serde_json::Value) -> bool {
    item.get("kind").and_then(|k| k.as_str()) == Some("ConfigMap")
        && item.pointer("/metadata/name").and_then(|n| n.as_str()) == Some(SNAPSHOT_INFO_NAME)
        && item.pointer("/metadata/namespace").and_then(|n| n.as_str()).is_none_or(str::is_empty)
}

fn parse_saved_info(item: &serde_json::Value) -> SavedInfo {
    let annotation = |key: &str| {
        item.pointer("/metadata/annotations").and_then(|a| a.get(key)).and_then(|v| v.as_str()).unwrap_or_default()
    };
    let has = |key: &str| item.pointer("/metadata/annotations").and_then(|a| a.get(key)).is_some();
    let read =
        has(READ_ANNOTATION).then(|| annotation(READ_ANNOTATION).split(',').filter_map(Kind::from_name).collect());
    let skipped = serde_json::from_str(annotation(SKIPPED_ANNOTATION)).unwrap_or_default();
    let read_at = annotation(READ_AT_ANNOTATION).parse().ok();
    SavedInfo { read, skipped, read_at }
}

fn type_name(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "nothing",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a sequence",
        serde_json::Value::Object(_) => "an object",
    }
}

/// A Secret's payload is dropped before it is even decoded; the typed rules of [`crate::hygiene`] do the rest.
pub(crate) fn drop_secret_payload(kind: Kind, value: &mut serde_json::Value) {
    if kind == Kind::Secret
        && let Some(obj) = value.as_object_mut()
    {
        obj.retain(|k, _| k == "apiVersion" || k == "kind" || k == "metadata" || k == "type");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A List, YAML or JSON, takes the streamed path (the whole-document path would load it too, only at ten
    /// times the memory, so the fixture tests alone would not notice).
    #[test]
    fn lists_are_streamed_and_other_documents_are_not() {
        let yaml = include_str!("../../examples/demo-cluster.yaml");
        let doc: serde_json::Value = serde_saphyr::from_str(yaml).unwrap();
        let json = serde_json::to_string(&doc).unwrap();
        for (name, text) in [("demo.yaml", yaml.to_string()), ("demo.json", json)] {
            let mut builder = SnapshotBuilder::new();
            assert!(stream_list::<std::io::Empty>(&mut builder, name, Input::Text(&text)), "{name}");
            assert!(builder.object_count() > 50, "{name}: {}", builder.object_count());
            // Read from a file, the same List loads as it is read, to the same objects.
            let mut read = SnapshotBuilder::new();
            assert!(read.add_list_reader(name, text.as_bytes(), text.len()), "{name} from a reader");
            assert_eq!(read.object_count(), builder.object_count(), "{name}");
            assert_eq!(read.build().objects.to_list_items(), builder.build().objects.to_list_items(), "{name}");
        }
        let not_lists = [
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n",
            "apiVersion: v1\nkind: List\nitems: []\n---\napiVersion: v1\nkind: List\nitems: []\n",
            "apiVersion: example.com/v1\nkind: Basket\nitems: [{sku: 1}]\n",
            "[1, 2]",
        ];
        for text in not_lists {
            assert!(!stream_list::<std::io::Empty>(&mut SnapshotBuilder::new(), "x", Input::Text(text)), "{text}");
            let mut read = SnapshotBuilder::new();
            assert!(!read.add_list_reader("x", text.as_bytes(), text.len()), "{text} from a reader");
            assert_eq!(read.object_count(), 0, "{text}: a file not taken as a List adds nothing");
        }
        // An invalid item stops the stream and adds nothing: the whole-text path then words the error.
        let invalid = r#"{"kind": "List", "items": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}},
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": 3}}]}"#;
        let mut read = SnapshotBuilder::new();
        assert!(!read.add_list_reader("bad.json", invalid.as_bytes(), invalid.len()));
        assert_eq!(read.object_count(), 0);
        let error = SnapshotBuilder::new().add_text("bad.json", invalid).unwrap_err().to_string();
        assert!(error.contains("item 1 (Pod p)"), "{error}");
    }

    /// After a saved file's info item, pods and the workload kinds are decoded straight from their JSON text: the
    /// objects must be those of the JSON-value path, and every array only as long as it is.
    #[test]
    fn saved_json_items_decoded_from_their_text_equal_the_value_path() {
        let yaml = include_str!("../../examples/demo-cluster.yaml");
        let mut doc: serde_json::Value = serde_saphyr::from_str(yaml).unwrap();
        let info = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
            "name": SNAPSHOT_INFO_NAME, "annotations": {READ_AT_ANNOTATION: "2026-11-23T09:00:00Z"}}});
        doc["items"].as_array_mut().unwrap().insert(0, info);
        let json = serde_json::to_string(&doc).unwrap();
        let (mut from_text, mut from_values) = (SnapshotBuilder::new(), SnapshotBuilder::new());
        from_text.add_text("saved.json", &json).unwrap();
        from_values.add_text("demo.yaml", yaml).unwrap();
        let (from_text, from_values) = (from_text.build(), from_values.build());
        assert_eq!(from_text.objects.to_list_items(), from_values.objects.to_list_items());
        assert!(from_text.objects.pods.len() > 10 && from_text.objects.deployments.len() > 3);
        for pod in from_text.objects.pods.iter() {
            let spec = pod.spec.as_ref().unwrap();
            assert_eq!(spec.containers.capacity(), spec.containers.len());
            let statuses = pod.status.as_ref().and_then(|s| s.container_statuses.as_ref());
            assert!(statuses.is_none_or(|s| s.capacity() == s.len()), "{:?}", pod.metadata.name);
            let owners = pod.metadata.owner_references.as_ref();
            assert!(owners.is_none_or(|o| o.capacity() == o.len()), "{:?}", pod.metadata.name);
        }
    }

    #[test]
    fn an_items_kind_is_read_from_its_type_fields_wherever_they_are() {
        let pod = Some(Kind::Pod);
        assert_eq!(item_type(r#"{"apiVersion":"v1","kind":"Pod","spec":{"containers":[]}}"#), pod);
        assert_eq!(item_type(r#"{"metadata":{"name":"a"},"kind":"Pod","spec":{},"apiVersion":"v1"}"#), pod);
        // The scan stops at both fields, so text after them is left to the typed decode.
        assert_eq!(item_type(r#"{"kind":"Pod","apiVersion":"v1","spec":"#), pod);
        assert_eq!(item_type(r#"{"apiVersion":"apps/v1","kind":"Pod"}"#), None);
        assert_eq!(item_type(r#"{"kind":"Pod"}"#), None);
        assert_eq!(item_type(r#"{"apiVersion":"v1","kind":"P\u006fd"}"#), None, "escaped: left to the value path");
        assert_eq!(item_type("[]"), None);
    }

    #[test]
    fn an_item_refused_from_its_text_is_named() {
        let info = format!(
            r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"{SNAPSHOT_INFO_NAME}","annotations":{{"{READ_AT_ANNOTATION}":"2026-11-23T09:00:00Z"}}}}}}"#
        );
        let bad =
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"a"},"spec":{"containers":7}}"#;
        let text = format!(r#"{{"apiVersion":"v1","kind":"List","items":[{info},{bad}]}}"#);
        let error = SnapshotBuilder::new().add_text("saved.json", &text).unwrap_err().to_string();
        assert!(error.contains("saved.json") && error.contains("Pod") && error.contains("web"), "{error}");
    }
}
