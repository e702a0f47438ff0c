//! `POST /_log` (spec §2.12): the client logger's beacon. Logged at debug level; always `200 {}`.

use crate::log_value::Untrusted;
use crate::response::AuthResponse;

/// `path`: the request's path, for the log line.
pub(crate) fn post(path: &str, body: &[u8]) -> AuthResponse {
    let fields: Vec<(String, String)> = form_urlencoded::parse(body)
        .take(32)
        .map(|(k, v)| (k.into_owned(), v.chars().take(512).collect()))
        .collect();
    let get = |k: &str| {
        let value = fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        // Anyone can post these: escaped and cut for the log line (security review L5).
        Untrusted(value)
    };
    tracing::debug!(
        target: "tessera::client",
        level = ?get("level"),
        code = ?get("code"),
        message = ?get("message"),
        path = ?Untrusted(path),
        "client log"
    );
    AuthResponse::json(&b"{}"[..])
}
