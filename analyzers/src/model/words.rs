//! Strings that are nearly always one of a few API words (a condition's type and status, a pod's phase, a
//! container's pull policy). Each took a heap allocation per object; read as one of the words below, they borrow
//! it instead, which saves about twenty allocations on a pod as the API server returns it.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::{self, Visitor};

/// A string that borrows a known API word, or owns any other text. Reads and writes as a plain string.
pub type Word = Cow<'static, str>;

/// The words borrowed, in byte order (binary search).
const WORDS: &[&str] = &[
    "/dev/termination-log",
    "Always",
    "BestEffort",
    "Burstable",
    "ClusterFirst",
    "ClusterFirstWithHostNet",
    "ContainersReady",
    "Default",
    "DisruptionTarget",
    "Failed",
    "FallbackToLogsOnError",
    "False",
    "File",
    "Guaranteed",
    "IfNotPresent",
    "Initialized",
    "Never",
    "None",
    "OnFailure",
    "Pending",
    "PodReadyToStartContainers",
    "PodScheduled",
    "PreemptLowerPriority",
    "Ready",
    "Running",
    "SCTP",
    "Succeeded",
    "TCP",
    "True",
    "UDP",
    "Unknown",
    "default",
    "default-scheduler",
];

fn known(text: &str) -> Option<&'static str> {
    WORDS.binary_search(&text).ok().map(|i| WORDS[i])
}

struct WordVisitor;

impl Visitor<'_> for WordVisitor {
    type Value = Word;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<Word, E> {
        Ok(known(text).map_or_else(|| Cow::Owned(text.to_owned()), Cow::Borrowed))
    }
    fn visit_string<E: de::Error>(self, text: String) -> Result<Word, E> {
        Ok(known(&text).map_or(Cow::Owned(text), Cow::Borrowed))
    }
}

/// `deserialize_with` for a required word.
pub(super) fn word<'de, D: de::Deserializer<'de>>(input: D) -> Result<Word, D::Error> {
    input.deserialize_str(WordVisitor)
}

/// `deserialize_with` for an optional word.
pub(super) fn optional_word<'de, D: de::Deserializer<'de>>(input: D) -> Result<Option<Word>, D::Error> {
    struct Text(Word);
    impl<'de> Deserialize<'de> for Text {
        fn deserialize<D: de::Deserializer<'de>>(input: D) -> Result<Self, D::Error> {
            word(input).map(Text)
        }
    }
    Ok(Option::<Text>::deserialize(input)?.map(|t| t.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_in_byte_order_for_the_search() {
        assert!(WORDS.windows(2).all(|w| w[0] < w[1]), "WORDS must be sorted and unique");
    }

    #[test]
    fn known_words_are_borrowed_and_other_text_is_owned() {
        let read = |json: &str| word(&mut serde_json::Deserializer::from_str(json)).unwrap();
        assert!(matches!(read(r#""Running""#), Cow::Borrowed("Running")));
        assert!(matches!(read(r#""True""#), Cow::Borrowed("True")));
        assert!(matches!(read(r#""Runnin""#), Cow::Owned(ref s) if s == "Runnin"));
        assert!(matches!(read(r#""True\u0021""#), Cow::Owned(ref s) if s == "True!"));
        let absent: Option<Word> = optional_word(&mut serde_json::Deserializer::from_str("null")).unwrap();
        assert_eq!(absent, None);
        assert!(word(&mut serde_json::Deserializer::from_str("3")).is_err());
    }
}
