//! Platform shims, split by target, so the rest of the crate does not depend on the
//! browser glue for them: the clock, the page's location, and URL parsing (the `url` crate
//! natively, the browser's `URL` in wasm32, which keeps `url`'s IDNA tables out of the
//! wasm binary). A leaf: it uses only [`ClientError`].

use crate::error::ClientError;

/// Unix seconds from the system clock (0 before 1970).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Unix seconds from `Date.now()`.
#[cfg(target_arch = "wasm32")]
pub(crate) fn unix_seconds() -> u64 {
    (js_sys::Date::now() / 1000.0).floor() as u64
}

/// `window.location.href`.
#[cfg(target_arch = "wasm32")]
pub(crate) fn location_href() -> Option<String> {
    web_sys::window()?.location().href().ok()
}

/// `(origin, path)` of an absolute http(s) URL with a host (WHATWG rules: the `url` crate).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn split_url(input: &str, text: &str) -> Result<(String, String), ClientError> {
    let url = url::Url::parse(text).map_err(|e| ClientError::invalid_url(input, e))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ClientError::invalid_url(input, "the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ClientError::invalid_url(input, "no host"));
    }
    Ok((url.origin().ascii_serialization(), url.path().to_owned()))
}

/// `(origin, path)` of an absolute http(s) URL with a host (the browser's `URL`).
#[cfg(target_arch = "wasm32")]
pub(crate) fn split_url(input: &str, text: &str) -> Result<(String, String), ClientError> {
    let url = web_sys::Url::new(text).map_err(|_| ClientError::invalid_url(input, "not an absolute URL"))?;
    if !matches!(url.protocol().as_str(), "http:" | "https:") {
        return Err(ClientError::invalid_url(input, "the scheme must be http or https"));
    }
    if url.hostname().is_empty() {
        return Err(ClientError::invalid_url(input, "no host"));
    }
    Ok((url.origin(), url.pathname()))
}

/// The first query parameter `name` of an absolute URL
/// (`new URL(url).searchParams.get(name)`).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn query_param(url: &str, name: &str) -> Result<Option<String>, ClientError> {
    let parsed = url::Url::parse(url).map_err(|e| ClientError::invalid_url(url, e))?;
    Ok(parsed
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned()))
}

/// The first query parameter `name` of an absolute URL
/// (`new URL(url).searchParams.get(name)`).
#[cfg(target_arch = "wasm32")]
pub(crate) fn query_param(url: &str, name: &str) -> Result<Option<String>, ClientError> {
    let parsed = web_sys::Url::new(url).map_err(|_| ClientError::invalid_url(url, "not an absolute URL"))?;
    Ok(parsed.search_params().get(name))
}
