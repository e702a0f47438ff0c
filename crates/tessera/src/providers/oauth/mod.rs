//! The OAuth 2 / OpenID Connect provider (spec §7.1): configuration and validation here,
//! the flow in `flow.rs`, the outbound requests in [`crate::oauth`].
//!
//! ```
//! use tessera::providers::{Check, OAuthProvider};
//!
//! // OpenID Connect with discovery: endpoints and keys come from the issuer.
//! let oidc = OAuthProvider::new("keycloak")
//!     .name("Keycloak")
//!     .issuer("https://sso.example.com/realms/main")
//!     .client_id("tessera")
//!     .client_secret("s3cr3t")
//!     .scope("openid email profile");
//!
//! // Plain OAuth 2 with static endpoints and a profile mapping.
//! let github = OAuthProvider::new("github")
//!     .name("GitHub")
//!     .authorization("https://github.com/login/oauth/authorize")
//!     .token("https://github.com/login/oauth/access_token")
//!     .userinfo("https://api.github.com/user")
//!     .client_id("id")
//!     .client_secret("secret")
//!     .scope("read:user user:email")
//!     .checks([Check::State])
//!     .profile(|p, _tokens| {
//!         let id = p["id"].to_string();
//!         let mut user = tessera::User::new(id);
//!         user.name = p["name"].as_str().or(p["login"].as_str()).map(str::to_owned);
//!         user.email = p["email"].as_str().map(str::to_owned);
//!         user.image = p["avatar_url"].as_str().map(str::to_owned);
//!         Ok(user)
//!     });
//!
//! let auth = tessera::Auth::builder()
//!     .secret("0123456789abcdef")
//!     .provider(oidc)
//!     .provider(github)
//!     .build();
//! assert!(auth.is_ok());
//! ```

use std::fmt;
use std::sync::{Arc, RwLock};

use serde_json::Value;
use url::Url;

mod profile_hook;

pub use crate::oauth::TokenSet;
pub use crate::oauth::token::{ClientKey, ClientKeyError, TokenAuthMethod};
pub use jsonwebtoken::Algorithm;
pub use profile_hook::ProfileHook;

use crate::oauth::discovery::Metadata;
use crate::oauth::id_token::{DEFAULT_ALGORITHMS, JwksCache};
use crate::oauth::{FlowError, HttpClient};
use crate::providers::ProviderStyle;
use crate::url::is_http_url;
use crate::{Secret, User};

/// One of the checks that bind an authorization response to the browser that started it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// A random `state` parameter, kept in a cookie (CSRF protection of the callback).
    State,
    /// PKCE (RFC 7636, `S256`): the code verifier is kept in a cookie.
    Pkce,
    /// OpenID Connect `nonce`, kept in a cookie and compared with the ID token's.
    Nonce,
}

/// The checks a provider uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checks {
    /// `state`.
    pub state: bool,
    /// PKCE.
    pub pkce: bool,
    /// `nonce`.
    pub nonce: bool,
}

impl<I: IntoIterator<Item = Check>> From<I> for Checks {
    fn from(list: I) -> Self {
        let mut c = Checks::default();
        for check in list {
            match check {
                Check::State => c.state = true,
                Check::Pkce => c.pkce = true,
                Check::Nonce => c.nonce = true,
            }
        }
        c
    }
}

/// `profile()` could not map the provider's profile to a user. The sign-in goes back to
/// the sign-in page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProfileError(pub String);

type ProfileFn = dyn Fn(&Value, &TokenSet) -> Result<User, ProfileError> + Send + Sync;

/// The default profile mapping: `id` from `sub` (or `id`), `name`, `email`, and `image`
/// from `picture` (or `avatar_url`).
///
/// ```
/// use serde_json::json;
/// use tessera::providers::oauth::{default_profile, TokenSet};
/// let u = default_profile(&json!({"id": 42, "name": "A", "avatar_url": "http://i"}), &TokenSet::default()).unwrap();
/// assert_eq!((u.id.as_str(), u.image.as_deref()), ("42", Some("http://i")));
/// ```
pub fn default_profile(profile: &Value, _tokens: &TokenSet) -> Result<User, ProfileError> {
    let text = |v: &Value| match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let field = |k: &str| profile.get(k).and_then(text);
    let id = field("sub")
        .or_else(|| field("id"))
        .ok_or_else(|| ProfileError("the profile has no `sub` or `id`".into()))?;
    Ok(User {
        name: field("name"),
        email: field("email"),
        image: field("picture").or_else(|| field("avatar_url")),
        ..User::new(id)
    })
}

