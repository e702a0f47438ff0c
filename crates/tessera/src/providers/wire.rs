//! The wire list of `GET /providers` (spec §2.4): each provider's id, name, kind and URLs
//! under a base URL.

use bytes::Bytes;
use tessera_protocol::{ProviderInfo, Providers};

use super::Provider;
use crate::url::BaseUrl;

/// The wire list for a URL.
pub(crate) fn list(providers: &[Provider], url: &BaseUrl) -> Providers {
    Providers(
        providers
            .iter()
            .map(|p| ProviderInfo {
                id: p.id().to_owned(),
                name: p.name().to_owned(),
                kind: p.kind(),
                signin_url: format!("{}/signin/{}", url.base, p.id()),
                callback_url: format!("{}/callback/{}", url.base, p.id()),
            })
            .collect(),
    )
}

/// The wire list for a URL, serialised.
pub(crate) fn render(providers: &[Provider], url: &BaseUrl) -> Bytes {
    Bytes::from(serde_json::to_vec(&list(providers, url)).expect("a map of string-keyed structs serializes"))
}
