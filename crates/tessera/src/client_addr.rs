//! The client's address, for the per-client rate limits (security invariant 9).
//!
//! The client is the connection's peer ([`crate::rate_limit::ClientIp`], put in the request
//! extensions by the framework integration). Only when that peer is a trusted proxy
//! (`AUTH_TRUSTED_PROXIES`, [`crate::AuthBuilder::trusted_proxies`]) are forwarded headers
//! read: proxies append the address they received the request from, so the chain is walked
//! from the right, trusted hops are skipped, and the first hop that is not trusted is the
//! client. Entries further left were written by the client and are never believed.
//!
//! * `X-Forwarded-For` is read; RFC 7239 `Forwarded` (`for=`) only when a request has no
//!   `X-Forwarded-For` at all. A proxy that writes only `Forwarded` must therefore drop
//!   `X-Forwarded-For` sent by clients.
//! * If every hop is trusted, the left-most examined hop is the client.
//! * A hop that is not an address (`unknown`, an obfuscated `_id`, garbage) where the client
//!   should be cannot be keyed on (its text is attacker-chosen when the trusted peer passes
//!   it through), and is never "no client" (which would switch the per-client limits off):
//!   the client is then the nearest trusted hop, the proxy that reported it. Such clients
//!   share that proxy's bucket.
//! * Parsing is one pass over the headers, and keeps only the last [`MAX_HOPS`] hops.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicBool, Ordering};

use http::HeaderMap;

/// Forwarded hops examined at most, counting from the right.
pub(crate) const MAX_HOPS: usize = 16;

/// The longest hop text that can hold an address (`"[v6]:port"` is at most 47 bytes).
const MAX_NODE_LEN: usize = 64;

/// An IP network: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// `10.0.0.0/8`, `fd00::/8`, or one address (`127.0.0.1`, `::1`). Host bits below the
    /// prefix are ignored; IPv4-mapped IPv6 networks (`::ffff:10.0.0.0/104`) fold to IPv4.
    fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let ip: IpAddr = addr.parse().ok()?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
            Some(_) => return None,
        };
        if prefix > max {
            return None;
        }
        let (ip, prefix) = match ip {
            IpAddr::V6(v6) if prefix >= 96 => match v6.to_ipv4_mapped() {
                Some(v4) => (IpAddr::V4(v4), prefix - 96),
                None => (ip, prefix),
            },
            _ => (ip, prefix),
        };
        Some(Cidr {
            net: mask(ip, prefix),
            prefix,
        })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        ip.is_ipv4() == self.net.is_ipv4() && mask(ip, self.prefix) == self.net
    }
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let m = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(v4) & m))
        }
        IpAddr::V6(v6) => {
            let m = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & m))
        }
    }
}

/// IPv4-mapped IPv6 (a dual-stack listener's view of an IPv4 peer) folds to IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// The configured trusted proxies, and how a request's client address is found.
#[derive(Debug, Default)]
pub(crate) struct TrustedProxies {
    nets: Vec<Cidr>,
    /// Whether a missing peer address matters (some per-client limit is on).
    warn_without_peer: bool,
    /// Set once the missing peer address has been logged.
    warned: AtomicBool,
    /// Set once a trusted peer without forwarded headers has been logged.
    warned_no_hops: AtomicBool,
}

