//! `GET /providers` (spec §2.4): no preamble cookies, no cache headers.

use bytes::Bytes;

use crate::config::Config;
use crate::providers::wire::render;
use crate::response::AuthResponse;
use crate::url::BaseUrl;

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
