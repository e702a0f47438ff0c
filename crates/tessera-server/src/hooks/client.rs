//! The HTTP side of the hooks: one reqwest client, signed `POST`s of JSON, answers read
//! with a time limit and a size cap. Every failure is a [`HookFailure`] the callers log
//! (with the hook's URL) and turn into a refusal.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use serde_json::{Map, Value};
use tessera::Secret;

use super::signature::{SIGNATURE_HEADER, sign};

/// The largest answer read from a hook; a longer one is a failure.
pub(super) const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Why a hook call produced no usable answer. Its `Display` names the cause only: never
/// the request or the answer body (credentials, tokens).
#[derive(Debug, thiserror::Error)]
pub(super) enum HookFailure {
    /// No answer within the timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The request could not be sent, or the answer not read.
    #[error("request failed: {0}")]
    Transport(String),
    /// The answer's status is not 2xx.
    #[error("answered HTTP {0}")]
    Status(u16),
    /// The answer is longer than [`MAX_ANSWER_BYTES`].
    #[error("answer longer than {MAX_ANSWER_BYTES} bytes")]
    TooLarge,
    /// The answer is not a JSON object.
    #[error("answer is not a JSON object")]
    NotJson,
    /// The answer is JSON of the wrong shape.
    #[error("unexpected answer: {0}")]
    Shape(&'static str),
}

/// The client that calls hooks.
#[derive(Debug)]
pub(super) struct HookClient {
    client: reqwest::Client,
    secret: Secret,
    timeout: Duration,
}

impl HookClient {
    /// Builds the reqwest client: rustls on ring (installed as the process default when
    /// none is), no redirects, no proxy from the environment. `timeout` bounds each whole
    /// call (connecting, sending, reading the answer).
    pub(super) fn new(secret: Secret, timeout: Duration) -> Result<Self, reqwest::Error> {
        // Fails only when a provider is installed already, which is what we need.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // HTTP(S)_PROXY would see passwords and tokens.
            .no_proxy()
            .user_agent(concat!("tessera-server/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(HookClient {
            client,
            secret,
            timeout,
        })
    }

    /// `POST`s `body` to `url`, signed, and returns the answer's JSON object.
    pub(super) async fn call(&self, url: &str, body: &Value) -> Result<Map<String, Value>, HookFailure> {
        let body = serde_json::to_vec(body).expect("a serde_json::Value always serialises");
        match tokio::time::timeout(self.timeout, self.exchange(url, body)).await {
            Ok(answer) => answer,
            Err(_) => Err(HookFailure::Timeout(self.timeout)),
        }
    }

    async fn exchange(&self, url: &str, body: Vec<u8>) -> Result<Map<String, Value>, HookFailure> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let signature = sign(&self.secret, now, &body);
        let mut response = self
            .client
            .post(url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            return Err(HookFailure::Status(status.as_u16()));
        }
        if response.content_length().is_some_and(|n| n > MAX_ANSWER_BYTES as u64) {
            return Err(HookFailure::TooLarge);
        }
        let mut answer = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if answer.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(HookFailure::TooLarge);
            }
            answer.extend_from_slice(&chunk);
        }
        match serde_json::from_slice(&answer) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(HookFailure::NotJson),
        }
    }
}

/// A reqwest error as a [`HookFailure`]: its kind and causes, without the URL (which the
/// caller logs in a form without its query).
fn transport(e: reqwest::Error) -> HookFailure {
    let e = e.without_url();
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    HookFailure::Transport(message)
}
