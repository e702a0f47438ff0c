//! `GET /providers` (spec §2.4): no preamble cookies, no cache headers.

use bytes::Bytes;
use tessera_protocol::{ProviderInfo, Providers};

use crate::config::Config;
use crate::providers::Provider;
use crate::response::AuthResponse;
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

pub(crate) fn render(providers: &[Provider], url: &BaseUrl) -> Bytes {
    Bytes::from(serde_json::to_vec(&list(providers, url)).expect("a map of string-keyed structs serializes"))
}

pub(crate) fn get(config: &Config, url: &BaseUrl) -> http::Response<Bytes> {
    // Served from the copy rendered at build time unless the origin came from the request.
    let body = if std::ptr::eq(url, &config.url) {
        config.providers_json.clone()
    } else {
        render(&config.providers, url)
    };
    AuthResponse::json(body)
        .without_preamble()
        .finish(Vec::new(), false, "")
}
