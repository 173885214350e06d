//! Removes terminal control sequences from text that came from a cluster or a model before it is displayed.
//!
//! Object names, event messages and model answers are untrusted: an ANSI escape in any of them could recolour,
//! move the cursor, set the window title, or write a clipboard (OSC 52). [`sanitize_for_terminal`] keeps
//! printable text, `\n` and `\t`, and drops everything else that a terminal would interpret.

/// Strips ANSI/VT sequences (CSI, OSC, DCS, SOS, PM, APC, two-byte ESC sequences), the 8-bit C1 controls, C0
/// controls other than `\n` and `\t` (a `\r` could overwrite a line), DEL, and the Unicode bidi overrides that
/// can make text display differently from what it is. An unterminated sequence at the end is dropped.
pub fn sanitize_for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters and intermediates, then one final byte in 0x40..=0x7E.
                Some('[') => skip_csi(&mut chars),
                // OSC, DCS, SOS, PM, APC: a string terminated by BEL or ST (ESC \).
                Some(']' | 'P' | 'X' | '^' | '_') => skip_string(&mut chars),
                // nF sequences: intermediates 0x20..=0x2F, then a final byte.
                Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => {
                    while chars.next_if(|c| ('\u{20}'..='\u{2f}').contains(c)).is_some() {}
                    chars.next();
                }
                // Any other two-character sequence (ESC 7, ESC c, ...); a lone ESC at the end is dropped.
                Some(_) | None => {}
            },
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\n' | '\t' => out.push(c),
            c if is_dropped(c) => {}
            c => out.push(c),
        }
    }
    out
}

fn is_dropped(c: char) -> bool {
    c.is_control() // C0, DEL and C1
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            return;
        }
        // A CSI holds only 0x20..=0x3F between its introducer and final byte; anything else ends it early.
        if !('\u{20}'..='\u{3f}').contains(&c) {
            return;
        }
    }
}

fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                chars.next_if_eq(&'\\');
                return;
            }
            _ => {}
        }
    }
}

/// Where a streamed text can safely be cut: the length of the prefix that contains no incomplete escape
/// sequence. Everything from an ESC (or 8-bit introducer) whose sequence has not ended yet is held back.
pub(crate) fn complete_prefix_len(text: &str) -> usize {
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    let mut safe = text.len();
    while i < bytes.len() {
        let (pos, c) = bytes[i];
        let end = match c {
            '\u{1b}' => match bytes.get(i + 1).map(|(_, c)| *c) {
                None => None,
                Some('[') => find_csi_end(&bytes, i + 2),
                Some(']' | 'P' | 'X' | '^' | '_') => find_string_end(&bytes, i + 2),
                Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => {
                    let mut j = i + 2;
                    while j < bytes.len() && ('\u{20}'..='\u{2f}').contains(&bytes[j].1) {
                        j += 1;
                    }
                    (j < bytes.len()).then_some(j + 1)
                }
                Some(_) => Some(i + 2),
            },
            '\u{9b}' => find_csi_end(&bytes, i + 1),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => find_string_end(&bytes, i + 1),
            _ => Some(i + 1),
        };
        match end {
            Some(e) => i = e,
            None => {
                safe = pos;
                break;
            }
        }
    }
    safe
}

fn find_csi_end(chars: &[(usize, char)], mut j: usize) -> Option<usize> {
    while j < chars.len() {
        let c = chars[j].1;
        if !('\u{20}'..='\u{3f}').contains(&c) {
            return Some(j + 1);
        }
        j += 1;
    }
    None
}

