//! Cookie names, attributes and serialisation (spec §3), request cookie parsing, and
//! the chunking of large session cookies (§3.4).

use std::time::SystemTime;

use http::HeaderValue;
use http::header::COOKIE;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::session::jwt::Compat;

/// `encodeURIComponent` leaves these unescaped.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// The `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SameSite {
    /// `Lax`: sent on top-level navigations (the default; OAuth return trips need it).
    #[default]
    Lax,
    /// `Strict`: never sent cross-site (breaks OAuth callbacks).
    Strict,
    /// `None`: always sent (needs `Secure`; used for `form_post` callbacks).
    None,
}

impl SameSite {
    fn as_str(self) -> &'static str {
        match self {
            SameSite::Lax => "Lax",
            SameSite::Strict => "Strict",
            SameSite::None => "None",
        }
    }
}

/// Attributes of one cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieOptions {
    /// `HttpOnly` (default true).
    pub http_only: bool,
    /// `SameSite` (default Lax).
    pub same_site: SameSite,
    /// `Path` (default `/`).
    pub path: String,
    /// `Secure` (default: when the configured URL is https).
    pub secure: bool,
    /// `Domain` (default none: host-only).
    pub domain: Option<String>,
    /// A `Max-Age` written with every value (the check cookies' 900 s).
    pub max_age: Option<i64>,
}

impl CookieOptions {
    fn defaults(secure: bool) -> Self {
        CookieOptions {
            http_only: true,
            same_site: SameSite::Lax,
            path: "/".into(),
            secure,
            domain: None,
            max_age: None,
        }
    }
}

/// A cookie's name and attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieDef {
    /// Full name, prefix included.
    pub name: String,
    /// Attributes.
    pub options: CookieOptions,
}

impl CookieDef {
    /// `Set-Cookie` for `value`, with `Expires` when given.
    pub fn set(&self, value: &str, expires: Option<SystemTime>) -> HeaderValue {
        serialize(&self.name, value, self.options.max_age, expires, &self.options)
    }

    /// `Set-Cookie` that removes the cookie (`Max-Age=0`, same Path/Domain).
    pub fn clear(&self) -> HeaderValue {
        self.clear_named(&self.name)
    }

    fn clear_named(&self, name: &str) -> HeaderValue {
        serialize(name, "", Some(0), None, &self.options)
    }
}

/// The six cookies of the protocol (spec §3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieSet {
    /// Session token (JWE or database token), chunked when large.
    pub session_token: CookieDef,
    /// The validated callback URL.
    pub callback_url: CookieDef,
    /// CSRF double-submit cookie (`__Host-` on https).
    pub csrf_token: CookieDef,
    /// OAuth PKCE verifier.
    pub pkce_code_verifier: CookieDef,
    /// OAuth state.
    pub state: CookieDef,
    /// OIDC nonce.
    pub nonce: CookieDef,
}

/// Check cookies live 15 minutes.
pub const CHECK_MAX_AGE_SECS: i64 = 900;

impl CookieSet {
    /// The defaults for a compatibility mode, with `__Secure-`/`__Host-` prefixes when `secure`.
    pub fn defaults(compat: Compat, secure: bool) -> Self {
        let stem = match compat {
            Compat::NextAuthV4 => "next-auth",
            Compat::AuthJsV5 => "authjs",
        };
        let p = if secure { "__Secure-" } else { "" };
        let h = if secure { "__Host-" } else { "" };
        let def = |name: String, max_age: Option<i64>| CookieDef {
            name,
            options: CookieOptions {
                max_age,
                ..CookieOptions::defaults(secure)
            },
        };
        CookieSet {
            session_token: def(format!("{p}{stem}.session-token"), None),
            callback_url: def(format!("{p}{stem}.callback-url"), None),
            csrf_token: def(format!("{h}{stem}.csrf-token"), None),
            pkce_code_verifier: def(format!("{p}{stem}.pkce.code_verifier"), Some(CHECK_MAX_AGE_SECS)),
            state: def(format!("{p}{stem}.state"), Some(CHECK_MAX_AGE_SECS)),
            nonce: def(format!("{p}{stem}.nonce"), None),
        }
    }

    /// Every cookie definition, for validation.
    pub fn all(&self) -> [&CookieDef; 6] {
        [
            &self.session_token,
            &self.callback_url,
            &self.csrf_token,
            &self.pkce_code_verifier,
            &self.state,
            &self.nonce,
        ]
    }
}