impl TrustedProxies {
    /// Parses the entries (IP addresses and CIDRs); the first malformed one is the error
    /// (the builder reports it as
    /// [`ConfigError::InvalidTrustedProxy`](crate::ConfigError::InvalidTrustedProxy)).
    pub(crate) fn parse<S: AsRef<str>>(entries: &[S], warn_without_peer: bool) -> Result<Self, &str> {
        let nets = entries
            .iter()
            .map(|e| Cidr::parse(e.as_ref().trim()).ok_or(e.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(TrustedProxies {
            nets,
            warn_without_peer,
            warned: AtomicBool::new(false),
            warned_no_hops: AtomicBool::new(false),
        })
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(ip))
    }

    /// The client's address: `peer`, or what a trusted `peer` reports (see the module docs).
    /// `None` only when the peer is unknown, which is logged once.
    pub(crate) fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let Some(peer) = peer.map(canonical) else {
            if self.warn_without_peer && !self.warned.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    "no client address on requests (serve with `into_make_service_with_connect_info`, or insert \
                     `tessera::rate_limit::ClientIp`): per-client rate limits are off"
                );
            }
            return None;
        };
        if !self.trusts(peer) {
            return Some(peer);
        }
        let hops = forwarded_hops(headers);
        if hops.is_empty() && !self.warned_no_hops.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                proxy = %peer,
                "a request from a trusted proxy carried no X-Forwarded-For or Forwarded: its clients share one \
                 rate-limit bucket (have the proxy set X-Forwarded-For)"
            );
        }
        let mut nearest = peer;
        for hop in hops.into_iter().rev() {
            match hop {
                Some(ip) if self.trusts(ip) => nearest = ip,
                Some(ip) => return Some(ip),
                None => return Some(nearest),
            }
        }
        Some(nearest)
    }
}

/// The last [`MAX_HOPS`] hops of the forwarded chain, left to right; `None` for a hop that
/// is not an address.
fn forwarded_hops(headers: &HeaderMap) -> VecDeque<Option<IpAddr>> {
    let mut hops = VecDeque::with_capacity(MAX_HOPS);
    let mut push = |hop: Option<IpAddr>| {
        if hops.len() == MAX_HOPS {
            hops.pop_front();
        }
        hops.push_back(hop);
    };
    let xff = headers.get_all("x-forwarded-for");
    if xff.iter().next().is_some() {
        for line in xff {
            for entry in line.as_bytes().split(|&b| b == b',') {
                let entry = entry.trim_ascii();
                if !entry.is_empty() {
                    push(parse_node(entry));
                }
            }
        }
    } else {
        for line in headers.get_all("forwarded") {
            forwarded_for(line.as_bytes(), &mut push);
        }
    }
    hops
}

/// The `for=` of each element of one RFC 7239 `Forwarded` line, in one pass: elements are
/// separated by `,`, pairs by `;`, values are tokens or quoted strings (which may contain
/// either). An element without exactly one `for` is a hop that is not an address.
fn forwarded_for(line: &[u8], push: &mut impl FnMut(Option<IpAddr>)) {
    let mut i = 0;
    let mut element_empty = true;
    // `None`: no `for` yet; `Some(hop)`: the one seen; a second one makes the hop garbage.
    let mut for_hop: Option<Option<IpAddr>> = None;
    while i < line.len() {
        // One pair: name up to '=', ';' or ','.
        let start = i;
        while i < line.len() && !matches!(line[i], b'=' | b';' | b',') {
            i += 1;
        }
        let name = line[start..i].trim_ascii();
        let mut value: Option<&[u8]> = None;
        if i < line.len() && line[i] == b'=' {
            i += 1;
            while i < line.len() && matches!(line[i], b' ' | b'\t') {
                i += 1;
            }
            if i < line.len() && line[i] == b'"' {
                i += 1;
                let v = i;
                while i < line.len() && line[i] != b'"' {
                    // A quoted pair: the escaped byte cannot end the string.
                    i += if line[i] == b'\\' { 2 } else { 1 };
                }
                // An unterminated string is no address (and ends the line).
                value = Some(if i < line.len() { &line[v..i] } else { &[] });
                i = (i + 1).min(line.len());
                while i < line.len() && !matches!(line[i], b';' | b',') {
                    i += 1;
                }
            } else {
                let v = i;
                while i < line.len() && !matches!(line[i], b';' | b',') {
                    i += 1;
                }
                value = Some(line[v..i].trim_ascii());
            }
        }
        if !name.is_empty() || value.is_some() {
            element_empty = false;
        }
        if name.eq_ignore_ascii_case(b"for") {
            let hop = value.and_then(parse_node);
            for_hop = Some(if for_hop.is_some() { None } else { hop });
        }
        let separator = line.get(i).copied();
        i += 1;
        if separator != Some(b';') {
            // ',' or the end: the element is complete.
            if !element_empty {
                push(for_hop.flatten());
            }
            element_empty = true;
            for_hop = None;
        }
    }
}

