use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// The JSON body of `GET /session` when signed in.
///
/// `user` and `expires` are the fields NextAuth's default session has; anything a
/// `session` callback adds lands in `extra` and is serialised after them.
// Serde by hand, not `#[serde(flatten)]`: flatten buffers every field through serde's
// `Content`, which adds its code to a wasm build. Measured with
// `scripts/build-leptos-app.sh`: the app is 257,132 bytes raw / 103,743 gzip -9 with these
// impls, 263,414 / 105,728 with the derives and `flatten`. The JSON in and out is the
// same as the derive's.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Session {
    /// The signed-in user, as exposed to the client.
    pub user: Option<SessionUser>,
    /// Expiry as ISO-8601 with milliseconds, e.g. `2026-12-22T11:24:55.705Z`.
    pub expires: String,
    /// Fields added by a `session` callback.
    pub extra: Map<String, Value>,
}

/// `session.user`: `name`, `email` and `image` (each `null` when unknown), plus extra fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionUser {
    /// Display name.
    pub name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Avatar URL.
    pub image: Option<String>,
    /// Fields added by a `session` callback (for example `id`).
    pub extra: Map<String, Value>,
}

/// `{user?, expires, ...extra}`: `user` left out when `None`.
impl Serialize for Session {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(user) = &self.user {
            map.serialize_entry("user", user)?;
        }
        map.serialize_entry("expires", &self.expires)?;
        for (key, value) in &self.extra {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// `{name, email, image, ...extra}`: the three always present (`null` when `None`).
impl Serialize for SessionUser {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("email", &self.email)?;
        map.serialize_entry("image", &self.image)?;
        for (key, value) in &self.extra {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// Reads the value of a known field, refusing it twice (as the derive does).
fn known<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

impl<'de> Deserialize<'de> for Session {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SessionVisitor;
        impl<'de> Visitor<'de> for SessionVisitor {
            type Value = Session;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("struct Session")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Session, A::Error> {
                let mut user: Option<Option<SessionUser>> = None;
                let mut expires: Option<String> = None;
                let mut extra = Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "user" => known(&mut map, &mut user, "user")?,
                        "expires" => known(&mut map, &mut expires, "expires")?,
                        _ => {
                            let value = map.next_value()?;
                            extra.insert(key, value);
                        }
                    }
                }
                Ok(Session {
                    user: user.flatten(),
                    expires: expires.unwrap_or_default(),
                    extra,
                })
            }
        }
        deserializer.deserialize_map(SessionVisitor)
    }
}

impl<'de> Deserialize<'de> for SessionUser {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct UserVisitor;
        impl<'de> Visitor<'de> for UserVisitor {
            type Value = SessionUser;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("struct SessionUser")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SessionUser, A::Error> {
                let mut name: Option<Option<String>> = None;
                let mut email: Option<Option<String>> = None;
                let mut image: Option<Option<String>> = None;
                let mut extra = Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "name" => known(&mut map, &mut name, "name")?,
                        "email" => known(&mut map, &mut email, "email")?,
                        "image" => known(&mut map, &mut image, "image")?,
                        _ => {
                            let value = map.next_value()?;
                            extra.insert(key, value);
                        }
                    }
                }
                Ok(SessionUser {
                    name: name.flatten(),
                    email: email.flatten(),
                    image: image.flatten(),
                    extra,
                })
            }
        }
        deserializer.deserialize_map(UserVisitor)
    }
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

    /// What the derives with `flatten` make of the same types: the hand-written impls
    /// must read and write the same JSON.
    mod derived {
        use serde::{Deserialize, Serialize};
        use serde_json::{Map, Value};

        #[derive(Debug, Serialize, Deserialize)]
        pub(super) struct Session {
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub(super) user: Option<SessionUser>,
            #[serde(default)]
            pub(super) expires: String,
            #[serde(flatten)]
            pub(super) extra: Map<String, Value>,
        }

        #[derive(Debug, Serialize, Deserialize)]
        pub(super) struct SessionUser {
            #[serde(default)]
            pub(super) name: Option<String>,
            #[serde(default)]
            pub(super) email: Option<String>,
            #[serde(default)]
            pub(super) image: Option<String>,
            #[serde(flatten)]
            pub(super) extra: Map<String, Value>,
        }
    }

    #[test]
    fn hand_written_serde_is_the_derives() {
        for json in [
            r#"{"user":{"name":"A","email":null,"image":null,"id":"7"},"expires":"x","role":"admin"}"#,
            r#"{"expires":"x"}"#,
            r#"{"user":null,"expires":"x"}"#,
            r#"{}"#,
            r#"{"user":{},"n":[1,{"a":null}]}"#,
            r#"{"user":{"email":"a@b.c","extra":{"deep":true}},"expires":"x","z":1.5}"#,
            r#"{"user":1}"#,
            r#"{"expires":2}"#,
            r#"[]"#,
        ] {
            let hand = serde_json::from_str::<Session>(json).map(|s| serde_json::to_string(&s).unwrap());
            let derived = serde_json::from_str::<derived::Session>(json).map(|s| serde_json::to_string(&s).unwrap());
            assert_eq!(hand.ok(), derived.ok(), "{json}");
        }
    }

    #[test]
    fn extra_fields_survive() {
        let json = r#"{"user":{"name":"A","email":null,"image":null,"id":"7"},"expires":"x","role":"admin"}"#;
        let s: Session = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), json);
    }
}