/// Serialises like `cookie@0.7`: `name=value; Max-Age; Domain; Path; Expires; HttpOnly; Secure; SameSite`.
fn serialize(
    name: &str,
    value: &str,
    max_age: Option<i64>,
    expires: Option<SystemTime>,
    o: &CookieOptions,
) -> HeaderValue {
    use std::fmt::Write;
    let mut s = String::with_capacity(name.len() + value.len() + 96);
    s.push_str(name);
    s.push('=');
    // JWEs, hex and UUIDs need no escaping: skip the encoder for them.
    if all_bytes(value.as_bytes(), |b| {
        b.is_ascii_alphanumeric() | (b == b'-') | (b == b'_') | (b == b'.')
    }) {
        s.push_str(value);
    } else {
        s.extend(utf8_percent_encode(value, URI_COMPONENT));
    }
    if let Some(m) = max_age {
        let _ = write!(s, "; Max-Age={m}");
    }
    if let Some(d) = &o.domain {
        s.push_str("; Domain=");
        s.push_str(d);
    }
    s.push_str("; Path=");
    s.push_str(&o.path);
    if let Some(e) = expires {
        // Formatted in place (`fmt_http_date` would allocate a String).
        let _ = write!(s, "; Expires={}", httpdate::HttpDate::from(e));
    }
    if o.http_only {
        s.push_str("; HttpOnly");
    }
    if o.secure {
        s.push_str("; Secure");
    }
    s.push_str("; SameSite=");
    s.push_str(o.same_site.as_str());
    // Names and attributes are validated when the `Auth` is built and the value is
    // percent-encoded, so this is always a valid header value.
    HeaderValue::try_from(s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `bytes.iter().all(pred)`, checked in blocks without an early exit inside a block, so
/// that the compiler can vectorise it (session cookies are hundreds of bytes).
fn all_bytes(bytes: &[u8], pred: impl Fn(u8) -> bool) -> bool {
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        if !block.iter().fold(true, |ok, &b| ok & pred(b)) {
            return false;
        }
    }
    blocks.remainder().iter().all(|&b| pred(b))
}

/// `HeaderValue::to_str`: the value when every byte is visible ASCII or a tab.
fn header_str(value: &HeaderValue) -> Option<&str> {
    let bytes = value.as_bytes();
    if all_bytes(bytes, |b| (b == b'\t') | ((0x20..0x7f).contains(&b))) {
        std::str::from_utf8(bytes).ok()
    } else {
        None
    }
}

/// Whether `name` is a valid cookie name (an RFC 7230 token).
pub(crate) fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether an attribute value (path, domain) is safe to put in a Set-Cookie header.
pub(crate) fn is_valid_attribute(value: &str) -> bool {
    value.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b';')
}

/// The cookies of a request, parsed like `cookie.parse`: pairs split on `;`, trimmed,
/// surrounding quotes removed, values percent-decoded (kept as is when that fails).
#[derive(Clone, Default)]
pub struct RequestCookies {
    /// Every name and value, back to back.
    buf: String,
    /// `(name start, name end = value start, value end)` in `buf`, in request order.
    pairs: Vec<(usize, usize, usize)>,
}

/// Names only: cookie values are credentials (session token, CSRF token, check cookies).
impl std::fmt::Debug for RequestCookies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestCookies")
            .field("names", &self.iter().map(|(name, _)| name).collect::<Vec<_>>())
            .finish()
    }
}

impl RequestCookies {
    /// Parses every `Cookie` header.
    pub fn from_headers(headers: &http::HeaderMap) -> Self {
        let mut cookies = RequestCookies::default();
        let mut scratch = Vec::new();
        for header in headers.get_all(COOKIE) {
            let Some(header) = header_str(header) else {
                continue;
            };
            cookies.buf.reserve(header.len());
            for pair in header.split(';') {
                let Some((name, value)) = pair.split_once('=') else {
                    continue;
                };
                let name = name.trim_matches([' ', '\t']);
                if name.is_empty() || cookies.get(name).is_some() {
                    continue;
                }
                let mut value = value.trim_matches([' ', '\t']);
                if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
                    value = &value[1..value.len() - 1];
                }
                let start = cookies.buf.len();
                cookies.buf.push_str(name);
                let mid = cookies.buf.len();
                match percent_decode(value, &mut scratch) {
                    Some(decoded) => cookies.buf.push_str(decoded),
                    None => cookies.buf.push_str(value),
                }
                cookies.pairs.push((start, mid, cookies.buf.len()));
            }
        }
        cookies
    }

    /// Names and values, in request order.
    fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.pairs.iter().map(|&(a, b, c)| (&self.buf[a..b], &self.buf[b..c]))
    }

    /// The value of the first cookie called `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// Names of the cookies that belong to the (possibly chunked) cookie `name`, in request order.
    pub fn chunk_names<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.iter().map(|(n, _)| n).filter(move |n| n.starts_with(name))
    }

    /// Reassembles a chunked cookie: the bare cookie when present, else `name.0`, `name.1`, …
    /// joined in numeric order. `None` when nothing (or only empty values) came in.
    pub fn chunked(&self, name: &str) -> Option<String> {
        if let Some(v) = self.get(name) {
            return (!v.is_empty()).then(|| v.to_owned());
        }
        let mut chunks: Vec<(u32, &str)> = self
            .iter()
            .filter_map(|(n, v)| {
                let idx = n.strip_prefix(name)?.strip_prefix('.')?.parse().ok()?;
                Some((idx, v))
            })
            .collect();
        if chunks.is_empty() {
            return None;
        }
        chunks.sort_unstable_by_key(|(i, _)| *i);
        let joined: String = chunks.into_iter().map(|(_, v)| v).collect();
        (!joined.is_empty()).then_some(joined)
    }
}

