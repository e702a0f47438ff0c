//! The `authorize` hook: a credentials provider's check, done by the app.

use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value};
use tessera::User;
use tessera::providers::{Authorize, AuthorizeError, Credentials};

use super::Inner;

/// Fields next-auth's clients add to the sign-in POST themselves; not sent to the hook.
const CLIENT_FIELDS: [&str; 5] = ["csrfToken", "callbackUrl", "json", "redirect", "redirectTo"];

/// The longest `error` code an `authorize` answer may carry.
const MAX_CODE_CHARS: usize = 64;

/// A credentials provider's [`Authorize`] that asks the `authorize` hook (see the
/// [module docs](super) for the JSON). From [`Hooks::authorizer`](super::Hooks::authorizer).
#[derive(Clone)]
pub struct HookAuthorize {
    inner: Arc<Inner>,
    provider: String,
}

impl fmt::Debug for HookAuthorize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookAuthorize")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

impl HookAuthorize {
    pub(super) fn new(inner: Arc<Inner>, provider: String) -> Self {
        HookAuthorize { inner, provider }
    }
}

/// What an `authorize` answer says.
enum Answer {
    User(User),
    WrongCredentials,
    Refused(String),
}

#[tessera::async_trait]
impl Authorize for HookAuthorize {
    async fn authorize(&self, credentials: Credentials) -> Result<Option<User>, AuthorizeError> {
        let Some(endpoint) = &self.inner.authorize else {
            // `Hooks::authorizer` hands these out only with an `authorize` hook.
            return Ok(None);
        };
        let mut form = credentials.0;
        form.retain(|key, _| !CLIENT_FIELDS.contains(&key.as_str()));
        let mut body = Map::new();
        body.insert("provider".into(), self.provider.clone().into());
        body.insert("credentials".into(), Value::Object(form));
        match endpoint.call(&self.inner.client, body, parse).await {
            Some(Answer::User(user)) => Ok(Some(user)),
            Some(Answer::Refused(code)) => Err(AuthorizeError(code)),
            // A failed hook is logged by `call`: wrong credentials.
            Some(Answer::WrongCredentials) | None => Ok(None),
        }
    }
}

/// `{"user": {…}}`, `{"user": null}` or `{"error": "Code"}`.
fn parse(mut answer: Map<String, Value>) -> Result<Answer, &'static str> {
    match (answer.remove("user"), answer.remove("error")) {
        (Some(Value::Null), None) => Ok(Answer::WrongCredentials),
        (Some(Value::Object(mut user)), None) => {
            match user.get("id") {
                Some(Value::String(id)) if !id.is_empty() => {}
                Some(Value::Number(n)) if n.is_u64() || n.is_i64() => {
                    let id = n.to_string();
                    user.insert("id".into(), id.into());
                }
                _ => return Err("`user.id` must be a non-empty string or an integer"),
            }
            serde_json::from_value(Value::Object(user))
                .map(Answer::User)
                .map_err(|_| "`user.name`, `user.email` and `user.image` must be strings or null")
        }
        (None, Some(Value::String(code)))
            if (1..=MAX_CODE_CHARS).contains(&code.len())
                && code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
        {
            Ok(Answer::Refused(code))
        }
        (None, Some(_)) => Err("`error` must be 1 to 64 ASCII letters, digits, `_` or `-`"),
        _ => Err(r#"expected {"user": {…}}, {"user": null} or {"error": "Code"}"#),
    }
}
