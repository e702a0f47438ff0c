//! [`ProfileHook`]: more requests for the profile after the userinfo response (NextAuth's
//! custom `userinfo.request`), e.g. GitHub's primary address from `GET /user/emails`.

use serde_json::{Map, Value};

use super::ProfileError;
use crate::oauth::{HttpClient, TokenSet};

/// Completes the raw profile (userinfo JSON or ID-token claims) before the
/// [`profile`](super::OAuthProvider::profile) mapping, with requests of its own through
/// the provider's HTTP client. An error ends the sign-in with `OAuthCallback`; a hook
/// that only adds optional data should swallow its failures instead.
///
/// ```
/// use serde_json::{Map, Value};
/// use tessera::oauth::{HttpClient, TokenSet};
/// use tessera::providers::{OAuthProvider, ProfileError};
/// use tessera::providers::oauth::ProfileHook;
///
/// /// Adds the organisation the user belongs to.
/// struct Organisation;
///
/// #[tessera::async_trait]
/// impl ProfileHook for Organisation {
///     async fn complete(&self, profile: &mut Map<String, Value>, tokens: &TokenSet, http: &dyn HttpClient)
///         -> Result<(), ProfileError>
///     {
///         let token = tokens.access_token.as_deref().ok_or_else(|| ProfileError("no access token".into()))?;
///         let request = http::Request::get("https://api.example.com/me/org")
///             .header("authorization", format!("Bearer {token}"))
///             .body(bytes::Bytes::new())
///             .map_err(|e| ProfileError(e.to_string()))?;
///         let response = http.execute(request).await.map_err(|e| ProfileError(e.to_string()))?;
///         let org: Value = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
///         profile.insert("org".into(), org["name"].clone());
///         Ok(())
///     }
/// }
///
/// let provider = OAuthProvider::new("example").profile_hook(Organisation);
/// ```
#[async_trait::async_trait]
pub trait ProfileHook: Send + Sync + 'static {
    /// Completes `profile` in place.
    async fn complete(
        &self,
        profile: &mut Map<String, Value>,
        tokens: &TokenSet,
        http: &dyn HttpClient,
    ) -> Result<(), ProfileError>;
}
