//! The one place where redirect targets are judged (security invariant 1): parsed with a
//! real URL parser and compared by origin, never by string prefix.

use url::Url;

/// The default `redirect` callback (spec §6.2): a path is resolved against `base_url`
/// (the origin), an absolute URL on the same origin is kept, anything else falls back
/// to the origin.
///
/// ```
/// use tessera::redirect::resolve;
/// let base = "http://localhost:3000";
/// assert_eq!(resolve("/dash", base), "http://localhost:3000/dash");
/// assert_eq!(resolve("http://localhost:3000/x?y=1", base), "http://localhost:3000/x?y=1");
/// assert_eq!(resolve("https://localhost:3000.evil.com/", base), base);
/// assert_eq!(resolve("//evil.com", base), "http://localhost:3000//evil.com");
/// assert_eq!(resolve("javascript:alert(1)", base), base);
/// ```
pub fn resolve(url: &str, base_url: &str) -> String {
    // The steady state (the callback-url cookie holds the origin): every branch below
    // returns `url` unchanged for it, so skip the two parses.
    if url == base_url && !url.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return url.to_owned();
    }
    let Ok(base) = Url::parse(base_url) else {
        return base_url.to_owned();
    };
    let origin = base.origin();
    let candidate = if url.starts_with('/') {
        // Join textually (as NextAuth does) and re-parse, so `//host` and `/\host`
        // stay paths on our origin instead of becoming scheme-relative URLs.
        Url::parse(&format!("{}{url}", base_url.trim_end_matches('/')))
    } else {
        Url::parse(url)
    };
    match candidate {
        Ok(parsed) if parsed.origin() == origin && matches!(parsed.scheme(), "http" | "https") => {
            if url.starts_with('/') || url.bytes().any(|b| b.is_ascii_control() || b == b' ') {
                parsed.into()
            } else {
                url.to_owned()
            }
        }
        _ => base_url.to_owned(),
    }
}

/// The config assertion on a query or cookie `callbackUrl` (spec §1.5): a path, or an
/// absolute http(s) URL.
pub fn is_valid_callback_url(url: &str) -> bool {
    if url.starts_with('/') {
        return Url::parse("http://localhost").and_then(|b| b.join(url)).is_ok();
    }
    Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// Appends `key=value` (value URI-component encoded) with `?` or `&` as needed.
pub(crate) fn with_param(url: &str, key: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{key}={}", encode_component(value))
}

/// `encodeURIComponent`.
pub(crate) fn encode_component(value: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const SET: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'!')
        .remove(b'~')
        .remove(b'*')
        .remove(b'\'')
        .remove(b'(')
        .remove(b')');
    utf8_percent_encode(value, SET).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://app.example.com";

    #[test]
    fn security_regressions_never_leave_the_origin() {
        let cases = [
            "https://app.example.com.evil.com",
            "http://app.example.com.evil.com/x",
            "//evil.com",
            "/\\evil.com",
            "\\\\evil.com",
            "https://app@evil.com",
            "http://app.example.com@evil.com/",
            "http:evil.com",
            "http:/evil.com",
            "/\t/evil.com",
            "/\n/evil.com",
            "h\ttp://evil.com",
            "%2F%2Fevil.com",
            "/%2F%2Fevil.com",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,hi",
            "http://[",
            "foo",
            "",
            "https://app.example.com/", // other scheme: other origin
        ];
        for c in cases {
            let out = resolve(c, BASE);
            let parsed = Url::parse(&out).unwrap_or_else(|_| panic!("{c:?} gave unparsable {out:?}"));
            assert_eq!(parsed.origin().ascii_serialization(), BASE, "{c:?} -> {out:?}");
            assert!(!out.contains('\n') && !out.contains('\t'), "{c:?}");
        }
    }

    #[test]
    fn same_origin_is_kept() {
        assert_eq!(
            resolve("http://app.example.com/a?b=c#d", BASE),
            "http://app.example.com/a?b=c#d"
        );
        assert_eq!(resolve("/a?b=c", BASE), "http://app.example.com/a?b=c");
        assert_eq!(resolve(BASE, BASE), BASE);
        // The fast path agrees with the parsing path on inputs equal to the base.
        for u in [
            BASE,
            "http://app.example.com/",
            "/x",
            "foo",
            "ftp://a.b",
            "http://a\tb.c",
            "http://a b.c",
        ] {
            assert_eq!(resolve(u, u), slow_resolve(u, u), "{u:?}");
        }
    }

    /// `resolve` without its fast path.
    fn slow_resolve(url: &str, base_url: &str) -> String {
        let Ok(base) = Url::parse(base_url) else {
            return base_url.to_owned();
        };
        let candidate = if url.starts_with('/') {
            Url::parse(&format!("{}{url}", base_url.trim_end_matches('/')))
        } else {
            Url::parse(url)
        };
        match candidate {
            Ok(parsed) if parsed.origin() == base.origin() && matches!(parsed.scheme(), "http" | "https") => {
                if url.starts_with('/') || url.bytes().any(|b| b.is_ascii_control() || b == b' ') {
                    parsed.into()
                } else {
                    url.to_owned()
                }
            }
            _ => base_url.to_owned(),
        }
    }

    #[test]
    fn callback_param_validation() {
        assert!(is_valid_callback_url("/dash"));
        assert!(is_valid_callback_url("https://x.y/z"));
        assert!(!is_valid_callback_url("javascript:alert(1)"));
        assert!(!is_valid_callback_url("http://["));
        assert!(!is_valid_callback_url("foo"));
    }

    #[test]
    fn params() {
        assert_eq!(
            with_param("/p", "callbackUrl", "http://a/b c"),
            "/p?callbackUrl=http%3A%2F%2Fa%2Fb%20c"
        );
        assert_eq!(with_param("/p?x=1", "e", "A"), "/p?x=1&e=A");
    }
}