/// `percent_decode_str(value).decode_utf8()` into `scratch`: `None` when `value` has no
/// `%` (nothing to decode) or the decoded bytes are not UTF-8 (the value is kept as is).
/// A `%` not followed by two hex digits stays literal.
fn percent_decode<'a>(value: &str, scratch: &'a mut Vec<u8>) -> Option<&'a str> {
    // `str::find` with a char searches with memchr: most values (JWEs) have no `%`, and
    // the runs between escapes (hex CSRF tokens) are long.
    let mut at = value.find('%')?;
    let mut rest = value;
    scratch.clear();
    scratch.reserve(rest.len());
    loop {
        scratch.extend_from_slice(&rest.as_bytes()[..at]);
        rest = &rest[at + 1..];
        let hex = rest.as_bytes();
        match (hex.first().and_then(hex_digit), hex.get(1).and_then(hex_digit)) {
            (Some(hi), Some(lo)) => {
                scratch.push(hi << 4 | lo);
                // Two ASCII hex digits: still on a character boundary.
                rest = &rest[2..];
            }
            _ => scratch.push(b'%'),
        }
        match rest.find('%') {
            Some(next) => at = next,
            None => break,
        }
    }
    scratch.extend_from_slice(rest.as_bytes());
    std::str::from_utf8(scratch).ok()
}