/// Caches shared by clones of a provider.
#[derive(Debug, Default)]
pub(crate) struct ProviderState {
    pub discovered: RwLock<Option<Arc<Metadata>>>,
    pub jwks: JwksCache,
}

/// An OAuth 2 or OpenID Connect provider. See the [module docs](self) for examples.
///
/// OpenID Connect is on when set with [`OAuthProvider::id_token`], or else when the
/// endpoints are discovered from an [`issuer`](OAuthProvider::issuer), or the scope
/// contains `openid`. It validates the ID token and takes the profile from its claims.
#[derive(Clone)]
pub struct OAuthProvider {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: Secret,
    pub(crate) issuer: Option<String>,
    pub(crate) authorization: Option<String>,
    pub(crate) token: Option<String>,
    pub(crate) userinfo: Option<String>,
    pub(crate) jwks_uri: Option<String>,
    /// Authorization parameters, in order (`scope` among them).
    pub(crate) params: Vec<(String, String)>,
    pub(crate) checks: Option<Checks>,
    pub(crate) token_auth: TokenAuthMethod,
    pub(crate) id_token: Option<bool>,
    pub(crate) fetch_userinfo: bool,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) profile: Arc<ProfileFn>,
    pub(crate) profile_hook: Option<Arc<dyn ProfileHook>>,
    pub(crate) allow_dangerous_email_account_linking: bool,
    pub(crate) style: Option<ProviderStyle>,
    pub(crate) state: Arc<ProviderState>,
}

impl fmt::Debug for OAuthProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthProvider")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("issuer", &self.issuer)
            .field("authorization", &self.authorization)
            .field("token", &self.token)
            .field("userinfo", &self.userinfo)
            .field("checks", &self.checks_in_effect())
            .field("oidc", &self.is_oidc())
            .finish_non_exhaustive()
    }
}

impl OAuthProvider {
    /// A provider with this id (the path segment of `/signin/:id` and `/callback/:id`).
    /// Set the client credentials and either an issuer or the endpoints.
    pub fn new(id: impl Into<String>) -> Self {
        let id = id.into();
        OAuthProvider {
            name: id.clone(),
            id,
            client_id: String::new(),
            client_secret: Secret::new(""),
            issuer: None,
            authorization: None,
            token: None,
            userinfo: None,
            jwks_uri: None,
            params: Vec::new(),
            checks: None,
            token_auth: TokenAuthMethod::default(),
            id_token: None,
            fetch_userinfo: false,
            algorithms: DEFAULT_ALGORITHMS.to_vec(),
            profile: Arc::new(default_profile),
            profile_hook: None,
            allow_dangerous_email_account_linking: false,
            style: None,
            state: Arc::default(),
        }
    }

    /// Sets the id.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// Sets the display name (default: the id).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The id set by [`new`](OAuthProvider::new) or [`id`](OAuthProvider::id) (the setter).
    ///
    /// ```
    /// let github = tessera::providers::presets::github_with("id", "secret");
    /// assert_eq!((github.provider_id(), github.display_name()), ("github", "GitHub"));
    /// ```
    pub fn provider_id(&self) -> &str {
        &self.id
    }

    /// The display name set by [`name`](OAuthProvider::name) (the setter; default: the id).
    pub fn display_name(&self) -> &str {
        &self.name
    }

    /// The client id registered at the provider.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }

