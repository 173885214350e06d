//! A JSON List split into its items' text as a file is read, in large blocks. serde_json's reader takes a byte at a
//! time, and capturing each item's raw text through it was a fifth of the load time of a 100,000-pod snapshot.
//!
//! Only the structure around the items is read here: the top-level object, its keys, the `items` array and the
//! separators. Every value (each item, `kind`, any other key's value) is handed to serde_json as a slice, which
//! parses and so validates it. Anything else (another shape, a syntax error, bytes that are not UTF-8) ends the
//! split as [`Split::NotAList`], and the caller reads the file by the path that words the errors.

use std::io::Read;

/// Bytes read at a time; the window grows past it only for a value larger than itself.
const BLOCK: usize = 1 << 20;

/// How a split ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Split {
    /// One object with `items` and a `kind` ending in `List`: every item was handed on.
    List,
    /// Not one such object, or not valid JSON: what was handed on is to be dropped.
    NotAList,
    /// `on_item` refused an item.
    Refused,
}

/// Reads `reader` as one JSON object, handing each element of its top-level `items` array to `on_item` with its
/// index, as its text. `on_item` returns false to stop.
pub(crate) fn split_list<R: Read>(reader: R, mut on_item: impl FnMut(usize, &str) -> bool) -> std::io::Result<Split> {
    let mut input = Window { reader, buf: Vec::with_capacity(BLOCK), pos: 0, eof: false };
    if input.next_token()? != Some(b'{') {
        return Ok(Split::NotAList);
    }
    input.pos += 1;
    let (mut kind, mut has_items) = (None::<String>, false);
    if input.next_token()? == Some(b'}') {
        input.pos += 1;
    } else {
        loop {
            if input.next_token()? != Some(b'"') {
                return Ok(Split::NotAList);
            }
            let Some(key) = input.value::<String>()? else { return Ok(Split::NotAList) };
            if input.next_token()? != Some(b':') {
                return Ok(Split::NotAList);
            }
            input.pos += 1;
            match key.as_str() {
                "items" => match input.items(&mut on_item)? {
                    Split::List => has_items = true,
                    other => return Ok(other),
                },
                "kind" => match input.value::<String>()? {
                    Some(k) => kind = Some(k),
                    None => return Ok(Split::NotAList),
                },
                _ => {
                    if input.value::<serde::de::IgnoredAny>()?.is_none() {
                        return Ok(Split::NotAList);
                    }
                }
            }
            match input.next_token()? {
                Some(b',') => input.pos += 1,
                Some(b'}') => {
                    input.pos += 1;
                    break;
                }
                _ => return Ok(Split::NotAList),
            }
        }
    }
    // Nothing but whitespace may follow the object.
    if input.next_token()?.is_some() {
        return Ok(Split::NotAList);
    }
    Ok(if has_items && kind.is_some_and(|k| k.ends_with("List")) { Split::List } else { Split::NotAList })
}

/// The unread part of the input: `buf[pos..]`, refilled block by block.
struct Window<R> {
    reader: R,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
}

