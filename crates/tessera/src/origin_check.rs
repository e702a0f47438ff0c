//! Same-origin writes (security invariant 12): a state-changing POST must come from the
//! site's own pages, checked with Fetch Metadata and `Origin` beside the double-submit CSRF
//! cookie. A planted CSRF pair (a sibling subdomain or a network attacker can plant one on
//! http, or whenever the cookie is not `__Host-`) then no longer lets another site sign a
//! visitor in or out.
//!
//! A POST is refused with `403` when `Sec-Fetch-Site` is `cross-site`, or when `Origin` is
//! present and is not the canonical origin (in trust-host mode: the request's own origin,
//! which must be an allowed host when a list is set). Requests with neither header (curl,
//! server-side code, old browsers) still need the CSRF token. Guarded: `POST /signin/:id`,
//! `POST /callback/:id` (credentials, email), `POST /signout`, `POST /session`,
//! `POST /sessions/*`, `POST /signup/:id`, `POST /password/*`.
//!
//! Not guarded: the OAuth callback, which identity providers POST from their own origin
//! (`response_mode=form_post`, e.g. Apple) and which is bound to the browser by the state,
//! PKCE and nonce checks instead; and `POST /_log`, which only writes a debug log line.

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use tessera_protocol::Action;

use crate::config::Config;
use crate::pages;
use crate::request::AuthRequest;
use crate::response::AuthResponse;
use crate::url::BaseUrl;

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CrossSite {
    /// `Sec-Fetch-Site: cross-site`.
    FetchSite,
    /// An `Origin` other than the site's.
    ForeignOrigin,
}

/// Whether a request changes state and must come from the site's own pages.
pub(crate) fn is_guarded(method: &Method, action: Action, oauth_callback: bool) -> bool {
    *method == Method::POST
        && match action {
            Action::SignIn
            | Action::SignOut
            | Action::Session
            | Action::Sessions
            | Action::SignUp
            | Action::Password
            | Action::TwoFactor => true,
            Action::Callback => !oauth_callback,
            _ => false,
        }
}

/// Checks the Fetch Metadata and `Origin` of a guarded request against `origin`
/// (`scheme://host[:port]`, as the URL parser serialises it, as browsers send it).
pub(crate) fn check(headers: &HeaderMap, origin: &str) -> Result<(), CrossSite> {
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"))
    {
        return Err(CrossSite::FetchSite);
    }
    match headers.get(http::header::ORIGIN) {
        // `Origin: null` (sandboxed frames, cross-origin redirect chains) is not the site.
        Some(o) if !o.as_bytes().eq_ignore_ascii_case(origin.as_bytes()) => Err(CrossSite::ForeignOrigin),
        _ => Ok(()),
    }
}

/// The `403`: JSON `{"message"}` for API calls (a `json=true` body, as `next-auth/react`
/// sends, a JSON body, or `Accept: application/json`), else a page.
pub(crate) fn refusal(req: &AuthRequest, url: &BaseUrl, config: &Config, why: CrossSite) -> http::Response<Bytes> {
    const MESSAGE: &str = "Cross-site request refused: this action only accepts requests from the site's own pages.";
    tracing::info!(action = ?req.action, reason = ?why, "cross-site POST refused");
    let header_has = |name: http::HeaderName, what: &str| {
        req.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains(what))
    };
    let api = req.body_str("json") == Some("true")
        || header_has(http::header::ACCEPT, "application/json")
        || header_has(http::header::CONTENT_TYPE, "application/json");
    let res = if api {
        AuthResponse::json_value(&serde_json::json!({ "message": MESSAGE })).status(StatusCode::FORBIDDEN)
    } else {
        let html = pages::render_message(&config.theme, url, "Request refused", MESSAGE);
        AuthResponse::html(StatusCode::FORBIDDEN, html)
    };
    res.without_preamble().finish(Vec::new(), false, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "https://app.example.com";

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, http::HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn l6_fetch_metadata_and_origin() {
        let ok = [
            &[][..],
            &[("sec-fetch-site", "same-origin"), ("origin", ORIGIN)],
            &[("origin", "HTTPS://APP.example.com")],
            &[("sec-fetch-site", "none")],
        ];
        for h in ok {
            assert_eq!(check(&headers(h), ORIGIN), Ok(()), "{h:?}");
        }
        let refused = [
            (&[("sec-fetch-site", "cross-site")][..], CrossSite::FetchSite),
            (
                &[("sec-fetch-site", "Cross-Site"), ("origin", ORIGIN)],
                CrossSite::FetchSite,
            ),
            (&[("origin", "https://evil.example")], CrossSite::ForeignOrigin),
            (&[("origin", "null")], CrossSite::ForeignOrigin),
            (
                &[("origin", "https://app.example.com.evil.example")],
                CrossSite::ForeignOrigin,
            ),
            (&[("origin", "http://app.example.com")], CrossSite::ForeignOrigin),
            // A sibling subdomain is same-site, but not the site's origin.
            (
                &[("sec-fetch-site", "same-site"), ("origin", "https://evil.example.com")],
                CrossSite::ForeignOrigin,
            ),
        ];
        for (h, why) in refused {
            assert_eq!(check(&headers(h), ORIGIN), Err(why), "{h:?}");
        }
    }

    #[test]
    fn l6_only_state_changing_posts_are_guarded() {
        for a in [
            Action::SignIn,
            Action::SignOut,
            Action::Session,
            Action::Sessions,
            Action::Callback,
        ] {
            assert!(is_guarded(&Method::POST, a, false), "{a:?}");
            assert!(!is_guarded(&Method::GET, a, false), "{a:?}");
        }
        assert!(!is_guarded(&Method::POST, Action::Callback, true));
        assert!(!is_guarded(&Method::POST, Action::Log, false));
    }
}