/// One hop: `192.0.2.1`, `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:4711` or
/// `192.0.2.1:4711`; anything else (`unknown`, `_hidden`) is not an address.
fn parse_node(raw: &[u8]) -> Option<IpAddr> {
    if raw.len() > MAX_NODE_LEN {
        return None;
    }
    let s = std::str::from_utf8(raw).ok()?;
    let port_ok = |p: &str| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
    let ip = if let Some(rest) = s.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(port_ok)) {
            return None;
        }
        IpAddr::V6(v6.parse().ok()?)
    } else if let Ok(ip) = s.parse::<IpAddr>() {
        ip
    } else {
        let (v4, port) = s.split_once(':')?;
        if !port_ok(port) {
            return None;
        }
        IpAddr::V4(v4.parse().ok()?)
    };
    Some(canonical(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    fn proxies(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(entries, true).expect("valid entries")
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                v.parse().expect("value"),
            );
        }
        h
    }

    #[test]
    fn cidrs() {
        let c = Cidr::parse("10.0.0.0/8").expect("cidr");
        assert!(c.contains(ip("10.255.0.1")) && !c.contains(ip("11.0.0.1")));
        assert!(
            Cidr::parse("10.1.2.3/8")
                .expect("host bits ignored")
                .contains(ip("10.9.9.9"))
        );
        assert!(Cidr::parse("0.0.0.0/0").expect("all").contains(ip("192.0.2.1")));
        assert!(!Cidr::parse("0.0.0.0/0").expect("all v4").contains(ip("::1")));
        assert!(Cidr::parse("fd00::/8").expect("v6").contains(ip("fd12::1")));
        assert!(Cidr::parse("::1").expect("one").contains(ip("::1")));
        assert!(
            Cidr::parse("::ffff:10.0.0.0/104")
                .expect("mapped")
                .contains(ip("10.1.1.1"))
        );
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "10.0.0/8",
            "x",
            "10.0.0.0/8/8",
        ] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn m2_untrusted_peer_is_the_client_and_headers_are_ignored() {
        let p = proxies(&["10.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "192.0.2.1"), ("forwarded", "for=192.0.2.2")]);
        assert_eq!(p.client(Some(ip("198.51.100.1")), &h), Some(ip("198.51.100.1")));
        assert_eq!(proxies(&[]).client(Some(ip("10.0.0.1")), &h), Some(ip("10.0.0.1")));
        assert_eq!(p.client(Some(ip("::ffff:198.51.100.1")), &h), Some(ip("198.51.100.1")));
        assert_eq!(p.client(None, &h), None);
    }

    #[test]
    fn m2_right_most_untrusted_hop() {
        let p = proxies(&["10.0.0.0/8", "::1"]);
        let client = |v: &str| p.client(Some(ip("10.0.0.1")), &headers(&[("x-forwarded-for", v)]));
        assert_eq!(client("1.1.1.1, 192.0.2.1"), Some(ip("192.0.2.1")));
        assert_eq!(client("1.1.1.1, 192.0.2.1, 10.0.0.2"), Some(ip("192.0.2.1")));
        assert_eq!(
            client("10.0.0.3, 10.0.0.2"),
            Some(ip("10.0.0.3")),
            "all trusted: left-most"
        );
        assert_eq!(client("192.0.2.1:4711"), Some(ip("192.0.2.1")));
        assert_eq!(client("[2001:db8::1]:4711, ::1"), Some(ip("2001:db8::1")));
        assert_eq!(client("::ffff:192.0.2.1"), Some(ip("192.0.2.1")));
        // Garbage where the client should be: the proxy that reported it.
        assert_eq!(client("192.0.2.1, x"), Some(ip("10.0.0.1")));
        assert_eq!(client("192.0.2.1, unknown, 10.0.0.2"), Some(ip("10.0.0.2")));
        assert_eq!(client(""), Some(ip("10.0.0.1")), "no hops: the peer");
        assert_eq!(
            client(" , ,192.0.2.1,"),
            Some(ip("192.0.2.1")),
            "empty entries are skipped"
        );
        // Several lines form one list, in order.
        let h = headers(&[
            ("x-forwarded-for", "192.0.2.1"),
            ("x-forwarded-for", "192.0.2.2, 10.0.0.9"),
        ]);
        assert_eq!(p.client(Some(ip("10.0.0.1")), &h), Some(ip("192.0.2.2")));
    }

    #[test]
    fn m2_forwarded_header() {
        let p = proxies(&["10.0.0.0/8"]);
        let client = |v: &str| p.client(Some(ip("10.0.0.1")), &headers(&[("forwarded", v)]));
        assert_eq!(client("for=192.0.2.43"), Some(ip("192.0.2.43")));
        assert_eq!(
            client(r#"For="[2001:db8:cafe::17]:4711""#),
            Some(ip("2001:db8:cafe::17"))
        );
        assert_eq!(
            client("for=192.0.2.43;proto=https;by=10.0.0.5, for=198.51.100.17;by=10.0.0.1"),
            Some(ip("198.51.100.17"))
        );
        assert_eq!(client(r#"for=192.0.2.43, for="10.0.0.7:80""#), Some(ip("192.0.2.43")));
        // Quoted strings may hold separators; they do not split elements.
        assert_eq!(client(r#"for="a,b;c", for=192.0.2.9"#), Some(ip("192.0.2.9")));
        assert_eq!(client(r#"for=192.0.2.9;x="1,2", for=10.0.0.3"#), Some(ip("192.0.2.9")));
        // Unknown and obfuscated identifiers, elements without `for`, a repeated `for`,
        // an unterminated string: the reporting proxy.
        assert_eq!(client("for=192.0.2.1, for=unknown"), Some(ip("10.0.0.1")));
        assert_eq!(client("for=192.0.2.1, for=_hidden, for=10.0.0.4"), Some(ip("10.0.0.4")));
        assert_eq!(client("for=192.0.2.1, proto=https"), Some(ip("10.0.0.1")));
        assert_eq!(client("for=192.0.2.1;for=192.0.2.2"), Some(ip("10.0.0.1")));
        assert_eq!(client(r#"for="192.0.2.1"#), Some(ip("10.0.0.1")));
        assert_eq!(client(r#"for="\"192.0.2.1""#), Some(ip("10.0.0.1")));
        // X-Forwarded-For wins when both are present.
        let h = headers(&[("forwarded", "for=192.0.2.1"), ("x-forwarded-for", "192.0.2.2")]);
        assert_eq!(p.client(Some(ip("10.0.0.1")), &h), Some(ip("192.0.2.2")));
    }

    #[test]
    fn m2_hops_examined_are_capped() {
        let p = proxies(&["10.0.0.0/8"]);
        // A long chain of trusted hops: only the last MAX_HOPS are examined.
        let chain = (0..100_000u32)
            .map(|i| Ipv4Addr::from(0x0a00_0000 + i).to_string())
            .collect::<Vec<_>>()
            .join(",");
        let got = p.client(Some(ip("10.0.0.1")), &headers(&[("x-forwarded-for", &chain)]));
        let oldest_examined = Ipv4Addr::from(0x0a00_0000 + 100_000 - MAX_HOPS as u32);
        assert_eq!(got, Some(IpAddr::V4(oldest_examined)));
        let forwarded = format!("for=192.0.2.1, {}", "for=10.0.0.2, ".repeat(100_000));
        let got = p.client(Some(ip("10.0.0.1")), &headers(&[("forwarded", &forwarded)]));
        assert_eq!(got, Some(ip("10.0.0.2")));
        // One huge entry is not parsed as an address.
        let huge = format!("{}1", "0".repeat(1 << 20));
        assert_eq!(parse_node(huge.as_bytes()), None);
    }

    #[test]
    fn m2_malformed_entry_is_named() {
        let err = TrustedProxies::parse(&["10.0.0.0/8", "10.0.0.0/40"], false).expect_err("bad prefix");
        assert_eq!(err, "10.0.0.0/40");
    }
}
