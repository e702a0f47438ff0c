//! Cookie names, attributes and serialisation (spec §3), request cookie parsing, and
//! the chunking of large session cookies (§3.4).

use std::time::SystemTime;

use http::HeaderValue;
use http::header::COOKIE;
use percent_encoding::utf8_percent_encode;

use crate::Compat;

use crate::redirect::URI_COMPONENT;

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
    pub(crate) fn set(&self, value: &str, expires: Option<SystemTime>) -> HeaderValue {
        serialize(&self.name, value, self.options.max_age, expires, &self.options)
    }

    /// `Set-Cookie` that removes the cookie (`Max-Age=0`, same Path/Domain).
    pub(crate) fn clear(&self) -> HeaderValue {
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
pub(crate) const CHECK_MAX_AGE_SECS: i64 = 900;

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
    pub(crate) fn all(&self) -> [&CookieDef; 6] {
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
    if all_bytes(value.as_bytes(), no_escape) {
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
    HeaderValue::try_from(s).expect(
        "a valid header value: names and attributes are validated when the `Auth` is built, the value is percent-encoded",
    )
}

/// Bytes a cookie value keeps as they are (the encoder would leave them alone too).
fn no_escape(b: u8) -> bool {
    b.is_ascii_alphanumeric() | (b == b'-') | (b == b'_') | (b == b'.')
}

/// `bytes.iter().all(pred)`, checked in blocks without an early exit inside a block, so
/// that the compiler can vectorise it (session cookies are hundreds of bytes).
///
/// Measured against `value.bytes().all(..)` in `serialize`, same binary: benches/profile.rs
/// `jwt` (callgrind), 61,494 instructions per GET /session with this, 65,205 without
/// (+6.0%); CPU time 5.45-5.60 µs against 5.95-6.35 µs per request (200k requests,
/// 3 runs). `all_bytes_is_iter_all` pins the two together.
fn all_bytes(bytes: &[u8], pred: impl Fn(u8) -> bool) -> bool {
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        if !block.iter().fold(true, |ok, &b| ok & pred(b)) {
            return false;
        }
    }
    blocks.remainder().iter().all(|&b| pred(b))
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

/// At most this many cookies are read from a request; the rest are ignored.
///
/// Browsers keep about 150–180 cookies per domain, and a request can carry a parent
/// domain's cookies too; a session cookie is at most a handful of chunks. The cap bounds
/// the work every request costs (lookups, clearing stale chunks) whatever the header holds
/// (security review H1).
#[doc(hidden)]
pub const MAX_REQUEST_COOKIES: usize = 512;

/// At most this many bytes of cookie names and values (before percent-decoding) are read
/// from a request; a cookie that would go over is ignored (no browser sends a cookie of
/// more than 4 KB), and the smaller ones after it still count.
///
/// 64 KiB holds fifteen full 4 KB chunks of a session cookie next to the usual app
/// cookies: four times the whole header budget of a Node.js server (16 KiB), which is
/// what next-auth deployments live within.
#[doc(hidden)]
pub const MAX_REQUEST_COOKIE_BYTES: usize = 64 * 1024;

/// The cookies of a request, parsed like `cookie.parse`: pairs split on `;`, trimmed,
/// surrounding quotes removed, values percent-decoded (kept as is when that fails).
/// Parsing is linear in the header's size and keeps at most [`MAX_REQUEST_COOKIES`]
/// cookies of at most [`MAX_REQUEST_COOKIE_BYTES`] bytes in all.
///
/// A name that comes more than once keeps every occurrence; lookups return the first.
/// Public only for the crate's integration tests.
#[doc(hidden)]
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
    /// Parses every `Cookie` header, up to the caps.
    pub fn from_headers(headers: &http::HeaderMap) -> Self {
        let mut cookies = RequestCookies::default();
        let mut scratch = Vec::new();
        let mut budget = MAX_REQUEST_COOKIE_BYTES;
        'headers: for header in headers.get_all(COOKIE) {
            let Ok(header) = header.to_str() else {
                continue;
            };
            cookies.buf.reserve(header.len().min(budget));
            // `;`, `=` (and `%` in `percent_decode`) found with memchr rather than
            // `str::split`, `split_once` and `find`: benches/profile.rs `jwt` (callgrind),
            // 57,663 instructions per GET /session against 58,812 (+2.0%).
            // `decoding_matches_percent_encoding` and the parser's tests pin the behaviour.
            let mut at = 0;
            while at <= header.len() {
                let end = memchr::memchr(b';', &header.as_bytes()[at..]).map_or(header.len(), |i| at + i);
                // `;` and `=` are ASCII: every index is a character boundary.
                let pair = &header[at..end];
                at = end + 1;
                let Some(eq) = memchr::memchr(b'=', pair.as_bytes()) else {
                    continue;
                };
                let (name, value) = (&pair[..eq], &pair[eq + 1..]);
                let name = name.trim_matches([' ', '\t']);
                if name.is_empty() {
                    continue;
                }
                let mut value = value.trim_matches([' ', '\t']);
                if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
                    value = &value[1..value.len() - 1];
                }
                if cookies.pairs.len() == MAX_REQUEST_COOKIES {
                    break 'headers;
                }
                let size = name.len() + value.len();
                if size > budget {
                    continue;
                }
                budget -= size;
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

    /// Names of the cookies that belong to the (possibly chunked) cookie `name`, each once,
    /// in request order (of first occurrence).
    pub fn chunk_names<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let mut matching = self.iter().map(|(n, _)| n).filter(move |n| n.starts_with(name));
        // The usual request has at most one: no set to build, nothing to allocate.
        let (first, second) = (matching.next(), matching.next());
        let several = match second {
            Some(_) => self.distinct_names_with_prefix(name),
            None => Vec::new(),
        };
        let single = if several.is_empty() { first } else { None };
        single.into_iter().chain(several)
    }

    /// Every distinct name starting with `prefix`, in order of first occurrence: sorted by
    /// name to find the duplicates, then back in request order (`O(n log n)`).
    fn distinct_names_with_prefix(&self, prefix: &str) -> Vec<&str> {
        let mut named: Vec<(&str, usize)> = self
            .iter()
            .enumerate()
            .filter(|(_, (n, _))| n.starts_with(prefix))
            .map(|(i, (n, _))| (n, i))
            .collect();
        // Stable: among equal names the first occurrence stays first.
        named.sort_by(|a, b| a.0.cmp(b.0));
        named.dedup_by(|later, first| later.0 == first.0);
        named.sort_unstable_by_key(|&(_, i)| i);
        named.into_iter().map(|(n, _)| n).collect()
    }

    /// Reassembles a chunked cookie: the bare cookie when present, else `name.0`, `name.1`, …
    /// joined in numeric order (the first occurrence of an index wins). `None` when nothing
    /// (or only empty values) came in.
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
        // Stable, so that the first occurrence of an index is the one kept.
        chunks.sort_by_key(|(i, _)| *i);
        chunks.dedup_by_key(|(i, _)| *i);
        let joined: String = chunks.into_iter().map(|(_, v)| v).collect();
        (!joined.is_empty()).then_some(joined)
    }
}

