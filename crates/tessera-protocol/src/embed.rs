//! The session embedded in a server-rendered page, so that the client starts with it
//! (no "loading" or "signed out" flash, no first `GET /session`).
//!
//! The server writes [`session_script`] into the page's HTML; in the browser,
//! `tessera-leptos`'s `<SessionProvider>` (without a `session` prop) reads the element
//! with id [`SESSION_SCRIPT_ID`] and parses it with [`parse_embedded`]. `null` means
//! "known signed out".
//!
//! ```
//! use tessera_protocol::embed::{parse_embedded, session_script};
//! use tessera_protocol::{Session, SessionUser};
//!
//! let session = Session {
//!     user: Some(SessionUser { name: Some("</script><b>Eve".into()), ..Default::default() }),
//!     expires: "2026-12-22T11:24:55.705Z".into(),
//!     ..Default::default()
//! };
//! let html = session_script(Some(&session));
//! assert!(html.starts_with(r#"<script id="tessera-session" type="application/json">"#));
//! // The user's data cannot close the element or open markup.
//! assert_eq!(html.matches("</script>").count(), 1);
//! assert!(!html.contains("<b>"));
//!
//! let json = html.trim_start_matches(|c| c != '>').trim_start_matches('>').trim_end_matches("</script>");
//! assert_eq!(parse_embedded(json).unwrap(), Some(session));
//! assert_eq!(parse_embedded("null").unwrap(), None);
//! ```

use crate::Session;

/// The `id` of the `<script type="application/json">` element holding the session.
pub const SESSION_SCRIPT_ID: &str = "tessera-session";

/// `<script id="tessera-session" type="application/json">…</script>` for `session`
/// (`None`: signed out). The JSON is escaped for an HTML script element: `<`, `>`, `&`,
/// U+2028 and U+2029 are written as `\uXXXX`, so no value can end the element early.
pub fn session_script(session: Option<&Session>) -> String {
    let json = serde_json::to_string(&session).unwrap_or_else(|_| "null".to_owned());
    let mut out = String::with_capacity(json.len() + 64);
    out.push_str(r#"<script id=""#);
    out.push_str(SESSION_SCRIPT_ID);
    out.push_str(r#"" type="application/json">"#);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push_str("</script>");
    out
}

/// Parses the text of the embedded element: `null` (signed out) or a session.
pub fn parse_embedded(text: &str) -> Result<Option<Session>, serde_json::Error> {
    // `from_slice`, not `from_str`: the same result, and in a wasm client the same parser
    // instance as every other JSON it reads (one copy of serde_json's parser, not two).
    serde_json::from_slice(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SessionUser;

    #[test]
    fn signed_out_is_null() {
        assert_eq!(
            session_script(None),
            r#"<script id="tessera-session" type="application/json">null</script>"#
        );
    }

    #[test]
    fn every_dangerous_character_is_escaped_and_round_trips() {
        let name = "a</script><!-- & \u{2028}\u{2029} >";
        let session = Session {
            user: Some(SessionUser {
                name: Some(name.into()),
                ..Default::default()
            }),
            expires: "2026-12-22T11:24:55.705Z".into(),
            ..Default::default()
        };
        let html = session_script(Some(&session));
        let body = &html[html.find('>').unwrap() + 1..html.len() - "</script>".len()];
        for bad in ['<', '>', '&', '\u{2028}', '\u{2029}'] {
            assert!(!body.contains(bad), "{bad:?} in {body}");
        }
        let back = parse_embedded(body).unwrap().unwrap();
        assert_eq!(back.user.unwrap().name.as_deref(), Some(name));
    }

    #[test]
    fn garbage_is_an_error() {
        // Both end before the JSON does: a parse error at the end of the input.
        assert!(parse_embedded("{\"user\":").is_err_and(|e| e.is_eof()));
        assert!(parse_embedded("").is_err_and(|e| e.is_eof()));
    }
}
