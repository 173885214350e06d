//! Cluster strings and model output can carry terminal control sequences (an object name with an ANSI escape
//! can rewrite the screen); everything shown on a terminal passes through here.

/// Removes ANSI CSI/OSC sequences and every control character except newline and tab.
pub fn for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.peek() {
                Some('[') => {
                    chars.next();
                    // CSI: parameters and intermediates, then one final byte in @..~.
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    chars.next();
                    // OSC: ends at BEL or ESC \.
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                _ => {
                    chars.next();
                }
            },
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::for_terminal;

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
