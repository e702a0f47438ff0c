//! URLs: the canonical [`BaseUrl`] of the API, and the rule for the absolute http(s) URLs
//! of identity providers.

use url::Url;

/// The canonical URL, split as spec §1.1 does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BaseUrl {
    /// `scheme://host[:port]`, no trailing slash.
    pub origin: String,
    /// `/api/auth` by default, no trailing slash.
    pub path: String,
    /// `origin + path`.
    pub base: String,
}

impl BaseUrl {
    /// Parses the configured URL; the error is why it is refused (the reason of
    /// [`ConfigError::InvalidUrl`](crate::ConfigError::InvalidUrl)).
    pub(crate) fn parse(raw: &str) -> Result<BaseUrl, String> {
        let err = |reason: &str| reason.to_owned();
        if raw.contains("://") && !raw.starts_with("http://") && !raw.starts_with("https://") {
            return Err(err("must be an http(s) URL"));
        }
        let with_scheme = if raw.starts_with("http") {
            raw.to_owned()
        } else {
            format!("https://{raw}")
        };
        let url = Url::parse(&with_scheme).map_err(|e| err(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(err("must be an absolute http(s) URL"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(err("must not contain credentials"));
        }
        let origin = url.origin().ascii_serialization();
        let path = match url.path() {
            "/" => tessera_protocol::DEFAULT_BASE_PATH.to_owned(),
            p => p.trim_end_matches('/').to_owned(),
        };
        Ok(BaseUrl {
            base: format!("{origin}{path}"),
            origin,
            path,
        })
    }

    /// `host[:port]` of the origin.
    pub(crate) fn host(&self) -> &str {
        self.origin.split_once("://").map_or(self.origin.as_str(), |(_, h)| h)
    }

    pub(crate) fn is_https(&self) -> bool {
        self.origin.starts_with("https://")
    }
}

/// Whether `s` is an absolute http(s) URL without credentials or fragment.
pub(crate) fn is_http_url(s: &str) -> bool {
    Url::parse(s).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some()
            && u.username().is_empty()
            && u.password().is_none()
            && u.fragment().is_none()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        let u = BaseUrl::parse("http://localhost:3000").unwrap();
        assert_eq!(
            (u.origin.as_str(), u.path.as_str()),
            ("http://localhost:3000", "/api/auth")
        );
        let u = BaseUrl::parse("app.example.com/custom/auth/").unwrap();
        assert_eq!(u.base, "https://app.example.com/custom/auth");
        let refusal = |raw: &str| BaseUrl::parse(raw).expect_err(raw);
        assert_eq!(refusal("ftp://x"), "must be an http(s) URL");
        assert!(refusal("http://[").contains("invalid IPv6 address"));
        assert_eq!(refusal("https://u:p@x.com"), "must not contain credentials");
    }
}