impl<R: Read> Window<R> {
    /// Reads one more block after what is unread, dropping what was read. False at the end of the input.
    fn fill(&mut self) -> std::io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        self.buf.drain(..self.pos);
        self.pos = 0;
        let start = self.buf.len();
        self.buf.resize(start + BLOCK, 0);
        let mut filled = start;
        // A block may come in several reads; a short one is not the end.
        while filled < self.buf.len() {
            match self.reader.read(&mut self.buf[filled..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.buf.truncate(filled);
        Ok(filled > start)
    }

    /// The next byte that is not JSON whitespace, left unread; None at the end of the input.
    fn next_token(&mut self) -> std::io::Result<Option<u8>> {
        loop {
            while let Some(&b) = self.buf.get(self.pos) {
                if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                    return Ok(Some(b));
                }
                self.pos += 1;
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Reads the value that starts at the next token and decodes it as a `T`; None when it is cut short, not
    /// UTF-8, or not a `T`.
    fn value<T: serde::de::DeserializeOwned>(&mut self) -> std::io::Result<Option<T>> {
        Ok(self.raw_value()?.and_then(|text| serde_json::from_str(text).ok()))
    }

    /// The text of the value that starts at the next token, now read.
    fn raw_value(&mut self) -> std::io::Result<Option<&str>> {
        if self.next_token()?.is_none() {
            return Ok(None);
        }
        let len = loop {
            if let Some(len) = value_len(&self.buf[self.pos..], self.eof) {
                break len;
            }
            if !self.fill()? {
                return Ok(None);
            }
        };
        if len == 0 {
            // A delimiter where a value should be (`[1,]`).
            return Ok(None);
        }
        let start = self.pos;
        self.pos += len;
        Ok(std::str::from_utf8(&self.buf[start..self.pos]).ok())
    }

    /// The `items` array: each element handed to `on_item`.
    fn items(&mut self, on_item: &mut impl FnMut(usize, &str) -> bool) -> std::io::Result<Split> {
        if self.next_token()? != Some(b'[') {
            return Ok(Split::NotAList);
        }
        self.pos += 1;
        if self.next_token()? == Some(b']') {
            self.pos += 1;
            return Ok(Split::List);
        }
        for index in 0.. {
            let Some(item) = self.raw_value()? else { return Ok(Split::NotAList) };
            if !on_item(index, item) {
                return Ok(Split::Refused);
            }
            match self.next_token()? {
                Some(b',') => self.pos += 1,
                Some(b']') => break,
                _ => return Ok(Split::NotAList),
            }
        }
        self.pos += 1;
        Ok(Split::List)
    }
}

/// The length of the JSON value at the start of `text`, found by its structure alone (brackets outside strings);
/// None when `text` ends before it does. A scalar ends at a delimiter, or at the end of the input (`at_end`).
/// What it finds is parsed by serde_json afterwards, so malformed text inside the value is refused there.
fn value_len(text: &[u8], at_end: bool) -> Option<usize> {
    match text.first()? {
        b'"' => string_len(text),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = 0;
            while let Some(&b) = text.get(i) {
                match b {
                    b'"' => {
                        i += string_len(&text[i..])?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => match text.iter().position(|b| matches!(b, b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t')) {
            Some(len) => Some(len),
            None if at_end => Some(text.len()),
            None => None,
        },
    }
}

/// The length of the string literal at the start of `text`, quotes included; None when it is cut short.
fn string_len(text: &[u8]) -> Option<usize> {
    let mut i = 1;
    loop {
        i += memchr::memchr2(b'"', b'\\', &text[i..])?;
        if text[i] == b'"' {
            return Some(i + 1);
        }
        // An escape: the next byte is part of it, whatever it is.
        i += 2;
        if i > text.len() {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits `text` read in pieces of `chunk` bytes; the items seen, or the outcome when it is not a List.
    fn split(text: &str, chunk: usize) -> Result<Vec<String>, Split> {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(self.1).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut items = Vec::new();
        match split_list(Trickle(text.as_bytes(), chunk), |index, item| {
            assert_eq!(index, items.len());
            items.push(item.to_string());
            true
        })
        .unwrap()
        {
            Split::List => Ok(items),
            other => Err(other),
        }
    }

    #[test]
    fn items_come_out_as_their_text_however_the_input_is_cut() {
        let text = r#" {"apiVersion": "v1", "items": [{"a": "}]\"{[", "b": [1, {"c": null}]}, "x\"]", 12.5e3, true, [], {}],
            "metadata": {"resourceVersion": ""}, "kind": "List"} "#;
        let want = [r#"{"a": "}]\"{[", "b": [1, {"c": null}]}"#, r#""x\"]""#, "12.5e3", "true", "[]", "{}"];
        for chunk in [1, 2, 3, 7, 64, BLOCK] {
            assert_eq!(split(text, chunk), Ok(want.iter().map(|s| s.to_string()).collect()), "chunk {chunk}");
        }
        assert_eq!(split(r#"{"kind":"PodList","items":[]}"#, 5), Ok(vec![]));
    }

    #[test]
    fn anything_but_one_json_list_is_not_taken() {
        for text in [
            "",
            "[]",
            r#"{"kind": "List"}"#,
            r#"{"items": []}"#,
            r#"{"kind": "Pod", "items": []}"#,
            r#"{"kind": 3, "items": []}"#,
            r#"{"kind": "List", "items": {}}"#,
            r#"{"kind": "List", "items": [1 2]}"#,
            r#"{"kind": "List", "items": [1,]}"#,
            r#"{"kind": "List", "items": [{"a": 1}"#,
            r#"{"kind": "List", "items": [] "x": 1}"#,
            r#"{"kind": "List", "items": [], }"#,
            r#"{"kind": "List", "items": [], "x": tru}"#,
            r#"{"kind": "List", "items": []} {}"#,
            r#"{"kind": "List", "items": []"#,
            r#"{kind: "List", "items": []}"#,
            r#"{"kind": "List", "items": [], "x": "\q"}"#,
        ] {
            assert_eq!(split(text, 4), Err(Split::NotAList), "{text:?}");
        }
        let not_utf8 = b"{\"kind\": \"List\", \"items\": [\"\xff\"]}";
        let result = split_list(&not_utf8[..], |_, _| true).unwrap();
        assert_eq!(result, Split::NotAList);
    }

    #[test]
    fn a_refused_item_stops_the_split() {
        let mut seen = 0;
        let result = split_list(&br#"{"kind": "List", "items": [1, 2, 3]}"#[..], |index, _| {
            seen += 1;
            index < 1
        });
        assert_eq!((result.unwrap(), seen), (Split::Refused, 2));
    }

    #[test]
    fn a_value_is_measured_by_its_structure() {
        assert_eq!(value_len(br#"{"a": "}"} , "#, false), Some(10));
        assert_eq!(value_len(br#"["\\", "\"]"], "#, false), Some(13));
        assert_eq!(value_len(br#"{"a": [1, 2"#, true), None);
        assert_eq!(value_len(b"123", false), None, "more digits may follow");
        assert_eq!(value_len(b"123", true), Some(3));
        assert_eq!(value_len(br#""ab\"#, false), None);
    }
}
