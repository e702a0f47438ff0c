//! The token exchange (RFC 6749 §4.1.3) and the userinfo request, tolerant of the quirks
//! real providers have: an error with HTTP 200, `scope` as a list, numbers as strings.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use serde_json::{Map, Value};

use super::{FlowError, HttpClient};
use crate::Secret;

/// What the token endpoint returned, normalised: `expires_in` became an absolute
/// `expires_at`, a `scope` list became one space-separated string.
#[derive(Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct TokenSet {
    /// The access token.
    pub access_token: Option<String>,
    /// Its type (`Bearer`, as the provider spells it).
    pub token_type: Option<String>,
    /// The ID token (OpenID Connect), as received.
    pub id_token: Option<String>,
    /// The refresh token.
    pub refresh_token: Option<String>,
    /// When the access token expires (Unix seconds).
    pub expires_at: Option<i64>,
    /// Granted scopes, space-separated.
    pub scope: Option<String>,
    /// OIDC session management's `session_state` (from the callback).
    pub session_state: Option<String>,
    /// Every other field of the response, as received.
    pub extra: Map<String, Value>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redact = |v: &Option<String>| v.as_ref().map(|_| "[redacted]");
        f.debug_struct("TokenSet")
            .field("access_token", &redact(&self.access_token))
            .field("token_type", &self.token_type)
            .field("id_token", &redact(&self.id_token))
            .field("refresh_token", &redact(&self.refresh_token))
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .field("session_state", &self.session_state)
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A string field, also when the provider sent a number.
fn string(v: Option<Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An integer field, also when the provider sent it as a string (`"3600"`).
fn integer(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse::<f64>().ok().map(|f| f as i64),
        _ => None,
    }
}

impl TokenSet {
    /// Normalises a token response. An `error` member is an error whatever the status.
    pub(crate) fn from_response(mut m: Map<String, Value>, now: i64) -> Result<Self, FlowError> {
        if let Some(e) = m.get("error").filter(|e| !e.is_null()) {
            let code = e.as_str().map(str::to_owned).unwrap_or_else(|| e.to_string());
            let description = m
                .get("error_description")
                .and_then(Value::as_str)
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            return Err(FlowError::new(format!("token endpoint error: {code}{description}")));
        }
        let expires_at = match m.shift_remove("expires_in") {
            // Saturating: `"expires_in": 1e300` is i64::MAX seconds (security review I2).
            Some(v) => integer(Some(&v)).map(|secs| now.saturating_add(secs)),
            None => integer(m.get("expires_at")),
        };
        m.shift_remove("expires_at");
        let scope = match m.shift_remove("scope") {
            Some(Value::Array(items)) => {
                let parts: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                Some(parts.join(" "))
            }
            other => string(other),
        };
        Ok(TokenSet {
            access_token: string(m.shift_remove("access_token")),
            token_type: string(m.shift_remove("token_type")),
            id_token: string(m.shift_remove("id_token")),
            refresh_token: string(m.shift_remove("refresh_token")),
            expires_at,
            scope,
            session_state: string(m.shift_remove("session_state")),
            extra: m,
        })
    }

    /// The fields stored in the account (spec §5.4): the token-set fields, then the rest.
    pub(crate) fn account_fields(&self) -> Map<String, Value> {
        let mut m = Map::new();
        let text = |v: &Option<String>| v.clone().map(Value::String);
        let fields = [
            ("access_token", text(&self.access_token)),
            ("token_type", text(&self.token_type)),
            ("expires_at", self.expires_at.map(Value::from)),
            ("refresh_token", text(&self.refresh_token)),
            ("scope", text(&self.scope)),
            ("id_token", text(&self.id_token)),
            ("session_state", text(&self.session_state)),
        ];
        for (k, v) in fields {
            if let Some(v) = v {
                m.insert(k.into(), v);
            }
        }
        for (k, v) in &self.extra {
            m.entry(k.clone()).or_insert_with(|| v.clone());
        }
        m
    }
}

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TokenAuthMethod {
    /// `Authorization: Basic base64(id:secret)` (the default).
    #[default]
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// A public client: `client_id` in the body, no secret (use PKCE).
    None,
    /// `private_key_jwt` (OpenID Connect Core §9, RFC 7523): a short-lived JWT signed with
    /// the client's private key (`client_assertion`), no shared secret.
    PrivateKeyJwt(ClientKey),
}

