//! Sessions: the JWT claim set ([`Token`]), the JWE codec, and the ISO timestamps the
//! session JSON uses.

pub(crate) mod database;
pub mod jwt;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The claims of a session JWT, in insertion order (`name`, `email`, `picture`, `sub`,
/// whatever the `jwt` callback adds, then `iat`, `exp`, `jti`).
///
/// ```
/// let mut t = tessera::Token::default();
/// t.set("role", "admin");
/// assert_eq!(t.get_str("role"), Some("admin"));
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Token(Map<String, Value>);

impl Token {
    /// A token from raw claims.
    pub fn from_claims(claims: Map<String, Value>) -> Self {
        Token(claims)
    }

    /// The default claims NextAuth writes at sign-in.
    pub fn for_user(user: &crate::User) -> Self {
        let mut m = Map::new();
        m.insert("name".into(), user.name.clone().into());
        m.insert("email".into(), user.email.clone().into());
        m.insert("picture".into(), user.image.clone().into());
        m.insert("sub".into(), user.id.clone().into());
        Token(m)
    }

    /// A claim.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// A claim, when it is a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }

    /// Sets a claim (keeping its position when it exists).
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<Value>) {
        self.0.insert(key.into(), value.into());
    }

    /// Removes a claim.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.0.shift_remove(key)
    }

    /// `sub`: the user id.
    pub fn sub(&self) -> Option<&str> {
        self.get_str("sub")
    }

    /// All claims.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.0
    }

    /// All claims, mutably.
    pub fn claims_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.0
    }

    /// Takes the claims.
    pub fn into_claims(self) -> Map<String, Value> {
        self.0
    }

    /// The default session built from this token: `user{name,email,image}` and `expires`.
    pub(crate) fn default_session(&self, expires: SystemTime) -> tessera_protocol::Session {
        let s = |k: &str| self.get_str(k).map(str::to_owned);
        tessera_protocol::Session {
            user: Some(tessera_protocol::SessionUser {
                name: s("name"),
                email: s("email"),
                image: s("picture"),
                extra: Map::new(),
            }),
            expires: iso8601(expires),
            extra: Map::new(),
        }
    }
}

/// Unix seconds of `t`.
pub(crate) fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// `t + secs`.
pub(crate) fn after(t: SystemTime, secs: i64) -> SystemTime {
    t + Duration::from_secs(secs.max(0) as u64)
}

/// `Date.toISOString()`: `2026-12-22T11:24:55.705Z`.
pub fn iso8601(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let dt = time::OffsetDateTime::UNIX_EPOCH + d;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_has_milliseconds() {
        let t = UNIX_EPOCH + Duration::from_millis(1_797_938_695_705);
        assert_eq!(iso8601(t), "2026-12-22T11:24:55.705Z");
    }

    #[test]
    fn default_session_keeps_nulls() {
        let t = Token::for_user(&crate::User::new("1").name("Alice").email("alice@example.com"));
        let s = t.default_session(UNIX_EPOCH + Duration::from_millis(1_797_938_695_705));
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"user":{"name":"Alice","email":"alice@example.com","image":null},"expires":"2026-12-22T11:24:55.705Z"}"#
        );
    }
}
