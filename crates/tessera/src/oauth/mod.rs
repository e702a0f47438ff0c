//! The outbound side of OAuth 2 / OpenID Connect: the injectable [`HttpClient`], issuer
//! discovery, the token exchange, userinfo, and the ID-token check.
//!
//! The bottom of the OAuth stack: it depends only on leaves (randomness, secrets, URLs).
//! The provider configuration is [`crate::providers::oauth`]; the flow itself (check
//! cookies, account handling) is the sign-in layer's.

pub(crate) mod discovery;
pub(crate) mod http_client;
pub(crate) mod id_token;
pub(crate) mod token;

/// Why a step of the OAuth flow failed (logged; the client sees only the error code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct FlowError(pub String);

impl FlowError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        FlowError(message.into())
    }
}

impl From<HttpError> for FlowError {
    fn from(e: HttpError) -> Self {
        FlowError(e.to_string())
    }
}

#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub use http_client::ReqwestClient;
pub use http_client::{HttpClient, HttpError, HttpRequest, HttpResponse};
pub use token::TokenSet;
