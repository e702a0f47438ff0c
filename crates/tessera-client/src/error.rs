//! The client's error type.

/// Everything that can go wrong talking to a NextAuth-compatible server.
///
/// Where next-auth/react logs `CLIENT_FETCH_ERROR` and returns `null`, this crate returns
/// one of these, so a caller can tell "signed out" (`Ok(None)`) from "could not ask"
/// (`Err(..)`). The type is `Clone` so that one failed request can be handed to every
/// caller that shared it (see [`SessionStore`](crate::SessionStore)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A URL (the base URL, a callback URL, a URL in a server answer) could not be parsed.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The offending text.
        url: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The request did not get an HTTP answer: connection refused, DNS, TLS, timeout, reset.
    #[error("request to {url} failed: {message}")]
    Network {
        /// The URL requested.
        url: String,
        /// The transport's description, with its causes.
        message: String,
    },
    /// The server answered with a status that the call treats as a failure (non-2xx).
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL requested.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of the response body (at most 1 KiB), for diagnostics.
        body: String,
    },
    /// The server refused a password-account request ([`Client::sign_up`](crate::Client::sign_up),
    /// [`reset_password`](crate::Client::reset_password), …) or a two-factor set-up request
    /// ([`enable_two_factor`](crate::Client::enable_two_factor), …) and said why: the
    /// `error` code of its answer's URL (of its JSON for the set-up routes).
    #[error("{url} refused the request: {reason}")]
    Refused {
        /// The URL requested.
        url: String,
        /// The HTTP status (next-auth 4: 400, 401, 403 or 429; next-auth 5: 200, or 429).
        status: u16,
        /// Why.
        reason: crate::refusal::Refusal,
    },
    /// The answer was not the JSON the protocol requires.
    #[error("{url} did not answer the expected JSON: {message}")]
    Json {
        /// The URL requested.
        url: String,
        /// What was wrong.
        message: String,
    },
}

impl ClientError {
    /// Whether the request never got an HTTP answer (offline, server down).
    pub fn is_network(&self) -> bool {
        matches!(self, ClientError::Network { .. })
    }

    /// The HTTP status, when the server answered with a failing one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Why the server refused the request, when it did ([`ClientError::Refused`]).
    pub fn refusal(&self) -> Option<&crate::refusal::Refusal> {
        match self {
            ClientError::Refused { reason, .. } => Some(reason),
            _ => None,
        }
    }

    pub(crate) fn json(url: &str, message: impl std::fmt::Display) -> Self {
        ClientError::Json {
            url: url.to_owned(),
            message: message.to_string(),
        }
    }

    pub(crate) fn invalid_url(url: &str, reason: impl std::fmt::Display) -> Self {
        ClientError::InvalidUrl {
            url: url.to_owned(),
            reason: reason.to_string(),
        }
    }
}

/// The first `max` bytes of `body` (cut on a character boundary).
pub(crate) fn truncate_body(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    if text.len() <= max {
        return text.into_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate_body(b"abc", 10), "abc");
        assert_eq!(truncate_body("ééé".as_bytes(), 3), "é…");
    }

    #[test]
    fn helpers() {
        let e = ClientError::Status {
            url: "u".into(),
            status: 400,
            body: String::new(),
        };
        assert_eq!(e.status(), Some(400));
        assert!(!e.is_network());
        assert_eq!(e.to_string(), "u answered HTTP 400");
    }
}