/// The client's private key for [`TokenAuthMethod::PrivateKeyJwt`].
///
/// ```
/// use tessera::providers::{ClientKey, OAuthProvider, TokenAuthMethod};
/// use tessera::providers::oauth::Algorithm;
///
/// let pem = b"-----BEGIN PRIVATE KEY-----
/// MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1CGbukl6JY+mCFXL
/// NUWNVmkQtlURYZOlEZZB/AOOf8ehRANCAARa++zblr6c6R7Aw4gU9m8NC2q/xUEa
/// 2l1zbpcBGLzUgDxm+tI/uiTWHFHzDwWLjNUQqdxFuaFijdi7KIo4vBxu
/// -----END PRIVATE KEY-----";
/// let key = ClientKey::from_pem(Algorithm::ES256, pem).unwrap().kid("key-2026");
/// let provider = OAuthProvider::new("corp")
///     .issuer("https://login.example.com")
///     .client_id("tessera")
///     .token_auth_method(TokenAuthMethod::PrivateKeyJwt(key));
/// ```
///
/// RSA keys (RS* and PS*) sign with `ring`, whose RSA is constant-time; EC and Ed25519 keys
/// sign through `jsonwebtoken` (RustCrypto's `p256`/`p384` and `ed25519-dalek`). The `rsa`
/// crate never touches the private key (RUSTSEC-2023-0071, the Marvin timing attack).
#[derive(Clone)]
pub struct ClientKey {
    key: std::sync::Arc<Signer>,
    alg: jsonwebtoken::Algorithm,
    kid: Option<String>,
}

/// The private half of a [`ClientKey`].
enum Signer {
    /// RSA, with `ring` (boxed: ring's key pair is large).
    Rsa(Box<ring::signature::RsaKeyPair>),
    /// EC and Ed25519, with `jsonwebtoken`.
    Jws(jsonwebtoken::EncodingKey),
}

/// ring's padding for an RSA JWS algorithm (`None` for the others).
fn rsa_padding(alg: jsonwebtoken::Algorithm) -> Option<&'static dyn ring::signature::RsaEncoding> {
    use jsonwebtoken::Algorithm as A;
    use ring::signature as s;
    Some(match alg {
        A::RS256 => &s::RSA_PKCS1_SHA256,
        A::RS384 => &s::RSA_PKCS1_SHA384,
        A::RS512 => &s::RSA_PKCS1_SHA512,
        A::PS256 => &s::RSA_PSS_SHA256,
        A::PS384 => &s::RSA_PSS_SHA384,
        A::PS512 => &s::RSA_PSS_SHA512,
        _ => return None,
    })
}

/// An RSA private key from PEM: PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`).
/// ring refuses keys shorter than 2048 bits.
fn rsa_key_pair(pem: &[u8]) -> Result<ring::signature::RsaKeyPair, String> {
    use ring::signature::RsaKeyPair;
    let block = pem::parse(pem).map_err(|e| e.to_string())?;
    match block.tag() {
        "PRIVATE KEY" => RsaKeyPair::from_pkcs8(block.contents()),
        "RSA PRIVATE KEY" => RsaKeyPair::from_der(block.contents()),
        other => return Err(format!("a {other:?} PEM block is not an RSA private key")),
    }
    .map_err(|e| format!("RSA key rejected: {e}"))
}

/// A compact JWS (`header.claims.signature`, base64url without padding) signed by ring's RSA.
fn sign_rsa(
    key: &ring::signature::RsaKeyPair,
    padding: &'static dyn ring::signature::RsaEncoding,
    header: &Value,
    claims: &Value,
) -> Result<String, FlowError> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    let mut jws = B64.encode(header.to_string());
    jws.push('.');
    B64.encode_string(claims.to_string(), &mut jws);
    let mut signature = vec![0u8; key.public().modulus_len()];
    key.sign(
        padding,
        &ring::rand::SystemRandom::new(),
        jws.as_bytes(),
        &mut signature,
    )
    .map_err(|_| FlowError::new("signing the client assertion: RSA signing failed"))?;
    jws.push('.');
    B64.encode_string(&signature, &mut jws);
    Ok(jws)
}

/// Why a [`ClientKey`] could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientKeyError {
    /// Only asymmetric algorithms sign client assertions here.
    #[error("{0:?} is not an asymmetric signing algorithm (use RS256/384/512, PS256/384/512, ES256/384 or EdDSA)")]
    Algorithm(jsonwebtoken::Algorithm),
    /// The PEM is not a private key of the algorithm's kind.
    #[error("the PEM is not a usable {alg:?} private key: {reason}")]
    Pem {
        /// The algorithm asked for.
        alg: jsonwebtoken::Algorithm,
        /// What the parser said.
        reason: String,
    },
}

