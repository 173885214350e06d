//! Nothing leaves the host: the LLM URL must point at a loopback address unless the user allows a remote one,
//! and then names are anonymized whatever the other flags say.

use std::net::IpAddr;

use url::{Host, Url};

use super::client::LlmError;

/// A checked LLM URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LlmEndpoint {
    pub url: Url,
    /// Whether the host is loopback.
    pub loopback: bool,
    /// True when the URL is remote (allowed by `allow_remote`): the caller must turn anonymization on.
    pub force_anonymize: bool,
}

/// Accepts `http`/`https` URLs whose host is loopback (`127.0.0.0/8`, `::1`, `localhost`); any other host only
/// with `allow_remote`, and then `force_anonymize` is set. Like Ollama's own `OLLAMA_HOST`, a value without a
/// scheme (`127.0.0.1`, `localhost:11500`) means `http://` with port 11434 by default, and the unspecified
/// address (`0.0.0.0`, `::`), which reaches this host, is rewritten to loopback.
pub fn check_llm_url(raw: &str, allow_remote: bool) -> Result<LlmEndpoint, LlmError> {
    let trimmed = raw.trim();
    let mut url = if trimmed.contains("://") {
        Url::parse(trimmed)
    } else {
        Url::parse(&format!("http://{trimmed}")).map(|mut u| {
            if u.port().is_none() {
                let _ = u.set_port(Some(11434));
            }
            u
        })
    }
    .map_err(|e| LlmError::InvalidUrl { url: display_url(raw), reason: e.to_string() })?;
    match url.host() {
        Some(Host::Ipv4(ip)) if ip.is_unspecified() => {
            let _ = url.set_host(Some("127.0.0.1"));
        }
        Some(Host::Ipv6(ip)) if ip.is_unspecified() => {
            let _ = url.set_host(Some("[::1]"));
        }
        _ => {}
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Err(LlmError::InvalidUrl {
            url: display_url(raw),
            reason: format!("scheme '{}' is not http or https", url.scheme()),
        });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(LlmError::InvalidUrl {
            url: display_url(raw),
            reason: "a query or fragment is not allowed".into(),
        });
    }
    let loopback = match url.host() {
        None => return Err(LlmError::InvalidUrl { url: display_url(raw), reason: "no host".into() }),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost"
        }
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    };
    if !loopback && !allow_remote {
        return Err(LlmError::RemoteNotAllowed { host: url.host_str().unwrap_or_default().to_string() });
    }
    Ok(LlmEndpoint { url, loopback, force_anonymize: !loopback })
}

/// A URL as it may be shown: on stderr, in documents and reports, in `--help`. Credentials in it
/// (`http://user:pass@host`, kept for the requests themselves) become `***`. Works on the raw text, so that even
/// a value that does not parse is shown without them.
pub fn display_url(raw: &str) -> String {
    let start = raw.find("://").map_or(0, |i| i + 3);
    let authority_len = raw[start..].find(['/', '?', '#']).unwrap_or(raw.len() - start);
    match raw[start..start + authority_len].rfind('@') {
        Some(at) => format!("{}***{}", &raw[..start], &raw[start + at..]),
        None => raw.to_string(),
    }
}

/// Whether [`display_url`] hides something in `raw`.
pub fn has_credentials(raw: &str) -> bool {
    display_url(raw) != raw
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_only_unless_allowed() {
        for ok in [
            "http://127.0.0.1:11434",
            "http://127.5.6.7",
            "http://[::1]:11434/",
            "http://localhost:11434",
            "https://LOCALHOST./",
            "http://[::ffff:127.0.0.1]:1",
        ] {
            let e = check_llm_url(ok, false).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert!(e.loopback && !e.force_anonymize, "{ok}");
        }
        assert_eq!(check_llm_url("127.0.0.1", false).unwrap().url.as_str(), "http://127.0.0.1:11434/");
        assert_eq!(check_llm_url("0.0.0.0:11500", false).unwrap().url.as_str(), "http://127.0.0.1:11500/");
        assert_eq!(check_llm_url("http://[::]:1", false).unwrap().url.as_str(), "http://[::1]:1/");
        for remote in [
            "http://10.0.0.5:11434",
            "http://ollama.example.com",
            "ollama.example.com",
            "http://localhost.example.com",
            "http://[::2]",
            "http://127.0.0.1.nip.io",
        ] {
            let err = check_llm_url(remote, false).unwrap_err();
            assert!(matches!(err, LlmError::RemoteNotAllowed { .. }), "{remote}: {err}");
            assert!(err.to_string().contains("--allow-remote-llm"));
            let e = check_llm_url(remote, true).unwrap();
            assert!(!e.loopback && e.force_anonymize, "{remote}");
        }
        for bad in ["ftp://127.0.0.1", "http://127.0.0.1/?x=1", "not a url", "http://"] {
            assert!(matches!(check_llm_url(bad, true), Err(LlmError::InvalidUrl { .. })), "{bad}");
        }
    }

    #[test]
    fn credentials_are_masked_for_display() {
        assert_eq!(display_url("http://user:s3cret@127.0.0.1:11434"), "http://***@127.0.0.1:11434");
        assert_eq!(display_url("https://tok%40en@localhost/x@y"), "https://***@localhost/x@y");
        assert_eq!(display_url("user:s3cret@localhost:11500"), "***@localhost:11500");
        assert_eq!(display_url("http://a:b@c@[::1]:1/"), "http://***@[::1]:1/");
        assert_eq!(display_url("http://127.0.0.1:11434/api"), "http://127.0.0.1:11434/api");
        assert!(has_credentials("http://u@h") && !has_credentials("http://h/@"));
        for raw in ["http://user:s3cret@127.0.0.1:11434/?q=1", "ftp://user:s3cret@127.0.0.1", "http://user:s3cret@"] {
            let err = check_llm_url(raw, false).unwrap_err().to_string();
            assert!(!err.contains("s3cret"), "{err}");
        }
        let remote = check_llm_url("http://user:s3cret@10.0.0.5", false).unwrap_err().to_string();
        assert!(!remote.contains("s3cret") && !remote.contains("user"), "{remote}");
    }
}
