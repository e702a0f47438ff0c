//! [`AuthRequest`]: an `http::Request` parsed once into action, provider, query, body
//! and cookies (spec §1.2).

use http::{HeaderMap, Method, header::CONTENT_TYPE};
use serde_json::{Map, Value};
use tessera_protocol::Action;

use crate::cookies::RequestCookies;

/// Why a request could not be routed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RequestError {
    /// Unknown action, method, or a path outside the base path: spec's 400.
    #[error("Error: This action with HTTP {0} is not supported by NextAuth.js")]
    Unsupported(String),
    /// The body is declared JSON but does not parse as a JSON object.
    #[error("malformed JSON body: expected a JSON object")]
    MalformedJson,
}

/// A parsed request.
#[derive(Debug)]
pub(crate) struct AuthRequest {
    pub method: Method,
    pub action: Action,
    /// The second path segment (`signin/:provider`, `callback/:provider`, `error/:code`).
    pub provider_id: Option<String>,
    pub query: Vec<(String, String)>,
    /// Form or JSON body, as one object (form values are strings).
    pub body: Map<String, Value>,
    pub headers: HeaderMap,
    pub cookies: RequestCookies,
}

impl AuthRequest {
    /// Splits `path` (the full request path) under `base_path` into action and provider.
    pub(crate) fn route(
        method: &Method,
        path: &str,
        base_path: &str,
    ) -> Result<(Action, Option<String>), RequestError> {
        let unsupported = || RequestError::Unsupported(method.as_str().to_owned());
        if !matches!(*method, Method::GET | Method::POST) {
            return Err(unsupported());
        }
        let rest = path.strip_prefix(base_path).ok_or_else(unsupported)?;
        let rest = rest.strip_prefix('/').ok_or_else(unsupported)?;
        let mut segments = rest.split('/').filter(|s| !s.is_empty());
        let action = segments.next().and_then(Action::parse).ok_or_else(unsupported)?;
        let provider = segments
            .next()
            .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned());
        Ok((action, provider))
    }

    pub(crate) fn parse(
        parts: http::request::Parts,
        body: &[u8],
        action: Action,
        provider_id: Option<String>,
    ) -> Result<Self, RequestError> {
        let query = parts
            .uri
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let body = if parts.method == Method::POST {
            parse_body(&parts.headers, body)?
        } else {
            Map::new()
        };
        let cookies = RequestCookies::from_headers(&parts.headers);
        Ok(AuthRequest {
            method: parts.method,
            action,
            provider_id,
            query,
            body,
            headers: parts.headers,
            cookies,
        })
    }

    /// First query parameter called `key`.
    pub(crate) fn query(&self, key: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// A body field, when it is a string (a JSON `true` is not the string `"true"`).
    pub(crate) fn body_str(&self, key: &str) -> Option<&str> {
        self.body.get(key).and_then(Value::as_str)
    }
}