impl ClientKey {
    /// A PEM private key (PKCS#8, or PKCS#1/SEC1 for RSA/EC) for `alg`.
    /// RSA keys must have at least 2048 bits.
    pub fn from_pem(alg: jsonwebtoken::Algorithm, pem: &[u8]) -> Result<ClientKey, ClientKeyError> {
        use jsonwebtoken::{Algorithm as A, EncodingKey};
        let jws =
            |key: Result<EncodingKey, jsonwebtoken::errors::Error>| key.map(Signer::Jws).map_err(|e| e.to_string());
        let key = match alg {
            A::RS256 | A::RS384 | A::RS512 | A::PS256 | A::PS384 | A::PS512 => {
                rsa_key_pair(pem).map(|k| Signer::Rsa(Box::new(k)))
            }
            A::ES256 | A::ES384 => jws(EncodingKey::from_ec_pem(pem)),
            A::EdDSA => jws(EncodingKey::from_ed_pem(pem)),
            other => return Err(ClientKeyError::Algorithm(other)),
        }
        .map_err(|reason| ClientKeyError::Pem { alg, reason })?;
        Ok(ClientKey {
            key: std::sync::Arc::new(key),
            alg,
            kid: None,
        })
    }

    /// The `kid` header, for providers that hold several of the client's keys.
    pub fn kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The signed `client_assertion`: `iss` = `sub` = the client id, `aud` = the token
    /// endpoint, a random `jti`, valid for 60 seconds from `now`.
    fn assertion(&self, client_id: &str, audience: &str, now: i64) -> Result<String, FlowError> {
        let claims = serde_json::json!({
            "iss": client_id,
            "sub": client_id,
            "aud": audience,
            "jti": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::random::bytes::<16>()),
            "iat": now,
            "exp": now + 60,
        });
        match &*self.key {
            Signer::Rsa(key) => {
                let padding = rsa_padding(self.alg).ok_or_else(|| {
                    FlowError::new(format!(
                        "signing the client assertion: {:?} is not an RSA algorithm",
                        self.alg
                    ))
                })?;
                let mut header = serde_json::json!({"alg": self.alg, "typ": "JWT"});
                if let Some(kid) = &self.kid {
                    header["kid"] = Value::from(kid.as_str());
                }
                sign_rsa(key, padding, &header, &claims)
            }
            Signer::Jws(key) => {
                let mut header = jsonwebtoken::Header::new(self.alg);
                header.kid = self.kid.clone();
                jsonwebtoken::encode(&header, &claims, key)
                    .map_err(|e| FlowError::new(format!("signing the client assertion: {e}")))
            }
        }
    }
}

impl std::fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Two keys are equal when they are the same key (clones), algorithm and `kid`.
impl PartialEq for ClientKey {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.key, &other.key) && self.alg == other.alg && self.kid == other.kid
    }
}

impl Eq for ClientKey {}

/// openid-client's encoding of Basic credentials: `encodeURIComponent`, spaces as `+`.
fn basic_component(s: &str) -> String {
    crate::redirect::encode_component(s).replace("%20", "+")
}

/// The client's credentials as an `Authorization: Basic` value.
pub(crate) fn basic_auth(client_id: &str, client_secret: &str) -> String {
    let raw = format!("{}:{}", basic_component(client_id), basic_component(client_secret));
    format!("Basic {}", STANDARD.encode(raw))
}

/// `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// One token request: the form body pairs (in order) and the client credentials.
pub(crate) struct TokenRequest<'a> {
    pub endpoint: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a Secret,
    pub auth: &'a TokenAuthMethod,
    pub params: Vec<(&'a str, &'a str)>,
}

/// Why a token request failed: the provider answered with an OAuth `error`, or the
/// request or its response was unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EndpointError {
    /// The provider's `error` code and `error_description`.
    Provider { code: String, description: Option<String> },
    /// Transport failure, a non-JSON answer, an HTTP error without an OAuth error.
    Failed(FlowError),
}

impl From<EndpointError> for FlowError {
    fn from(e: EndpointError) -> Self {
        match e {
            EndpointError::Provider { code, description } => {
                let description = description.map(|d| format!(" ({d})")).unwrap_or_default();
                FlowError::new(format!("token endpoint error: {code}{description}"))
            }
            EndpointError::Failed(e) => e,
        }
    }
}

/// POSTs a token request and normalises the answer.
pub(crate) async fn request(http: &dyn HttpClient, req: TokenRequest<'_>, now: i64) -> Result<TokenSet, FlowError> {
    request_detailed(http, req, now).await.map_err(FlowError::from)
}

