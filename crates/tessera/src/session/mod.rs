//! Sessions: the JWT claim set ([`Token`]), the JWE codec, and the ISO timestamps the
//! session JSON uses.

pub mod cache;
pub(crate) mod current;
pub(crate) mod database;
pub mod jwt;
pub(crate) mod jwt_strategy;
pub(crate) mod read;
pub mod revocations;
pub(crate) mod revoke;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Where sessions live, resolved once by `build()` from the strategy and the adapter.
#[derive(Clone)]
pub(crate) enum SessionStore {
    /// An encrypted JWT in the cookie ([`jwt_strategy`]).
    Jwt,
    /// A session row in the adapter, its token in the cookie ([`database`]).
    Database(Arc<dyn crate::adapter::Adapter>),
}

impl std::fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SessionStore::Jwt => "Jwt",
            SessionStore::Database(_) => "Database",
        })
    }
}

/// The longest duration [`AuthBuilder::build`](crate::AuthBuilder::build) accepts for a
/// lifetime (session, JWT, email link, cookie): 10 years, in seconds.
pub const MAX_DURATION_SECS: i64 = 10 * 365 * 24 * 60 * 60;

/// A [`Duration`] as the engine's whole seconds, for the builder's checks: `i64::MAX`
/// (refused as too long) past [`MAX_DURATION_SECS`], else `-1` (refused as invalid) when it
/// has a fraction of a second.
pub(crate) fn seconds(d: Duration) -> i64 {
    match i64::try_from(d.as_secs()) {
        Ok(secs) if secs <= MAX_DURATION_SECS => {
            if d.subsec_nanos() == 0 {
                secs
            } else {
                -1
            }
        }
        _ => i64::MAX,
    }
}

/// The claims of a session JWT, in insertion order (`name`, `email`, `picture`, `sub`,
/// whatever the `jwt` callback adds, then `iat`, `exp`, `jti`). `Debug` redacts token- and
/// secret-like claims (an `access_token` kept for refresh, say).
///
/// ```
/// let mut t = tessera::Token::default();
/// t.set("role", "admin");
/// assert_eq!(t.get_str("role"), Some("admin"));
/// ```
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Token(Map<String, Value>);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Token")
            .field(&crate::secret::RedactedMap(&self.0))
            .finish()
    }
}

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
        // One pass over the claims instead of three hashed lookups.
        let (mut name, mut email, mut image) = (None, None, None);
        for (key, value) in &self.0 {
            let slot = match key.as_str() {
                "name" => &mut name,
                "email" => &mut email,
                "picture" => &mut image,
                _ => continue,
            };
            *slot = value.as_str().map(str::to_owned);
        }
        tessera_protocol::Session {
            user: Some(tessera_protocol::SessionUser {
                name,
                email,
                image,
                extra: Map::new(),
            }),
            expires: iso8601(expires),
            extra: Map::new(),
        }
    }
}

/// Why [`Auth::revoke_user_sessions`](crate::Auth::revoke_user_sessions) could not end
/// sessions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevokeError {
    /// Database sessions need an adapter (unreachable: `build` requires one).
    #[error("no adapter configured")]
    NoAdapter,
    /// The adapter failed.
    #[error(transparent)]
    Adapter(#[from] crate::adapter::AdapterError),
}

/// Unix milliseconds of `t`.
pub(crate) fn unix_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Unix seconds of `t`.
pub(crate) fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// `t + secs` (`t` for a negative `secs`). On overflow it answers the year 9999 (or `t`)
/// instead of panicking: `build` bounds configured lifetimes, this is defence in depth.
pub(crate) fn after(t: SystemTime, secs: i64) -> SystemTime {
    // 9999-12-31T23:59:59Z, the last instant `Date.toISOString()` writes with four digits.
    const LATEST: Duration = Duration::from_secs(253_402_300_799);
    t.checked_add(Duration::from_secs(secs.max(0).unsigned_abs()))
        .unwrap_or_else(|| (UNIX_EPOCH + LATEST).max(t))
}

/// `t - secs` (`t` for a negative `secs`); on underflow, the earliest of `t` and the epoch.
pub(crate) fn before(t: SystemTime, secs: i64) -> SystemTime {
    t.checked_sub(Duration::from_secs(secs.max(0).unsigned_abs()))
        .unwrap_or_else(|| UNIX_EPOCH.min(t))
}

/// `Date.toISOString()`: `2026-12-22T11:24:55.705Z`.
pub fn iso8601(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    let mut s = String::with_capacity(24);
    if (0..=9999).contains(&year) {
        push_digits(&mut s, year as u32, 4);
    } else {
        s.push_str(&year.to_string());
    }
    s.push('-');
    push_digits(&mut s, month, 2);
    s.push('-');
    push_digits(&mut s, day, 2);
    s.push('T');
    push_digits(&mut s, (rem / 3600) as u32, 2);
    s.push(':');
    push_digits(&mut s, (rem / 60 % 60) as u32, 2);
    s.push(':');
    push_digits(&mut s, (rem % 60) as u32, 2);
    s.push('.');
    push_digits(&mut s, d.subsec_millis(), 3);
    s.push('Z');
    s
}

/// `n` as exactly `width` decimal digits (`n < 10^width`).
fn push_digits(s: &mut String, n: u32, width: u32) {
    for i in (0..width).rev() {
        s.push(char::from(b'0' + (n / 10u32.pow(i) % 10) as u8));
    }
}

/// Year, month (1–12) and day (1–31) of a count of days since 1970-01-01, in the
/// proleptic Gregorian calendar (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
    fn iso_agrees_with_the_time_crate() {
        let reference = |t: SystemTime| {
            let d = t.duration_since(UNIX_EPOCH).unwrap();
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
        };
        // Every day from 1970 to 2450 (leap years, 2000 and 2100 included), at varied times.
        for day in 0..175_000u64 {
            let ms = day * 86_400_000 + (day * 7_919_993) % 86_400_000;
            let t = UNIX_EPOCH + Duration::from_millis(ms);
            assert_eq!(iso8601(t), reference(t), "day {day}");
        }
        for t in [
            UNIX_EPOCH,
            UNIX_EPOCH + Duration::from_millis(951_782_400_000), // 2000-02-29
            UNIX_EPOCH + Duration::from_millis(253_402_300_799_999), // 9999-12-31T23:59:59.999
            UNIX_EPOCH - Duration::from_secs(1),                 // before the epoch: clamped to it
        ] {
            assert_eq!(iso8601(t), reference(t.max(UNIX_EPOCH)));
        }
    }

    #[test]
    fn i3_date_arithmetic_saturates_instead_of_panicking() {
        let now = SystemTime::now();
        assert_eq!(after(now, 60), now + Duration::from_secs(60));
        assert_eq!(after(now, -5), now);
        let far = after(now, i64::MAX);
        assert!(far > now);
        assert_eq!(iso8601(far), "9999-12-31T23:59:59.000Z");
        assert_eq!(before(now, 60), now - Duration::from_secs(60));
        assert!(before(now, i64::MAX) <= UNIX_EPOCH);
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