fn hex_digit(b: &u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Chunk size for a compatibility mode: 4096 minus the estimated overhead (163 in v4, 160 in v5).
pub fn chunk_size(compat: Compat) -> usize {
    match compat {
        Compat::NextAuthV4 => 3933,
        Compat::AuthJsV5 => 3936,
    }
}

/// `Set-Cookie` headers that write `value` as the (possibly chunked) cookie `def`,
/// clearing every stale chunk that came in with the request (spec §3.4).
pub fn write_chunked(
    def: &CookieDef,
    value: &str,
    expires: Option<SystemTime>,
    request: &RequestCookies,
    chunk_size: usize,
) -> Vec<HeaderValue> {
    let write = |name: &str, chunk: &str| serialize(name, chunk, def.options.max_age, expires, &def.options);
    if value.len() <= chunk_size {
        // One cookie: stale chunks are cleared in request order, the cookie itself is
        // written in its request position or else last.
        let mut out = Vec::with_capacity(1);
        let mut written = false;
        for n in request.chunk_names(&def.name) {
            if n == def.name {
                out.push(write(n, value));
                written = true;
            } else {
                out.push(def.clear_named(n));
            }
        }
        if !written {
            out.push(write(&def.name, value));
        }
        return out;
    }
    // The value is a JWE or a token: ASCII, so byte slicing is character slicing.
    let chunks: Vec<(String, &str)> = value
        .as_bytes()
        .chunks(chunk_size)
        .enumerate()
        .map(|(i, chunk)| {
            (
                format!("{}.{i}", def.name),
                std::str::from_utf8(chunk).unwrap_or_default(),
            )
        })
        .collect();
    let mut out = Vec::with_capacity(chunks.len());
    for n in request.chunk_names(&def.name) {
        match chunks.iter().find(|(name, _)| name == n) {
            Some((_, chunk)) => out.push(write(n, chunk)),
            None => out.push(def.clear_named(n)),
        }
    }
    for (name, chunk) in &chunks {
        if !request.chunk_names(&def.name).any(|n| n == name) {
            out.push(write(name, chunk));
        }
    }
    out
}

/// `Set-Cookie` headers clearing every chunk of `def` present in the request.
pub fn clear_chunked(def: &CookieDef, request: &RequestCookies) -> Vec<HeaderValue> {
    request.chunk_names(&def.name).map(|n| def.clear_named(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn req(cookie: &str) -> RequestCookies {
        let mut h = http::HeaderMap::new();
        h.insert(COOKIE, HeaderValue::from_str(cookie).unwrap());
        RequestCookies::from_headers(&h)
    }

    #[test]
    fn names_follow_the_url_scheme() {
        let c = CookieSet::defaults(Compat::NextAuthV4, false);
        assert_eq!(c.session_token.name, "next-auth.session-token");
        assert_eq!(c.csrf_token.name, "next-auth.csrf-token");
        let s = CookieSet::defaults(Compat::NextAuthV4, true);
        assert_eq!(s.session_token.name, "__Secure-next-auth.session-token");
        assert_eq!(s.csrf_token.name, "__Host-next-auth.csrf-token");
        assert_eq!(s.pkce_code_verifier.name, "__Secure-next-auth.pkce.code_verifier");
        let v5 = CookieSet::defaults(Compat::AuthJsV5, true);
        assert_eq!(v5.session_token.name, "__Secure-authjs.session-token");
        assert_eq!(v5.csrf_token.name, "__Host-authjs.csrf-token");
        assert!(c.all().iter().all(|d| is_valid_name(&d.name)));
    }

    #[test]
    fn serialisation_matches_cookie_0_7() {
        let c = CookieSet::defaults(Compat::NextAuthV4, false);
        assert_eq!(
            c.csrf_token.set("ab|cd", None),
            "next-auth.csrf-token=ab%7Ccd; Path=/; HttpOnly; SameSite=Lax"
        );
        assert_eq!(
            c.callback_url.set("http://localhost:3000", None),
            "next-auth.callback-url=http%3A%2F%2Flocalhost%3A3000; Path=/; HttpOnly; SameSite=Lax"
        );
        let t = UNIX_EPOCH + Duration::from_secs(1_797_938_695);
        assert_eq!(
            c.session_token.set("eyJ.x", Some(t)),
            "next-auth.session-token=eyJ.x; Path=/; Expires=Tue, 22 Dec 2026 11:24:55 GMT; HttpOnly; SameSite=Lax"
        );
        assert_eq!(
            c.state.set("v", Some(t)),
            "next-auth.state=v; Max-Age=900; Path=/; Expires=Tue, 22 Dec 2026 11:24:55 GMT; HttpOnly; SameSite=Lax"
        );
        assert_eq!(
            c.state.clear(),
            "next-auth.state=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
        );
        let s = CookieSet::defaults(Compat::NextAuthV4, true);
        assert_eq!(
            s.csrf_token.set("x", None),
            "__Host-next-auth.csrf-token=x; Path=/; HttpOnly; Secure; SameSite=Lax"
        );
    }

    #[test]
    fn parsing_is_lenient() {
        let r = req(r#"a=1;  b="two" ;c=%7C;d=%E0%A4%A;a=dup;=x;noeq; e = v%20w"#);
        assert_eq!(r.get("a"), Some("1"));
        assert_eq!(r.get("b"), Some("two"));
        assert_eq!(r.get("c"), Some("|"));
        assert_eq!(r.get("d"), Some("%E0%A4%A")); // bad encoding: kept as is
        assert_eq!(r.get("e"), Some("v w"));
        assert_eq!(r.get("noeq"), None);
    }

    #[test]
    fn chunks_are_reassembled_in_numeric_order() {
        let r = req("s.10=K; s.2=C; s.0=A; s.1=B; other=x");
        assert_eq!(r.chunked("s").as_deref(), Some("ABCK"));
        assert_eq!(req("s=whole; s.0=stale").chunked("s").as_deref(), Some("whole"));
        assert_eq!(req("s=").chunked("s"), None);
        assert_eq!(req("x=1").chunked("s"), None);
    }

    #[test]
    fn writing_chunks_clears_stale_ones() {
        let def = CookieSet::defaults(Compat::NextAuthV4, false).session_token;
        let big = "a".repeat(3933 + 3026);
        let out = write_chunked(&def, &big, None, &RequestCookies::default(), 3933);
        assert_eq!(out.len(), 2);
        assert!(
            out[0]
                .to_str()
                .unwrap()
                .starts_with(&format!("next-auth.session-token.0={}; ", "a".repeat(3933)))
        );
        assert!(
            out[1]
                .to_str()
                .unwrap()
                .starts_with(&format!("next-auth.session-token.1={}; ", "a".repeat(3026)))
        );
        // Exactly 3933 characters still fits in one cookie.
        assert_eq!(
            write_chunked(&def, &"b".repeat(3933), None, &RequestCookies::default(), 3933).len(),
            1
        );

        let r = req("next-auth.session-token.0=x; next-auth.session-token.1=y");
        let out: Vec<_> = write_chunked(&def, "tok", None, &r, 3933)
            .into_iter()
            .map(|h| h.to_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            out,
            [
                "next-auth.session-token.0=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
                "next-auth.session-token.1=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
                "next-auth.session-token=tok; Path=/; HttpOnly; SameSite=Lax",
            ]
        );
        assert_eq!(clear_chunked(&def, &r).len(), 2);
        assert!(clear_chunked(&def, &RequestCookies::default()).is_empty());
    }

    /// The straightforward `write_chunked`: clear every request chunk, then overwrite.
    fn reference_write_chunked(
        def: &CookieDef,
        value: &str,
        expires: Option<SystemTime>,
        request: &RequestCookies,
        chunk_size: usize,
    ) -> Vec<HeaderValue> {
        let mut out: Vec<(String, HeaderValue)> = request
            .chunk_names(&def.name)
            .map(|n| (n.to_owned(), def.clear_named(n)))
            .collect();
        let mut put = |name: String, chunk: &str| {
            let header = serialize(&name, chunk, def.options.max_age, expires, &def.options);
            match out.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = header,
                None => out.push((name, header)),
            }
        };
        if value.len() <= chunk_size {
            put(def.name.clone(), value);
        } else {
            for (i, chunk) in value.as_bytes().chunks(chunk_size).enumerate() {
                put(format!("{}.{i}", def.name), std::str::from_utf8(chunk).unwrap());
            }
        }
        out.into_iter().map(|(_, h)| h).collect()
    }

    #[test]
    fn chunk_writing_keeps_its_order_whatever_came_in() {
        let def = CookieSet::defaults(Compat::NextAuthV4, false).session_token;
        let t = UNIX_EPOCH + Duration::from_secs(1_797_938_695);
        let requests = [
            "",
            "next-auth.session-token=old",
            "a=1; next-auth.session-token=old; b=2",
            "next-auth.session-token.1=y; next-auth.session-token=old; next-auth.session-token.0=x",
            "next-auth.session-token.0=x; next-auth.session-token.1=y; next-auth.session-token.2=z",
            "next-auth.session-token.2=z; next-auth.session-token.0=x",
            "next-auth.session-tokenX=1; next-auth.session-token.07=q",
        ];
        for cookie in requests {
            let r = if cookie.is_empty() {
                RequestCookies::default()
            } else {
                req(cookie)
            };
            for len in [0, 5, 10, 11, 25, 31] {
                let value = "v".repeat(len);
                for expires in [None, Some(t)] {
                    assert_eq!(
                        write_chunked(&def, &value, expires, &r, 10),
                        reference_write_chunked(&def, &value, expires, &r, 10),
                        "{cookie:?} {len}"
                    );
                }
            }
        }
    }

    #[test]
    fn header_str_is_to_str() {
        for b in 0..=255u8 {
            for len in [1, 31, 32, 33, 70] {
                let mut v = vec![b'a'; len];
                v[len / 2] = b;
                if let Ok(h) = HeaderValue::from_bytes(&v) {
                    assert_eq!(header_str(&h), h.to_str().ok(), "{b} {len}");
                }
            }
        }
    }

    #[test]
    fn decoding_matches_percent_encoding() {
        let cases = [
            "",
            "plain",
            "%",
            "%%",
            "%7C",
            "%7c",
            "a%7Cb%7cc",
            "%E0%A4%A",
            "%E2%82%AC",
            "%FF",
            "%G0",
            "%0",
            "%0G",
            "x%",
            "x%2",
            "%25%32%35",
            "%%41",
            "%41%",
            "v%20w",
            "%C3%A9t%C3%A9",
            "é%41é",
            "%é",
            "%4é",
        ];
        let mut scratch = Vec::new();
        for c in cases {
            let expected = percent_encoding::percent_decode_str(c)
                .decode_utf8()
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| c.to_owned());
            let got = percent_decode(c, &mut scratch)
                .map(str::to_owned)
                .unwrap_or_else(|| c.to_owned());
            assert_eq!(got, expected, "{c:?}");
        }
    }
}