/// [`request`], telling a provider's OAuth error apart from other failures.
pub(crate) async fn request_detailed(
    http: &dyn HttpClient,
    req: TokenRequest<'_>,
    now: i64,
) -> Result<TokenSet, EndpointError> {
    let failed = |e: FlowError| EndpointError::Failed(e);
    let mut params = req.params;
    let mut builder = http::Request::post(req.endpoint)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "application/json");
    let assertion;
    match req.auth {
        TokenAuthMethod::ClientSecretBasic => {
            builder = builder.header(AUTHORIZATION, basic_auth(req.client_id, req.client_secret.expose()));
        }
        TokenAuthMethod::ClientSecretPost => {
            params.push(("client_id", req.client_id));
            params.push(("client_secret", req.client_secret.expose()));
        }
        TokenAuthMethod::None => params.push(("client_id", req.client_id)),
        TokenAuthMethod::PrivateKeyJwt(key) => {
            assertion = key.assertion(req.client_id, req.endpoint, now).map_err(failed)?;
            params.push(("client_id", req.client_id));
            params.push(("client_assertion_type", CLIENT_ASSERTION_TYPE));
            params.push(("client_assertion", &assertion));
        }
    }
    // (The serializer is not Send, so it must not live across an await.)
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .finish();
    let http_req = builder
        .body(Bytes::from(body))
        .map_err(|e| failed(FlowError::new(format!("token request: {e}"))))?;
    let res = http.execute(http_req).await.map_err(|e| failed(e.into()))?;
    let status = res.status();
    let body = parse_body(res.body());
    if let Some(m) = &body
        && let Some(e) = m.get("error").filter(|e| !e.is_null())
    {
        // An error is an error whatever the status.
        return Err(EndpointError::Provider {
            code: e.as_str().map(str::to_owned).unwrap_or_else(|| e.to_string()),
            description: m.get("error_description").and_then(Value::as_str).map(str::to_owned),
        });
    }
    match (status.is_success(), body) {
        (true, Some(m)) => TokenSet::from_response(m, now).map_err(failed),
        (true, None) => Err(failed(FlowError::new(
            "token endpoint: the response is not a JSON object",
        ))),
        (false, _) => Err(failed(FlowError::new(format!("token endpoint: HTTP {status}")))),
    }
}

/// A JSON object, or (old providers ignoring `Accept`) a form-encoded body.
fn parse_body(body: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(m)) => Some(m),
        Ok(_) => None,
        Err(_) => {
            let text = std::str::from_utf8(body).ok()?.trim();
            if text.is_empty() || text.starts_with('<') || !text.contains('=') {
                return None;
            }
            let m: Map<String, Value> = form_urlencoded::parse(text.as_bytes())
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect();
            (m.contains_key("access_token") || m.contains_key("error")).then_some(m)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn basic_credentials_match_openid_client() {
        assert_eq!(basic_auth("cid", "csec"), "Basic Y2lkOmNzZWM=");
        // encodeURIComponent then %20 → '+': "a b:c:d" → "a+b:c%3Ad"
        assert_eq!(
            basic_auth("a b", "c:d"),
            format!("Basic {}", STANDARD.encode("a+b:c%3Ad"))
        );
    }

    #[test]
    fn quirks_are_normalised() {
        let t = TokenSet::from_response(
            obj(json!({"access_token":"at","token_type":"bearer","expires_in":"3600","scope":["a","b"],"x":1})),
            1000,
        )
        .unwrap();
        assert_eq!(t.expires_at, Some(4600));
        assert_eq!(t.scope.as_deref(), Some("a b"));
        assert_eq!(t.extra["x"], 1);
        let f = t.account_fields();
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"{"access_token":"at","token_type":"bearer","expires_at":4600,"scope":"a b","x":1}"#
        );
        assert!(!format!("{t:?}").contains("\"at\""));
    }

    #[test]
    fn an_error_is_an_error_whatever_the_status() {
        let e = TokenSet::from_response(
            obj(json!({"error":"bad_verification_code","error_description":"The code is wrong"})),
            0,
        )
        .unwrap_err();
        assert!(e.0.contains("bad_verification_code"));
        assert_eq!(
            parse_body(b"access_token=x&scope=repo&token_type=bearer").unwrap()["access_token"],
            "x"
        );
        assert!(parse_body(b"<html>").is_none());
    }

    #[test]
    fn i2_extreme_expires_in_saturates() {
        let at = |v: Value, now: i64| {
            TokenSet::from_response(obj(json!({"access_token":"at","expires_in":v})), now)
                .unwrap()
                .expires_at
        };
        let now = 1_800_000_000;
        assert_eq!(at(json!("1e300"), now), Some(i64::MAX));
        assert_eq!(at(json!(1e300), now), Some(i64::MAX));
        assert_eq!(at(json!(i64::MAX), now), Some(i64::MAX));
        assert_eq!(at(json!(u64::MAX), now), Some(i64::MAX));
        assert_eq!(at(json!("inf"), now), Some(i64::MAX));
        assert_eq!(at(json!("-1e300"), now), Some(now.saturating_add(i64::MIN)));
        assert_eq!(at(json!(i64::MIN), -1), Some(i64::MIN));
        assert_eq!(at(json!("NaN"), now), Some(now));
        assert_eq!(at(json!(60), i64::MAX), Some(i64::MAX));
    }
}
