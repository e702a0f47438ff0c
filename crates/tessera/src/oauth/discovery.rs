//! OpenID Connect discovery (`<issuer>/.well-known/openid-configuration`) and the
//! endpoint set a provider works with.

use serde::Deserialize;
use serde_json::Value;

use super::http_client::get_json;
use super::{FlowError, HttpClient};

/// The endpoints of an authorization server: discovered, or configured statically.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Metadata {
    #[serde(default)]
    pub issuer: Option<String>,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// RFC 9207: the server always sends `iss` with the authorization response.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}

/// The discovery document URL for an issuer, the way openid-client builds it.
pub(crate) fn well_known_url(issuer: &str) -> String {
    if issuer.contains("/.well-known/") {
        return issuer.to_owned();
    }
    match issuer.split_once('?') {
        Some((base, query)) => format!(
            "{}/.well-known/openid-configuration?{query}",
            base.trim_end_matches('/')
        ),
        None => format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/')),
    }
}

/// Fetches and checks the discovery document of `issuer`.
pub(crate) async fn discover(http: &dyn HttpClient, issuer: &str) -> Result<Metadata, FlowError> {
    let url = well_known_url(issuer);
    let doc = get_json(http, &url, None).await?;
    let meta: Metadata = serde_json::from_value(Value::Object(doc))
        .map_err(|e| FlowError::new(format!("discovery document of {issuer}: {e}")))?;
    // The document must speak for the issuer we were configured with (OIDC Discovery §4.3).
    let configured = issuer.split("/.well-known/").next().unwrap_or(issuer);
    match &meta.issuer {
        Some(i) if i.trim_end_matches('/') == configured.trim_end_matches('/') => {}
        Some(i) => {
            return Err(FlowError::new(format!(
                "discovery document of {issuer} names another issuer ({i})"
            )));
        }
        None => return Err(FlowError::new(format!("discovery document of {issuer} has no issuer"))),
    }
    for endpoint in [Some(&meta.authorization_endpoint), Some(&meta.token_endpoint)]
        .into_iter()
        .chain([meta.userinfo_endpoint.as_ref(), meta.jwks_uri.as_ref()])
        .flatten()
    {
        if !crate::url::is_http_url(endpoint) {
            return Err(FlowError::new(format!("discovery: invalid endpoint URL {endpoint:?}")));
        }
    }
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_urls() {
        assert_eq!(
            well_known_url("https://accounts.google.com"),
            "https://accounts.google.com/.well-known/openid-configuration"
        );
        assert_eq!(
            well_known_url("https://idp.example/realms/x/"),
            "https://idp.example/realms/x/.well-known/openid-configuration"
        );
        assert_eq!(
            well_known_url("https://idp.example/.well-known/openid-configuration"),
            "https://idp.example/.well-known/openid-configuration"
        );
    }
}
