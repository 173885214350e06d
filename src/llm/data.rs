//! An ordered value tree for prompt data: keys keep the order they were pushed in (serde_json's map sorts
//! them), every string can be rewritten in one pass (anonymization), and it serializes to YAML for the prompt
//! and to template variables alike.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

#[derive(Clone, Debug, Default, PartialEq)]
pub enum Data {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Data>),
    Map(Vec<(String, Data)>),
}

impl Data {
    pub fn map() -> Data {
        Data::Map(Vec::new())
    }

    pub fn str(s: impl Into<String>) -> Data {
        Data::Str(s.into())
    }

    /// Adds `key: value` to a map, skipping nulls and empty lists/maps/strings so the prompt stays short.
    pub fn push(&mut self, key: &str, value: impl Into<Data>) -> &mut Data {
        let value = value.into();
        if let Data::Map(entries) = self
            && !value.is_empty()
        {
            entries.push((key.to_string(), value));
        }
        self
    }

    /// Adds `key: value` even when the value is null or empty (for template variables that must be defined).
    pub fn set(&mut self, key: &str, value: impl Into<Data>) -> &mut Data {
        if let Data::Map(entries) = self {
            let value = value.into();
            match entries.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value,
                None => entries.push((key.to_string(), value)),
            }
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Data::Null => true,
            Data::Str(s) => s.is_empty(),
            Data::List(l) => l.is_empty(),
            Data::Map(m) => m.is_empty(),
            _ => false,
        }
    }

    /// Converts JSON, keeping the (sorted) key order serde_json gives.
    pub fn from_json(value: &serde_json::Value) -> Data {
        match value {
            serde_json::Value::Null => Data::Null,
            serde_json::Value::Bool(b) => Data::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Data::Int(i),
                None => Data::Float(n.as_f64().unwrap_or_default()),
            },
            serde_json::Value::String(s) => Data::Str(s.clone()),
            serde_json::Value::Array(a) => Data::List(a.iter().map(Data::from_json).collect()),
            serde_json::Value::Object(o) => Data::Map(o.iter().map(|(k, v)| (k.clone(), Data::from_json(v))).collect()),
        }
    }

    /// Rewrites every string value (not map keys).
    pub fn map_strings(&mut self, f: &dyn Fn(&str) -> String) {
        match self {
            Data::Str(s) => *s = f(s),
            Data::List(l) => l.iter_mut().for_each(|d| d.map_strings(f)),
            Data::Map(m) => m.iter_mut().for_each(|(_, d)| d.map_strings(f)),
            _ => {}
        }
    }

    /// Renders as block YAML. Never fails for this tree; an error would come back as a YAML comment.
    pub fn to_yaml(&self) -> String {
        match serde_saphyr::to_string(self) {
            Ok(s) => s,
            Err(e) => format!("# could not render: {e}\n"),
        }
    }
}

impl From<&str> for Data {
    fn from(s: &str) -> Data {
        Data::Str(s.to_string())
    }
}
impl From<String> for Data {
    fn from(s: String) -> Data {
        Data::Str(s)
    }
}
impl From<std::borrow::Cow<'_, str>> for Data {
    fn from(s: std::borrow::Cow<'_, str>) -> Data {
        Data::Str(s.into_owned())
    }
}
impl From<&String> for Data {
    fn from(s: &String) -> Data {
        Data::Str(s.clone())
    }
}
impl From<bool> for Data {
    fn from(b: bool) -> Data {
        Data::Bool(b)
    }
}
impl From<i64> for Data {
    fn from(i: i64) -> Data {
        Data::Int(i)
    }
}
impl From<i32> for Data {
    fn from(i: i32) -> Data {
        Data::Int(i.into())
    }
}
impl From<usize> for Data {
    fn from(i: usize) -> Data {
        Data::Int(i64::try_from(i).unwrap_or(i64::MAX))
    }
}
impl<T: Into<Data>> From<Option<T>> for Data {
    fn from(o: Option<T>) -> Data {
        o.map_or(Data::Null, Into::into)
    }
}
impl<T: Into<Data>> From<Vec<T>> for Data {
    fn from(v: Vec<T>) -> Data {
        Data::List(v.into_iter().map(Into::into).collect())
    }
}

impl Serialize for Data {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Data::Null => serializer.serialize_none(),
            Data::Bool(b) => serializer.serialize_bool(*b),
            Data::Int(i) => serializer.serialize_i64(*i),
            Data::Float(f) => serializer.serialize_f64(*f),
            Data::Str(s) => serializer.serialize_str(s),
            Data::List(l) => {
                let mut seq = serializer.serialize_seq(Some(l.len()))?;
                for item in l {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Data::Map(m) => {
                let mut map = serializer.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_keeps_order_and_quotes_what_needs_it() {
        let mut d = Data::map();
        d.push("zeta", "1").push("alpha", "x: y").push("empty", "").push("list", vec!["a", "- b"]);
        let yaml = d.to_yaml();
        assert!(yaml.find("zeta").unwrap() < yaml.find("alpha").unwrap(), "{yaml}");
        assert!(!yaml.contains("empty"));
        let back: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
        assert_eq!(back["alpha"], "x: y");
        assert_eq!(back["zeta"], "1");
        assert_eq!(back["list"][1], "- b");
    }
}
