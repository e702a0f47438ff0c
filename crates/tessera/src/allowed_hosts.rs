//! The hosts a trust-host deployment answers for (`AUTH_ALLOWED_HOSTS`, security
//! invariant 7). With `trust_host` and no configured URL, the origin of links and redirects
//! comes from `X-Forwarded-Host`/`Host`; when an allow-list is set, a request for any other
//! host is refused before it is routed, so no magic link, redirect or provider URL is ever
//! built from a forged host.

use crate::url::BaseUrl;

/// A request's host is not in the allow-list (or it sent none that parses).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this site does not answer for the host {0:?}")]
pub(crate) struct HostNotAllowed(pub String);

/// One `host[:port]` entry: the host as the URL parser serialises it (lower case,
/// punycode, canonical IP), and the port when one was given.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AllowedHost {
    host: String,
    port: Option<u16>,
}

/// The allow-list. Empty means "no list" (any host, when trust-host mode allows that).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AllowedHosts(Vec<AllowedHost>);

impl AllowedHosts {
    /// Parses `host[:port]` entries (blank ones are skipped). A host without a port allows
    /// the scheme's default port (443 for https, 80 for http). The error is the first
    /// malformed entry (the builder reports it as
    /// [`ConfigError::InvalidAllowedHost`](crate::ConfigError::InvalidAllowedHost)).
    pub(crate) fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, &'a str> {
        let mut hosts = Vec::new();
        for raw in entries {
            let entry = raw.trim();
            if entry.is_empty() {
                continue;
            }
            hosts.push(parse_entry(entry).ok_or(raw)?);
        }
        Ok(AllowedHosts(hosts))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `url`'s host and port are listed (compared case-insensitively, default
    /// ports normalised).
    pub(crate) fn allows(&self, url: &BaseUrl) -> bool {
        let default_port = if url.is_https() { 443 } else { 80 };
        let Some((host, port)) = split_port(url.host()) else {
            return false;
        };
        let port = match port {
            Some(p) => match p.parse::<u16>() {
                Ok(p) => p,
                Err(_) => return false,
            },
            None => default_port,
        };
        self.0
            .iter()
            .any(|a| a.host.eq_ignore_ascii_case(host) && a.port.unwrap_or(default_port) == port)
    }
}

fn parse_entry(entry: &str) -> Option<AllowedHost> {
    if entry
        .bytes()
        .any(|b| b.is_ascii_control() || b.is_ascii_whitespace() || b"/\\@?#".contains(&b))
    {
        return None;
    }
    let (host, port) = split_port(entry)?;
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p != 0)?),
        None => None,
    };
    let host = url::Host::parse(host).ok()?.to_string();
    Some(AllowedHost { host, port })
}

/// `host[:port]` (IPv6 hosts in brackets) into host and port text.
fn split_port(s: &str) -> Option<(&str, Option<&str>)> {
    let (host, rest) = if s.starts_with('[') {
        let end = s.find(']')? + 1;
        s.split_at(end)
    } else {
        match s.find(':') {
            Some(i) => s.split_at(i),
            None => (s, ""),
        }
    };
    match rest {
        "" => Some((host, None)),
        r => {
            let port = r.strip_prefix(':')?;
            (!port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())).then_some((host, Some(port)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> BaseUrl {
        BaseUrl::parse(s).unwrap()
    }

    #[test]
    fn entries_are_normalised_and_compared_by_host_and_port() {
        let list = AllowedHosts::parse([
            "App.Example.COM",
            " www.example.com:8443 ",
            "",
            "[::1]:3000",
            "127.0.0.1",
        ])
        .unwrap();
        assert!(list.allows(&url("https://app.example.com")));
        assert!(list.allows(&url("http://app.example.com:80")));
        assert!(list.allows(&url("https://APP.example.com:443/api/auth")));
        assert!(!list.allows(&url("https://app.example.com:8443")));
        assert!(list.allows(&url("https://www.example.com:8443")));
        assert!(!list.allows(&url("https://www.example.com")));
        assert!(list.allows(&url("http://[::1]:3000")));
        assert!(list.allows(&url("http://2130706433")));
        assert!(!list.allows(&url("https://evil.example")));
        assert!(!list.allows(&url("https://app.example.com.evil.example")));

        let ports = AllowedHosts::parse(["a.example:443"]).unwrap();
        assert!(ports.allows(&url("https://a.example")));
        assert!(!ports.allows(&url("http://a.example")));
    }

    #[test]
    fn malformed_entries_are_refused() {
        for bad in [
            "https://a.example",
            "a.example/x",
            "u@a.example",
            "a.example:",
            "a.example:99999",
            "a.example:0",
            "a b",
            "::1",
            "[::1",
            "a.example:80:80",
        ] {
            assert_eq!(AllowedHosts::parse([bad]), Err(bad), "{bad:?}");
        }
    }
}
