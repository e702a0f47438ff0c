//! Pieces shared by the fake identity providers of the OAuth tests.

use bytes::Bytes;
use tessera::oauth::{HttpRequest, HttpResponse};

/// One request the fake provider received.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub method: String,
    pub url: String,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Recorded {
    /// Records `req` (its body as UTF-8).
    pub(crate) fn of(req: HttpRequest) -> Recorded {
        let (parts, body) = req.into_parts();
        Recorded {
            method: parts.method.to_string(),
            url: parts.uri.to_string(),
            headers: parts.headers,
            body: String::from_utf8(body.to_vec()).expect("UTF-8 request body"),
        }
    }
}

/// A JSON answer.
pub(crate) fn json_response(status: u16, body: &serde_json::Value) -> HttpResponse {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_string()))
        .expect("valid response")
}
