//! Shared by the binary's unit tests and the integration tests: Markdown with untrusted text in it must render
//! nothing live.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// Fails on any link, image, HTML or footnote reference in the rendered Markdown; GFM's bare-URL autolinks (not
/// implemented by the parser) are checked in the source outside code blocks.
pub fn assert_inert(markdown: &str) {
    let mut in_code = false;
    for (event, range) in Parser::new_ext(markdown, Options::all()).into_offset_iter() {
        match &event {
            Event::Start(Tag::Link { .. } | Tag::Image { .. } | Tag::HtmlBlock)
            | Event::Html(_)
            | Event::InlineHtml(_)
            | Event::FootnoteReference(_) => panic!("live markup {event:?} at {range:?} in:\n{markdown}"),
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Text(_) if !in_code => {
                // An escaped `:` or `@` splits the text where GFM looks for a bare URL or address.
                let source = &markdown[range.clone()];
                let live = |needle: &str| {
                    source.match_indices(needle).any(|(k, _)| {
                        let at = range.start + k;
                        needle == "www." || at == 0 || markdown.as_bytes()[at - 1] != b'\\'
                    })
                };
                for autolink in ["://", "www.", "@"] {
                    assert!(!live(autolink), "GFM would autolink {source:?} in:\n{markdown}");
                }
            }
            _ => {}
        }
    }
}
