//! One configured hook: its URL, checked once, and the call that logs its failures.

use std::fmt;

use serde_json::{Map, Value};

use super::HookConfigError;
use super::client::{HookClient, HookFailure};

/// A hook's URL and the names it is logged by. `Debug` shows the URL without its query.
pub(super) struct Endpoint {
    /// `authorize`, `sign_in`, `jwt` or `session`.
    hook: &'static str,
    /// The URL requests go to.
    url: String,
    /// The URL as logged: without its query (which may carry a key).
    shown: String,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("hook", &self.hook)
            .field("url", &self.shown)
            .finish()
    }
}

impl Endpoint {
    /// Checks `url`: absolute http or https, with a host, without user info or fragment.
    pub(super) fn new(hook: &'static str, url: &str) -> Result<Self, HookConfigError> {
        let invalid = |reason| HookConfigError::InvalidUrl { hook, reason };
        let parsed = reqwest::Url::parse(url).map_err(|_| invalid("is not an absolute URL"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid("must be http or https"));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(invalid("has no host"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(invalid(
                "must not hold a user name or password (the signature authenticates Tessera)",
            ));
        }
        if parsed.fragment().is_some() {
            return Err(invalid("must not have a fragment"));
        }
        let mut shown = parsed.clone();
        shown.set_query(None);
        Ok(Endpoint {
            hook,
            url: parsed.into(),
            shown: shown.into(),
        })
    }

    /// Calls the hook with `body` (to which `"hook": <name>` is added first) and reads the
    /// answer with `parse`. `None` when anything failed; the cause is logged at `warn`.
    pub(super) async fn call<T>(
        &self,
        client: &HookClient,
        fields: Map<String, Value>,
        parse: impl FnOnce(Map<String, Value>) -> Result<T, &'static str>,
    ) -> Option<T> {
        let mut body = Map::with_capacity(fields.len() + 1);
        body.insert("hook".into(), self.hook.into());
        body.extend(fields);
        let result = match client.call(&self.url, &Value::Object(body)).await {
            Ok(answer) => parse(answer).map_err(HookFailure::Shape),
            Err(e) => Err(e),
        };
        match result {
            Ok(value) => Some(value),
            Err(reason) => {
                tracing::warn!(hook = self.hook, url = %self.shown, %reason, "hook failed; refusing");
                None
            }
        }
    }
}