/// `percent_decode_str(value).decode_utf8()` into `scratch`: `None` when `value` has no
/// `%` (nothing to decode) or the decoded bytes are not UTF-8 (the value is kept as is).
/// A `%` not followed by two hex digits stays literal.
fn percent_decode<'a>(value: &str, scratch: &'a mut Vec<u8>) -> Option<&'a str> {
    // Searching with memchr: most values (JWEs) have no `%`, and
    // the runs between escapes (hex CSRF tokens) are long. Measured against
    // `percent_decode_str(value).decode_utf8()` in `from_headers`, same binary:
    // benches/profile.rs `jwt` (callgrind), 62,268 instructions per GET /session with this,
    // 71,788 without (+15%); CPU 5.45-5.65 µs against 6.35-6.40 µs per request.
    // `decoding_matches_percent_encoding` pins the two together.
    let mut at = memchr::memchr(b'%', value.as_bytes())?;
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
        match memchr::memchr(b'%', rest.as_bytes()) {
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
pub(crate) fn chunk_size(compat: Compat) -> usize {
    match compat {
        Compat::NextAuthV4 => 3933,
        Compat::AuthJsV5 => 3936,
    }
}

/// `Set-Cookie` headers that write `value` as the (possibly chunked) cookie `def`,
/// clearing every stale chunk that came in with the request (spec §3.4).
pub(crate) fn write_chunked(
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
    let present: Vec<&str> = request.chunk_names(&def.name).collect();
    let mut out = Vec::with_capacity(chunks.len());
    for &n in &present {
        match chunks.iter().find(|(name, _)| name == n) {
            Some((_, chunk)) => out.push(write(n, chunk)),
            None => out.push(def.clear_named(n)),
        }
    }
    for (name, chunk) in &chunks {
        if !present.contains(&name.as_str()) {
            out.push(write(name, chunk));
        }
    }
    out
}

/// `Set-Cookie` headers clearing every chunk of `def` present in the request.
pub(crate) fn clear_chunked(def: &CookieDef, request: &RequestCookies) -> Vec<HeaderValue> {
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
                .map(std::borrow::Cow::into_owned)
                .unwrap_or_else(|_| c.to_owned());
            let got = percent_decode(c, &mut scratch)
                .map(str::to_owned)
                .unwrap_or_else(|| c.to_owned());
            assert_eq!(got, expected, "{c:?}");
        }
    }

    #[test]
    fn h1_duplicates_are_kept_and_the_first_one_wins() {
        let r = req("a=1; s.1=B; a=2; s=x; s.0=A; s.1=stale; s.0=dup; s=y");
        assert_eq!(r.get("a"), Some("1"));
        assert_eq!(r.chunked("s").as_deref(), Some("x"));
        assert_eq!(r.chunk_names("s").collect::<Vec<_>>(), ["s.1", "s", "s.0"]);
        let r = req("s.1=B; s.0=A; s.1=stale; s.0=dup; s.00=zero");
        assert_eq!(r.chunked("s").as_deref(), Some("AB"));
        assert_eq!(req("s=1").chunk_names("s").collect::<Vec<_>>(), ["s"]);
        assert_eq!(req("a=1").chunk_names("s").count(), 0);
    }

    #[test]
    fn h1_parsing_stops_at_the_caps() {
        let many: Vec<String> = (0..MAX_REQUEST_COOKIES + 10).map(|i| format!("c{i}=v")).collect();
        let r = req(&many.join("; "));
        assert_eq!(r.pairs.len(), MAX_REQUEST_COOKIES);
        assert_eq!(r.get(&format!("c{}", MAX_REQUEST_COOKIES - 1)), Some("v"));
        assert_eq!(r.get(&format!("c{MAX_REQUEST_COOKIES}")), None);

        // Byte cap: a cookie that would go over is ignored, smaller ones after it still fit.
        let big = "x".repeat(MAX_REQUEST_COOKIE_BYTES / 2);
        let r = req(&format!("a={big}; b={big}; c=1; {}=2", "d".repeat(10)));
        assert_eq!(r.get("a"), Some(big.as_str()));
        assert_eq!(r.get("b"), None);
        assert_eq!(r.get("c"), Some("1"));
        assert_eq!(r.get("dddddddddd"), Some("2"));
        assert!(r.buf.len() <= MAX_REQUEST_COOKIE_BYTES);
        // Several headers (HTTP/2 sends one per cookie) share the caps.
        let mut h = http::HeaderMap::new();
        for i in 0..MAX_REQUEST_COOKIES + 1 {
            h.append(COOKIE, HeaderValue::from_str(&format!("h{i}=1")).unwrap());
        }
        assert_eq!(RequestCookies::from_headers(&h).pairs.len(), MAX_REQUEST_COOKIES);
    }

    #[test]
    fn h1_a_big_chunked_session_fits_the_caps() {
        // Eight full chunks (a 31 KB session) behind 150 ordinary cookies.
        let session: String = (0..8 * 3933).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
        let mut parts: Vec<String> = (0..150)
            .map(|i| format!("app{i}=value-{i}-{}", "z".repeat(40)))
            .collect();
        for (i, chunk) in session.as_bytes().chunks(3933).enumerate().rev() {
            parts.push(format!(
                "next-auth.session-token.{i}={}",
                std::str::from_utf8(chunk).unwrap()
            ));
        }
        let r = req(&parts.join("; "));
        assert_eq!(r.chunked("next-auth.session-token").as_deref(), Some(session.as_str()));
    }

    /// The quadratic reference: names starting with `prefix`, first occurrences, in order.
    fn reference_chunk_names<'a>(r: &'a RequestCookies, prefix: &str) -> Vec<&'a str> {
        let mut out: Vec<&str> = Vec::new();
        for (n, _) in r.iter() {
            if n.starts_with(prefix) && !out.contains(&n) {
                out.push(n);
            }
        }
        out
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
            // Mostly cookie syntax, with any byte a header value may hold.
            let byte = prop_oneof![
                4 => prop::sample::select(b"ab.=;; %\"07Fs".to_vec()),
                1 => any::<u8>().prop_filter("header byte", |b| *b == b'\t' || (*b >= 0x20 && *b != 0x7f)),
            ];
            prop::collection::vec(byte, 0..400)
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

            /// Any length (blocks of 32 and a remainder), a failing byte anywhere.
            #[test]
            fn all_bytes_is_iter_all(
                bytes in prop::collection::vec(
                    prop_oneof![
                        60 => prop::sample::select(b"aZ09-_.".to_vec()),
                        1 => any::<u8>(),
                    ],
                    0..100,
                ),
            ) {
                prop_assert_eq!(all_bytes(&bytes, no_escape), bytes.iter().all(|&b| no_escape(b)));
            }

            #[test]
            fn any_header_parses_within_the_caps(bytes in header_bytes()) {
                let Ok(value) = HeaderValue::from_bytes(&bytes) else { return Ok(()) };
                let mut h = http::HeaderMap::new();
                h.insert(COOKIE, value);
                let r = RequestCookies::from_headers(&h);
                prop_assert!(r.pairs.len() <= MAX_REQUEST_COOKIES);
                prop_assert!(r.buf.len() <= MAX_REQUEST_COOKIE_BYTES);
                for (n, v) in r.iter() {
                    prop_assert!(!n.is_empty());
                    prop_assert_eq!(r.get(n).map(|first| first.len() <= r.buf.len()), Some(true));
                    let _ = v;
                }
                for prefix in ["", "a", "s", "s."] {
                    prop_assert_eq!(r.chunk_names(prefix).collect::<Vec<_>>(), reference_chunk_names(&r, prefix));
                    let _ = r.chunked(prefix);
                }
            }

            /// The memchr scan splits as `str::split(';')` and `split_once('=')` do.
            #[test]
            fn parses_like_the_split_reference(bytes in header_bytes()) {
                let Ok(value) = HeaderValue::from_bytes(&bytes) else { return Ok(()) };
                let Ok(text) = value.to_str() else { return Ok(()) };
                let mut expected = Vec::new();
                for pair in text.split(';') {
                    let Some((name, value)) = pair.split_once('=') else { continue };
                    let name = name.trim_matches([' ', '\t']);
                    if name.is_empty() { continue }
                    let mut value = value.trim_matches([' ', '\t']);
                    if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
                        value = &value[1..value.len() - 1];
                    }
                    let decoded = percent_encoding::percent_decode_str(value)
                        .decode_utf8()
                        .map_or_else(|_| value.to_owned(), std::borrow::Cow::into_owned);
                    expected.push((name.to_owned(), decoded));
                }
                let mut h = http::HeaderMap::new();
                h.insert(COOKIE, value.clone());
                let r = RequestCookies::from_headers(&h);
                let got: Vec<(String, String)> = r.iter().map(|(n, v)| (n.to_owned(), v.to_owned())).collect();
                prop_assert_eq!(got, expected);
            }

            #[test]
            fn the_first_occurrence_wins(
                pairs in prop::collection::vec(("[a-d]{1,2}", "[a-z0-9._-]{0,6}"), 0..40),
            ) {
                let header: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
                let header = header.join("; ");
                if header.is_empty() { return Ok(()) }
                let r = req(&header);
                for (n, _) in &pairs {
                    let first = pairs.iter().find(|(m, _)| m == n).map(|(_, v)| v.as_str());
                    prop_assert_eq!(r.get(n), first);
                }
            }

            #[test]
            fn chunks_reassemble_in_any_order_among_junk(
                value in "[A-Za-z0-9_.-]{1,200}",
                size in 1usize..40,
                order in any::<prop::sample::Index>(),
                junk in prop::collection::vec(("[a-z.]{1,8}", "[a-z]{0,8}"), 0..20),
                stale in prop::collection::vec((0u32..12, "[a-z]{0,5}"), 0..6),
            ) {
                let name = "s";
                let mut chunks: Vec<String> = value
                    .as_bytes()
                    .chunks(size)
                    .enumerate()
                    .map(|(i, c)| format!("{name}.{i}={}", std::str::from_utf8(c).unwrap()))
                    .collect();
                // Some rotation of the chunks, junk interleaved, stale duplicates after them.
                let k = order.index(chunks.len());
                chunks.rotate_left(k);
                let mut parts = Vec::new();
                for (i, c) in chunks.into_iter().enumerate() {
                    parts.push(c);
                    if let Some((n, v)) = junk.get(i) {
                        // Junk must not itself be a chunk or the bare cookie.
                        if n != name && !n.starts_with("s.") {
                            parts.push(format!("{n}={v}"));
                        }
                    }
                }
                for (i, v) in &stale {
                    parts.push(format!("{name}.{i}={v}"));
                }
                let r = req(&parts.join("; "));
                let chunk_count = value.len().div_ceil(size) as u32;
                // Stale extra indices past the end add to the value; others are ignored.
                let mut expected = value.clone();
                let mut extra: Vec<(u32, &str)> = Vec::new();
                for (i, v) in &stale {
                    if *i >= chunk_count && !extra.iter().any(|(j, _)| j == i) {
                        extra.push((*i, v));
                    }
                }
                extra.sort_by_key(|(i, _)| *i);
                for (_, v) in extra {
                    expected.push_str(v);
                }
                prop_assert_eq!(r.chunked(name), Some(expected));
                prop_assert_eq!(r.chunk_names(name).collect::<Vec<_>>(), reference_chunk_names(&r, name));
            }
        }
    }
}
