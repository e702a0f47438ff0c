//! OpenID Connect discovery (`<issuer>/.well-known/openid-configuration`) and the
//! endpoint set a provider works with.

use bytes::Bytes;
use http::header::ACCEPT;
use serde::Deserialize;
use serde_json::{Map, Value};

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
        if !crate::providers::oauth::is_http_url(endpoint) {
            return Err(FlowError::new(format!("discovery: invalid endpoint URL {endpoint:?}")));
        }
    }
    Ok(meta)
}

/// `GET url` with `Accept: application/json` (and a bearer token), expecting a JSON object.
pub(crate) async fn get_json(
    http: &dyn HttpClient,
    url: &str,
    bearer: Option<&str>,
) -> Result<Map<String, Value>, FlowError> {
    match get_json_value(http, url, bearer).await? {
        Value::Object(m) => Ok(m),
        _ => Err(FlowError::new(format!("GET {url}: the response is not a JSON object"))),
    }
}

/// `GET url` with `Accept: application/json` (and a bearer token): any JSON value.
pub(crate) async fn get_json_value(http: &dyn HttpClient, url: &str, bearer: Option<&str>) -> Result<Value, FlowError> {
    let mut req = http::Request::get(url).header(ACCEPT, "application/json");
    if let Some(token) = bearer {
        req = req.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let req = req
        .body(Bytes::new())
        .map_err(|e| FlowError::new(format!("GET {url}: {e}")))?;
    let res = http.execute(req).await?;
    if !res.status().is_success() {
        return Err(FlowError::new(format!("GET {url}: HTTP {}", res.status())));
    }
    serde_json::from_slice(res.body()).map_err(|_| FlowError::new(format!("GET {url}: the response is not JSON")))
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