fn find_string_end(chars: &[(usize, char)], mut j: usize) -> Option<usize> {
    while j < chars.len() {
        match chars[j].1 {
            '\u{7}' | '\u{9c}' => return Some(j + 1),
            // ESC ends the string, and takes a `\` after it along (ST), as `skip_string` does: only that.
            '\u{1b}' => return chars.get(j + 1).map(|(_, c)| if *c == '\\' { j + 2 } else { j + 1 }),
            _ => j += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_csi_osc_and_controls() {
        assert_eq!(sanitize_for_terminal("web\u{1b}[31m-api\u{1b}[0m"), "web-api");
        assert_eq!(sanitize_for_terminal("a\u{1b}]0;pwned title\u{7}b"), "ab");
        assert_eq!(sanitize_for_terminal("a\u{1b}]52;c;Y3VybCBldmlsfHNo\u{1b}\\b"), "ab");
        assert_eq!(sanitize_for_terminal("line1\r\nline2\u{8}\u{7}\tend"), "line1\nline2\tend");
        assert_eq!(sanitize_for_terminal("x\u{9b}2Jy"), "xy");
        assert_eq!(sanitize_for_terminal("safe\u{202e}txt.exe"), "safetxt.exe");
        assert_eq!(sanitize_for_terminal("ünïcødé ✓ 日本"), "ünïcødé ✓ 日本");
        assert_eq!(sanitize_for_terminal("cut\u{1b}[3"), "cut");
        assert_eq!(sanitize_for_terminal("cut\u{1b}"), "cut");
        assert_eq!(sanitize_for_terminal("\u{1b}(Bok\u{1b}7"), "ok");
    }

    #[test]
    fn ansi_in_object_name_and_model_answer() {
        let name = "evil\u{1b}[2J\u{1b}[Hpod";
        assert_eq!(sanitize_for_terminal(name), "evilpod");
        let answer = "The cause is \u{1b}]8;;http://x\u{1b}\\a link\u{1b}]8;;\u{1b}\\ and \u{1b}[1mbold\u{1b}[22m.\n";
        assert_eq!(sanitize_for_terminal(answer), "The cause is a link and bold.\n");
    }

    #[test]
    fn complete_prefix_holds_back_partial_sequences() {
        assert_eq!(complete_prefix_len("abc"), 3);
        assert_eq!(complete_prefix_len("abc\u{1b}"), 3);
        assert_eq!(complete_prefix_len("abc\u{1b}[3"), 3);
        assert_eq!(complete_prefix_len("abc\u{1b}[31m"), 8);
        assert_eq!(complete_prefix_len("ab\u{1b}]0;title"), 2);
        assert_eq!(complete_prefix_len("ab\u{1b}]0;t\u{1b}"), 2);
        assert_eq!(complete_prefix_len("ab\u{1b}]0;t\u{1b}\\c"), "ab\u{1b}]0;t\u{1b}\\c".len());
    }
}

#[cfg(test)]
mod lead_tests {
    use super::sanitize_for_terminal as for_terminal;

    #[test]
    fn strips_csi_osc_and_controls() {
        assert_eq!(for_terminal("web\u{1b}[2J\u{1b}[31m-api\u{1b}[0m"), "web-api");
        assert_eq!(for_terminal("a\u{1b}]0;pwned\u{7}b"), "ab");
        assert_eq!(for_terminal("a\u{1b}]8;;http://x\u{1b}\\b"), "ab");
        assert_eq!(for_terminal("bell\u{7}\r\nnext\tcol"), "bell\nnext\tcol");
    }

    #[test]
    fn keeps_plain_unicode() {
        assert_eq!(for_terminal("naïve — ✓ 日本"), "naïve — ✓ 日本");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::{complete_prefix_len, sanitize_for_terminal};

    /// What a terminal could act on: ESC, C0 controls other than `\n` and `\t`, DEL, C1 controls, bidi controls.
    fn is_unsafe(c: char) -> bool {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
    }

    /// Text dense in escape introducers, sequence bytes and controls, with some ordinary text between them.
    fn hostile() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("\u{1b}".to_string()),
            Just("\u{1b}[".to_string()),
            Just("\u{1b}]".to_string()),
            Just("\u{1b}P".to_string()),
            Just("\u{1b}\\".to_string()),
            Just("\u{9b}".to_string()),
            Just("\u{9d}".to_string()),
            Just("\u{9c}".to_string()),
            Just("\u{7}".to_string()),
            "[\u{0}-\u{3f}]{1,3}",
            "[\u{80}-\u{9f}\u{202a}-\u{202e}\u{2066}-\u{2069}]",
            any::<char>().prop_map(String::from),
            "[a-z ;0-9]{0,4}",
        ];
        prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
    }

    /// Found by `streaming_in_two_parts_matches_all_at_once`: an ESC that ends a string without `\\` took the
    /// next character along when streaming, here the ESC of a colour sequence, whose rest was then shown.
    #[test]
    fn a_string_ended_by_a_bare_esc_streams_like_the_whole() {
        let (arrived, later) = ("\u{1b}]0;title\u{1b}\u{1b}[3", "1mred");
        assert_eq!(sanitize_for_terminal(&format!("{arrived}{later}")), "red");
        let cut = complete_prefix_len(arrived);
        assert_eq!(cut, "\u{1b}]0;title\u{1b}".len());
        let shown =
            sanitize_for_terminal(&arrived[..cut]) + &sanitize_for_terminal(&format!("{}{later}", &arrived[cut..]));
        assert_eq!(shown, "red");
    }

    proptest! {
        // Failures are kept as plain tests above, with the input inline, rather than in a regressions file.
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(2048) })]

        #[test]
        fn nothing_a_terminal_interprets_survives(text in prop_oneof![hostile(), any::<String>()]) {
            let clean = sanitize_for_terminal(&text);
            prop_assert!(!clean.chars().any(is_unsafe), "{text:?} -> {clean:?}");
            // Sanitizing is idempotent: what survives is plain text.
            prop_assert_eq!(sanitize_for_terminal(&clean), clean.clone());
        }

        #[test]
        fn plain_text_is_kept_as_is(text in any::<String>().prop_map(|s| s.replace(is_unsafe, ""))) {
            prop_assert_eq!(sanitize_for_terminal(&text), text);
        }

        /// The streaming cut is on a character boundary, and what is held back starts with an introducer.
        #[test]
        fn complete_prefix_is_a_boundary(text in hostile()) {
            let cut = complete_prefix_len(&text);
            prop_assert!(text.is_char_boundary(cut), "{text:?} cut at {cut}");
            if let Some(first) = text[cut..].chars().next() {
                prop_assert!(matches!(first, '\u{1b}' | '\u{9b}' | '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}'),
                    "{text:?} holds back {:?}", &text[cut..]);
            }
        }

        /// Streaming: showing the complete prefix of what has arrived and sanitizing the held-back rest together
        /// with what arrives next gives the same text as sanitizing everything at once, wherever the cut falls.
        #[test]
        fn streaming_in_two_parts_matches_all_at_once(text in hostile(), at in any::<prop::sample::Index>()) {
            let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
            let split = boundaries[at.index(boundaries.len())];
            let (arrived, later) = text.split_at(split);
            let cut = complete_prefix_len(arrived);
            let shown = sanitize_for_terminal(&arrived[..cut]) + &sanitize_for_terminal(&(arrived[cut..].to_string() + later));
            prop_assert_eq!(shown, sanitize_for_terminal(&text), "split at {}, cut at {}", split, cut);
        }
    }
}