    /// The client secret registered at the provider.
    pub fn client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.client_secret = secret.into();
        self
    }

    /// The issuer. Without static [`authorization`](Self::authorization) and
    /// [`token`](Self::token) endpoints, the endpoints and keys are discovered from
    /// `<issuer>/.well-known/openid-configuration` (once; the result is kept in memory).
    /// With them, it is the expected `iss` of ID tokens and authorization responses.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The authorization endpoint. A query string in it becomes authorization parameters.
    pub fn authorization(mut self, url: impl Into<String>) -> Self {
        let url = url.into();
        match Url::parse(&url) {
            Ok(mut parsed) if parsed.query().is_some() => {
                let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
                parsed.set_query(None);
                let mut params = pairs;
                params.append(&mut self.params);
                self.params = params;
                self.authorization = Some(parsed.into());
            }
            _ => self.authorization = Some(url),
        }
        self
    }

    /// The token endpoint.
    pub fn token(mut self, url: impl Into<String>) -> Self {
        self.token = Some(url.into());
        self
    }

    /// The userinfo endpoint.
    pub fn userinfo(mut self, url: impl Into<String>) -> Self {
        self.userinfo = Some(url.into());
        self
    }

    /// The JWKS URL (OpenID Connect with static endpoints).
    pub fn jwks_uri(mut self, url: impl Into<String>) -> Self {
        self.jwks_uri = Some(url.into());
        self
    }

    /// The `scope` parameter (default `openid`).
    pub fn scope(self, scope: impl Into<String>) -> Self {
        self.authorization_param("scope", scope)
    }

    /// An extra authorization parameter (`prompt`, `access_type`, …). Parameters of the
    /// sign-in request's query string (`signIn(id, opts, authorizationParams)`) override these.
    pub fn authorization_param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let (key, value) = (key.into(), value.into());
        match self.params.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.params.push((key, value)),
        }
        self
    }

    /// The checks to use. Default: state, PKCE and nonce for OpenID Connect, state for
    /// plain OAuth 2. [`AuthBuilder::build`](crate::AuthBuilder::build) refuses a list with
    /// neither `State` nor `Pkce` (nothing would stop login CSRF).
    pub fn checks(mut self, checks: impl Into<Checks>) -> Self {
        self.checks = Some(checks.into());
        self
    }

    /// How to authenticate at the token endpoint (default `client_secret_basic`).
    pub fn token_auth_method(mut self, method: TokenAuthMethod) -> Self {
        self.token_auth = method;
        self
    }

    /// Turns OpenID Connect (ID-token validation, profile from its claims) on or off.
    pub fn id_token(mut self, on: bool) -> Self {
        self.id_token = Some(on);
        self
    }

    /// OpenID Connect: also fetch the userinfo endpoint and merge it over the ID-token
    /// claims (for providers whose ID tokens carry only `sub`). Its `sub` must match.
    pub fn fetch_userinfo(mut self, on: bool) -> Self {
        self.fetch_userinfo = on;
        self
    }

    /// The ID-token signature algorithms accepted (default: the RSA, ECDSA and EdDSA ones).
    pub fn id_token_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// Maps the provider's profile (ID-token claims or userinfo JSON) to a [`User`]. The
    /// email is lower-cased afterwards; a user without an id ends the sign-in.
    pub fn profile<F>(mut self, profile: F) -> Self
    where
        F: Fn(&Value, &TokenSet) -> Result<User, ProfileError> + Send + Sync + 'static,
    {
        self.profile = Arc::new(profile);
        self
    }

    /// Completes the raw profile with requests of its own before the mapping (NextAuth's
    /// custom `userinfo.request`); see [`ProfileHook`].
    pub fn profile_hook(mut self, hook: impl ProfileHook) -> Self {
        self.profile_hook = Some(Arc::new(hook));
        self
    }

    /// Lets a sign-in with this provider link to an existing user with the same email
    /// address when nobody is signed in. Only safe for providers that verify addresses;
    /// Tessera links only onto users whose own address is verified, and only when the
    /// profile says `email_verified: true` (or `"true"`): a profile without the claim (Azure
    /// AD/Entra, many plain OAuth 2 providers) never links by email. A
    /// [`ProfileHook`] may set the claim for an IdP that vouches for its addresses in
    /// another way (the GitHub preset does, for the verified address it picks). A profile
    /// with `email_verified: false` signs in without an email.
    pub fn allow_dangerous_email_account_linking(mut self, allow: bool) -> Self {
        self.allow_dangerous_email_account_linking = allow;
        self
    }

    /// The button's logo and brand colours on the built-in sign-in page (NextAuth's
    /// `style`); the presets set NextAuth's. See [`ProviderStyle`] for the allowed values.
    /// An empty style removes it: the button is then plain, in the theme's brand colour.
    ///
    /// ```
    /// use tessera::providers::{presets, ProviderStyle};
    /// let github = presets::github_with("id", "secret")
    ///     .style(ProviderStyle::new().logo("/github.svg").bg("#24292f").text("#fff"));
    /// ```
    pub fn style(mut self, style: ProviderStyle) -> Self {
        self.style = Some(style).filter(|s| !s.is_empty());
        self
    }

    /// Whether the endpoints come from discovery.
    pub(crate) fn discovers(&self) -> bool {
        self.issuer.is_some() && (self.authorization.is_none() || self.token.is_none())
    }

    /// Where the endpoints are discovered from: the issuer's
    /// `/.well-known/openid-configuration`, when the provider has an issuer and no static
    /// authorization and token endpoints (`tessera doctor` fetches it before going live).
    pub fn discovery_issuer(&self) -> Option<&str> {
        if self.discovers() { self.issuer.as_deref() } else { None }
    }

    /// Whether this is OpenID Connect (validates an ID token).
    pub fn is_oidc(&self) -> bool {
        self.id_token.unwrap_or_else(|| {
            self.discovers()
                || self
                    .params
                    .iter()
                    .any(|(k, v)| k == "scope" && v.split_whitespace().any(|s| s == "openid"))
        })
    }

    /// The checks in effect.
    pub fn checks_in_effect(&self) -> Checks {
        self.checks.unwrap_or_else(|| {
            if self.is_oidc() {
                Checks::from([Check::Pkce, Check::State, Check::Nonce])
            } else {
                Checks::from([Check::State])
            }
        })
    }

    /// Checked by [`crate::AuthBuilder::build`]; the error is what is wrong (the reason of
    /// [`ConfigError::InvalidProvider`](crate::ConfigError::InvalidProvider)).
    pub(crate) fn validate(&self) -> Result<(), String> {
        let bad = Err;
        if self.client_id.trim().is_empty() {
            return bad("client_id is empty".into());
        }
        let needs_secret = matches!(
            self.token_auth,
            TokenAuthMethod::ClientSecretBasic | TokenAuthMethod::ClientSecretPost
        );
        if self.client_secret.is_empty() && needs_secret {
            return bad(
                "client_secret is empty (use TokenAuthMethod::None for a public client, or PrivateKeyJwt)".into(),
            );
        }
        for (what, url) in [
            ("issuer", &self.issuer),
            ("authorization", &self.authorization),
            ("token", &self.token),
            ("userinfo", &self.userinfo),
            ("jwks_uri", &self.jwks_uri),
        ] {
            if let Some(u) = url
                && !is_http_url(u)
            {
                return bad(format!("{what} {u:?} is not an absolute http(s) URL"));
            }
        }
        if !self.discovers() && (self.authorization.is_none() || self.token.is_none()) {
            return bad("set an issuer (discovery) or both the authorization and token endpoints".into());
        }
        let oidc = self.is_oidc();
        if oidc && !self.discovers() && (self.issuer.is_none() || self.jwks_uri.is_none()) {
            return bad("OpenID Connect with static endpoints needs issuer and jwks_uri".into());
        }
        if !oidc && !self.discovers() && self.userinfo.is_none() {
            return bad("plain OAuth 2 needs a userinfo endpoint for the profile".into());
        }
        let checks = self.checks_in_effect();
        if !checks.state && !checks.pkce {
            return bad(
                "its checks include neither state nor PKCE, so nothing binds the callback to the browser \
                 that started the sign-in (login CSRF): keep Check::State or Check::Pkce"
                    .into(),
            );
        }
        if oidc && self.algorithms.is_empty() {
            return bad("no ID-token algorithm is accepted".into());
        }
        if self
            .algorithms
            .iter()
            .any(|a| matches!(a, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512))
        {
            return bad("HMAC ID-token algorithms are not supported".into());
        }
        if let Some((field, value, expected)) = self.style.as_ref().and_then(ProviderStyle::invalid) {
            return bad(format!("style.{field} {value:?} is not {expected}"));
        }
        Ok(())
    }

    /// The endpoints: discovered (once) or static.
    pub(crate) async fn metadata(&self, http: &dyn HttpClient) -> Result<Arc<Metadata>, FlowError> {
        if !self.discovers() {
            return Ok(Arc::new(Metadata {
                issuer: self.issuer.clone(),
                authorization_endpoint: self.authorization.clone().unwrap_or_default(),
                token_endpoint: self.token.clone().unwrap_or_default(),
                userinfo_endpoint: self.userinfo.clone(),
                jwks_uri: self.jwks_uri.clone(),
                authorization_response_iss_parameter_supported: false,
            }));
        }
        if let Some(m) = self.state.discovered.read().ok().and_then(|m| m.clone()) {
            return Ok(m);
        }
        let issuer = self.issuer.as_deref().unwrap_or_default();
        let mut meta = crate::oauth::discovery::discover(http, issuer).await?;
        // Configured endpoints win over discovered ones.
        if let Some(u) = &self.authorization {
            meta.authorization_endpoint = u.clone();
        }
        if let Some(u) = &self.token {
            meta.token_endpoint = u.clone();
        }
        if let Some(u) = &self.userinfo {
            meta.userinfo_endpoint = Some(u.clone());
        }
        if let Some(u) = &self.jwks_uri {
            meta.jwks_uri = Some(u.clone());
        }
        let meta = Arc::new(meta);
        if let Ok(mut slot) = self.state.discovered.write() {
            *slot = Some(meta.clone());
        }
        Ok(meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> OAuthProvider {
        OAuthProvider::new("demo").client_id("cid").client_secret("csec")
    }

    #[test]
    fn kinds_and_default_checks() {
        let oidc = base().issuer("https://idp.example");
        assert!(oidc.is_oidc());
        assert_eq!(
            oidc.checks_in_effect(),
            Checks {
                state: true,
                pkce: true,
                nonce: true
            }
        );
        let plain = base()
            .authorization("https://idp.example/authorize?prompt=login")
            .token("https://idp.example/token")
            .userinfo("https://idp.example/me");
        assert!(!plain.is_oidc());
        assert_eq!(plain.checks_in_effect(), Checks::from([Check::State]));
        assert_eq!(plain.authorization.as_deref(), Some("https://idp.example/authorize"));
        assert_eq!(plain.params, [("prompt".to_owned(), "login".to_owned())]);
        assert!(plain.clone().scope("openid email").is_oidc());
        assert_eq!(plain.checks([]).checks_in_effect(), Checks::default());
    }

    /// The reason `provider` is refused for (`build()` reports it as `InvalidProvider` for
    /// its id, which the builder-level tests pin).
    fn refusal(provider: &OAuthProvider) -> String {
        match provider.validate() {
            Err(reason) => reason,
            Ok(()) => panic!("expected {:?} to be refused", provider.id),
        }
    }

    #[test]
    fn validation() {
        assert!(base().issuer("https://idp.example").validate().is_ok());
        assert_eq!(
            refusal(&base()),
            "set an issuer (discovery) or both the authorization and token endpoints"
        );
        assert_eq!(
            refusal(&OAuthProvider::new("x").client_secret("s").issuer("https://idp.example")),
            "client_id is empty"
        );
        assert_eq!(
            refusal(&base().issuer("ftp://idp.example")),
            r#"issuer "ftp://idp.example" is not an absolute http(s) URL"#
        );
        assert_eq!(
            refusal(&base().issuer("not a url")),
            r#"issuer "not a url" is not an absolute http(s) URL"#
        );
        assert_eq!(
            refusal(&base().authorization("https://i/a").token("https://i/t")),
            "plain OAuth 2 needs a userinfo endpoint for the profile",
            "no userinfo"
        );
        // OIDC with static endpoints and an issuer, but no jwks_uri: refused for the
        // jwks_uri alone (the issuer is there), so the check cannot go missing unnoticed.
        assert_eq!(
            refusal(
                &base()
                    .issuer("https://i")
                    .authorization("https://i/a")
                    .token("https://i/t")
                    .scope("openid")
            ),
            "OpenID Connect with static endpoints needs issuer and jwks_uri",
            "OIDC without jwks_uri"
        );
        assert_eq!(
            refusal(&base().authorization("https://i/a").token("https://i/t").scope("openid")),
            "OpenID Connect with static endpoints needs issuer and jwks_uri",
            "OIDC without issuer nor jwks_uri"
        );
        assert!(
            base()
                .issuer("https://i")
                .authorization("https://i/a")
                .token("https://i/t")
                .scope("openid")
                .jwks_uri("https://i/jwks")
                .validate()
                .is_ok(),
            "the same with a jwks_uri is valid"
        );
        assert_eq!(
            refusal(&base().issuer("https://i").id_token_algorithms([Algorithm::HS256])),
            "HMAC ID-token algorithms are not supported"
        );
    }
}
