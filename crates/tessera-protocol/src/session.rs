use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The JSON body of `GET /session` when signed in.
///
/// `user` and `expires` are the fields NextAuth's default session has; anything a
/// `session` callback adds lands in `extra` and is serialised after them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Session {
    /// The signed-in user, as exposed to the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<SessionUser>,
    /// Expiry as ISO-8601 with milliseconds, e.g. `2026-12-22T11:24:55.705Z`.
    #[serde(default)]
    pub expires: String,
    /// Fields added by a `session` callback.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `session.user`: `name`, `email` and `image` (each `null` when unknown), plus extra fields.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SessionUser {
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Avatar URL.
    #[serde(default)]
    pub image: Option<String>,
    /// Fields added by a `session` callback (for example `id`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_session_parses() {
        let s: Session = serde_json::from_str(r#"{"user":{"email":"a@b.c"},"expires":"x"}"#).unwrap();
        let user = s.user.unwrap();
        assert_eq!(user.email.as_deref(), Some("a@b.c"));
        assert_eq!(user.name, None);
    }

    #[test]
    fn extra_fields_survive() {
        let json = r#"{"user":{"name":"A","email":null,"image":null,"id":"7"},"expires":"x","role":"admin"}"#;
        let s: Session = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), json);
    }
}
