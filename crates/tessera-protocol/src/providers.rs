use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The kind of a provider, as `GET /providers` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderType {
    /// OAuth 2 or OpenID Connect (NextAuth v4 reports both as `oauth`).
    #[serde(alias = "oidc")]
    OAuth,
    /// Email magic link.
    Email,
    /// Username/password or any other `authorize` check.
    Credentials,
}

impl ProviderType {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProviderType::OAuth => "oauth",
            ProviderType::Email => "email",
            ProviderType::Credentials => "credentials",
        }
    }
}

/// One entry of `GET /providers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderInfo {
    /// Provider id (the path segment of its routes).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Kind of provider.
    #[serde(rename = "type")]
    pub kind: ProviderType,
    /// Absolute `<base>/signin/<id>`.
    #[serde(rename = "signinUrl")]
    pub signin_url: String,
    /// Absolute `<base>/callback/<id>`.
    #[serde(rename = "callbackUrl")]
    pub callback_url: String,
}

/// The body of `GET /providers`: an object keyed by provider id, in configuration order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Providers(pub Vec<ProviderInfo>);

impl Providers {
    /// Looks a provider up by id.
    pub fn get(&self, id: &str) -> Option<&ProviderInfo> {
        self.0.iter().find(|p| p.id == id)
    }

    /// Iterates in configuration order.
    pub fn iter(&self) -> impl Iterator<Item = &ProviderInfo> {
        self.0.iter()
    }

    /// Whether no provider is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Providers {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for p in &self.0 {
            map.serialize_entry(&p.id, p)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Providers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ProvidersVisitor;
        impl<'de> Visitor<'de> for ProvidersVisitor {
            type Value = Providers;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object keyed by provider id")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Providers, A::Error> {
                let mut out = Vec::new();
                while let Some((_key, value)) = access.next_entry::<String, ProviderInfo>()? {
                    out.push(value);
                }
                Ok(Providers(out))
            }
        }
        deserializer.deserialize_map(ProvidersVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_keep_order_and_shape() {
        let json = r#"{"credentials":{"id":"credentials","name":"Credentials","type":"credentials","signinUrl":"http://localhost:3000/api/auth/signin/credentials","callbackUrl":"http://localhost:3000/api/auth/callback/credentials"},"demo":{"id":"demo","name":"Demo","type":"oauth","signinUrl":"s","callbackUrl":"c"}}"#;
        let p: Providers = serde_json::from_str(json).unwrap();
        assert_eq!(p.0[1].id, "demo");
        assert_eq!(p.get("demo").unwrap().kind, ProviderType::OAuth);
        assert_eq!(serde_json::to_string(&p).unwrap(), json);
    }
}