fn parse_body(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, RequestError> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default();
    match content_type.as_str() {
        "application/x-www-form-urlencoded" => {
            let mut map = Map::new();
            for (k, v) in form_urlencoded::parse(body) {
                if !map.contains_key(k.as_ref()) {
                    map.insert(k.into_owned(), Value::String(v.into_owned()));
                }
            }
            Ok(map)
        }
        "application/json" if body.iter().all(u8::is_ascii_whitespace) => Ok(Map::new()),
        "application/json" => serde_json::from_slice(body).map_err(|_| RequestError::MalformedJson),
        _ => Ok(Map::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing() {
        let r = |m: Method, p: &str| AuthRequest::route(&m, p, "/api/auth");
        assert_eq!(r(Method::GET, "/api/auth/session"), Ok((Action::Session, None)));
        assert_eq!(
            r(Method::POST, "/api/auth/callback/credentials"),
            Ok((Action::Callback, Some("credentials".into())))
        );
        assert_eq!(
            r(Method::GET, "/api/auth/signin/git%68ub"),
            Ok((Action::SignIn, Some("github".into())))
        );
        let unsupported = |method: &str| Err(RequestError::Unsupported(method.to_owned()));
        assert_eq!(r(Method::GET, "/api/auth/foo"), unsupported("GET"));
        assert_eq!(r(Method::GET, "/api/auth"), unsupported("GET"));
        assert_eq!(r(Method::GET, "/api/authx/session"), unsupported("GET"));
        assert_eq!(r(Method::PUT, "/api/auth/session"), unsupported("PUT"));
        assert_eq!(
            r(Method::GET, "/api/auth/foo").unwrap_err().to_string(),
            "Error: This action with HTTP GET is not supported by NextAuth.js"
        );
    }

    fn headers(ct: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, ct.parse().unwrap());
        h
    }

    #[test]
    fn bodies() {
        let form = parse_body(
            &headers("application/x-www-form-urlencoded;charset=UTF-8"),
            b"a=1&json=true&a=2",
        )
        .unwrap();
        assert_eq!(form["a"], "1");
        assert_eq!(form["json"], "true");
        let json = parse_body(
            &headers("application/json"),
            br#"{"csrfToken":"x","data":{"name":"n"},"json":true}"#,
        )
        .unwrap();
        assert_eq!(json["data"]["name"], "n");
        assert!(!json["json"].is_string());
        assert_eq!(
            parse_body(&headers("application/json"), b"{nope"),
            Err(RequestError::MalformedJson)
        );
        assert_eq!(
            parse_body(&headers("application/json"), b"[1]"),
            Err(RequestError::MalformedJson)
        );
        assert!(parse_body(&headers("application/json"), b"").unwrap().is_empty());
        assert!(parse_body(&headers("text/plain"), b"a=1").unwrap().is_empty());
        assert!(parse_body(&HeaderMap::new(), b"a=1").unwrap().is_empty());
    }

    #[test]
    fn deep_json_is_an_error_not_a_stack_overflow() {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(
            parse_body(&headers("application/json"), deep.as_bytes()),
            Err(RequestError::MalformedJson)
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn content_type() -> impl Strategy<Value = String> {
            prop::sample::select(vec![
                "application/json",
                "Application/JSON; charset=utf-8",
                "application/x-www-form-urlencoded",
                "application/x-www-form-urlencoded;charset=UTF-8",
                "text/plain",
                "multipart/form-data; boundary=x",
                "",
            ])
            .prop_map(str::to_owned)
        }

        /// Bodies as clients and attackers send them: JSON-ish and form-ish bytes.
        fn body() -> impl Strategy<Value = Vec<u8>> {
            let piece = prop::sample::select(vec![
                "{",
                "}",
                "[",
                "]",
                "\"",
                ":",
                ",",
                "a",
                "=",
                "&",
                "%",
                "%2",
                "%41",
                "%FF",
                "+",
                "1",
                "-1e999",
                "true",
                "null",
                "\\u0000",
                "\\ud800",
                " ",
                "\n",
                "\u{fffd}",
                "csrfToken",
                "json",
            ]);
            prop_oneof![
                prop::collection::vec(piece, 0..30).prop_map(|p| p.concat().into_bytes()),
                prop::collection::vec(any::<u8>(), 0..200),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            /// Never panics; the only error is the typed MalformedJson, for a JSON body.
            #[test]
            fn any_body_parses_or_is_malformed_json(ct in content_type(), body in body()) {
                let is_json = ct.to_ascii_lowercase().starts_with("application/json");
                match parse_body(&headers(&ct), &body) {
                    Ok(map) => {
                        if !is_json && !ct.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded") {
                            prop_assert!(map.is_empty());
                        }
                    }
                    Err(e) => {
                        prop_assert!(is_json);
                        prop_assert_eq!(e, RequestError::MalformedJson);
                    }
                }
            }

            /// A form keeps the first value of each field, as strings.
            #[test]
            fn a_form_keeps_the_first_value(
                pairs in prop::collection::vec(("[a-c]{1,2}", "[a-z0-9 &=%+]{0,6}"), 0..20),
            ) {
                let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish();
                let map = parse_body(&headers("application/x-www-form-urlencoded"), body.as_bytes()).unwrap();
                for (k, _) in &pairs {
                    let first = pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
                    prop_assert_eq!(map.get(k.as_str()).and_then(Value::as_str), first);
                }
            }

            /// Any path routes or is Unsupported; never panics.
            #[test]
            fn any_path_routes_or_is_unsupported(path in "(/api/auth)?(/[a-z%0-9.\\\\]{0,8}){0,4}") {
                match AuthRequest::route(&Method::GET, &path, "/api/auth") {
                    Ok(_) => prop_assert!(path.starts_with("/api/auth/")),
                    Err(e) => prop_assert_eq!(e, RequestError::Unsupported("GET".into())),
                }
            }
        }
    }
}
