//! Parsers under hostile input: H1, L10, L13, L5, I2, and the property-based tests.
//!
//! Super-linear costs are shown by growth, never by a wall-clock bound: the same work at
//! two input sizes ten times apart, in one run, the cheapest of [`TRIES`] interleaved tries
//! each (so that both sizes see the same load on a shared machine), may differ by at most
//! [`GROWTH_BOUND`] (linear is 10×, quadratic 100×).

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, StatusCode};
use tessera::cookies::RequestCookies;
use tessera::{Auth, Token, User};

use crate::common::{self, Browser};

/// How much more ten times the input may cost.
const GROWTH_BOUND: f64 = 20.0;

/// Tries per size: the cheapest is the one least disturbed by other load on the machine.
const TRIES: usize = 9;

/// Asserts that the cheapest times of the small and the large (10×) input differ by at
/// most [`GROWTH_BOUND`].
fn assert_growth(what: &str, [small, large]: [Duration; 2]) {
    let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-9);
    assert!(
        ratio <= GROWTH_BOUND,
        "{what}: 10x the input cost {ratio:.1}x ({small:?} -> {large:?})"
    );
}

/// Asserts that `run(10 * n)` costs at most `GROWTH_BOUND` times `run(n)`.
fn assert_linear_growth(what: &str, n: usize, mut run: impl FnMut(usize)) {
    run(n); // warm up allocator and caches
    let mut times = [Duration::MAX; 2];
    for _ in 0..TRIES {
        for (slot, size) in [n, 10 * n].into_iter().enumerate() {
            let start = Instant::now();
            run(size);
            times[slot] = times[slot].min(start.elapsed());
        }
    }
    assert_growth(what, times);
}

fn cookie_headers(cookie: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(http::header::COOKIE, HeaderValue::from_str(cookie).unwrap());
    h
}

/// `n` distinct cookie names, about ten bytes each: `c0000000=;c0000001=;…`.
fn distinct_names(n: usize) -> String {
    (0..n).map(|i| format!("c{i:07}=;")).collect()
}

// ---------------------------------------------------------------------------------------
// H1: the Cookie header
// ---------------------------------------------------------------------------------------

// The growth tests compare 1 000 and 10 000 names (10 KB and 100 KB): both stay below the
// allocator's mmap threshold (128 KiB), so the ratio measures the parser rather than the
// page faults of a fresh mapping. The quadratic parser of `a1d7d4c` costs ~100x there.

#[test]
fn h1_the_cookie_header_parses_in_linear_time() {
    let small = cookie_headers(&distinct_names(1_000));
    let large = cookie_headers(&distinct_names(10_000));
    assert_linear_growth("RequestCookies::from_headers", 1_000, |n| {
        let h = if n == 1_000 { &small } else { &large };
        std::hint::black_box(RequestCookies::from_headers(h));
    });
}

#[tokio::test]
async fn h1_get_session_with_a_cookie_header_grows_linearly() {
    let auth = common::auth();
    let (small, large) = (distinct_names(1_000), distinct_names(10_000));
    let mut times = [Duration::MAX; 2];
    for _ in 0..TRIES {
        for (slot, cookie) in [&small, &large].into_iter().enumerate() {
            let start = Instant::now();
            let res = auth.handle(session_request(cookie)).await;
            times[slot] = times[slot].min(start.elapsed());
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.body().as_ref(), b"{}");
        }
    }
    assert_growth("GET /session with 10x the Cookie header", times);
}

/// The review's attack, a 400 KB header of 40 000 names, is read within the caps and
/// answered like any request without a session.
#[tokio::test]
async fn h1_a_400_kb_cookie_header_of_40_000_names_is_read_within_the_caps() {
    let names = distinct_names(40_000);
    assert!(names.len() >= 400_000);
    let cookies = RequestCookies::from_headers(&cookie_headers(&names));
    let last = tessera::cookies::MAX_REQUEST_COOKIES - 1; // names count from 0
    assert_eq!(
        cookies.get(&format!("c{last:07}")),
        Some(""),
        "the cookies up to the cap are read"
    );
    assert_eq!(cookies.get(&format!("c{:07}", last + 1)), None, "the rest is ignored");
    let res = common::auth().handle(session_request(&names)).await;
    assert_eq!((res.status(), res.body().as_ref()), (StatusCode::OK, &b"{}"[..]));
}

fn session_request(cookie: &str) -> Request<Bytes> {
    Request::get("/api/auth/session")
        .header("cookie", cookie)
        .body(Bytes::new())
        .unwrap()
}

/// A session cookie of about `chunks` chunks (next-auth's chunk size) for user "1".
fn chunked_session(auth: &Auth, chunks: usize) -> Vec<String> {
    let mut token = Token::for_user(&User::new("1").name("Alice"));
    // Incompressible padding, so that the JWE spans `chunks` chunks.
    let padding: String = (0..chunks * 2900)
        .map(|i| char::from(b'a' + ((i * 7 + i / 26) % 26) as u8))
        .collect();
    token.set("padding", padding);
    let jwe = auth.encode_token(token, std::time::Duration::from_secs(3600));
    assert!(jwe.len().div_ceil(3933) >= chunks);
    jwe.as_bytes()
        .chunks(3933)
        .enumerate()
        .map(|(i, c)| format!("next-auth.session-token.{i}={}", std::str::from_utf8(c).unwrap()))
        .collect()
}

#[tokio::test]
async fn h1_a_chunked_session_among_junk_cookies_still_reads() {
    let auth = common::auth();
    let mut parts: Vec<String> = (0..150)
        .map(|i| format!("analytics_{i}=v{i}-{}", "x".repeat(30)))
        .collect();
    let mut chunks = chunked_session(&auth, 4);
    chunks.reverse(); // any order
    parts.extend(chunks);
    parts.extend((0..50).map(|i| format!("late_{i}=1")));
    let headers = cookie_headers(&parts.join("; "));
    let session = auth.session(&headers).await.expect("the session reads");
    assert_eq!(session.user.unwrap().name.as_deref(), Some("Alice"));

    let mut b = Browser::new(auth);
    let res = b
        .send(
            Request::get("/api/auth/session").header("cookie", parts.join("; ")),
            Bytes::new(),
        )
        .await;
    assert_eq!(res.json()["user"]["name"], "Alice");
}

// ---------------------------------------------------------------------------------------
// L10: database session tokens are checked for shape before any adapter call
// ---------------------------------------------------------------------------------------

const TOKEN: &str = "next-auth.session-token";

/// Session cookies that are not tokens: a NUL byte, a 100 KB value (past the cookie caps),
/// a 50 KB value in chunks (within them), a space, and a non-ASCII character.
fn malformed_session_cookies() -> Vec<String> {
    let chunked: String = "a"
        .repeat(50_000)
        .as_bytes()
        .chunks(3933)
        .enumerate()
        .map(|(i, c)| format!("{TOKEN}.{i}={}; ", std::str::from_utf8(c).unwrap()))
        .collect();
    vec![
        format!("{TOKEN}=%00"),
        format!("{TOKEN}=abc%00def"),
        format!("{TOKEN}={}", "a".repeat(100_000)),
        chunked,
        format!("{TOKEN}=a%20b"),
        format!("{TOKEN}=%C3%A9"),
    ]
}

fn database_browser() -> (Browser, std::sync::Arc<common::counting::Counting>) {
    let db = std::sync::Arc::new(common::counting::Counting::default());
    let auth = common::builder()
        .adapter(db.clone())
        .session_strategy(tessera::SessionStrategy::Database)
        .build()
        .unwrap();
    (Browser::new(auth), db)
}

#[tokio::test]
async fn l10_a_malformed_session_token_never_reaches_the_adapter() {
    for cookie in malformed_session_cookies() {
        let (mut b, db) = database_browser();
        let csrf = b.csrf().await;
        db.take();
        // The browser sends its jar (the CSRF cookie) as a second Cookie header.
        let with = |req: http::request::Builder| req.header("cookie", cookie.as_str());
        let shown = &cookie[..cookie.len().min(40)];

        // GET /session and POST /session (update): no session, not an error.
        let r = b.send(with(Request::get("/api/auth/session")), Bytes::new()).await;
        assert_eq!((r.status, r.text()), (StatusCode::OK, "{}"), "{shown}");
        let body = format!("csrfToken={csrf}");
        let r = b
            .send(
                with(Request::post("/api/auth/session")).header("content-type", "application/x-www-form-urlencoded"),
                Bytes::from(body),
            )
            .await;
        assert_eq!((r.status, r.text()), (StatusCode::OK, "{}"), "{shown}");

        // GET /sessions: not signed in.
        let r = b.send(with(Request::get("/api/auth/sessions")), Bytes::new()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{shown}");

        // POST /signout: signed out, nothing deleted.
        let r = b
            .send(
                with(Request::post("/api/auth/signout")).header("content-type", "application/x-www-form-urlencoded"),
                Bytes::from(format!("csrfToken={csrf}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::FOUND, "{shown}");

        // Auth::session (getServerSession).
        let mut headers = HeaderMap::new();
        headers.insert(http::header::COOKIE, HeaderValue::from_str(&cookie).unwrap());
        assert!(b.auth.session(&headers).await.is_none(), "{shown}");

        assert_eq!(db.take(), Vec::<&str>::new(), "{shown}: the adapter was called");

        // A credentials sign-in replaces the cookie without deleting it as an old session.
        let r = b
            .send(
                with(Request::post("/api/auth/callback/credentials"))
                    .header("content-type", "application/x-www-form-urlencoded"),
                Bytes::from(format!("username=a&password=pw&json=true&csrfToken={csrf}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{shown}");
        let calls = db.take();
        assert!(calls.contains(&"create_session"), "{shown}: {calls:?}");
        assert!(!calls.contains(&"delete_session"), "{shown}: {calls:?}");
    }
}

#[tokio::test]
async fn l10_a_real_database_session_still_works() {
    let (mut b, db) = database_browser();
    b.sign_in().await;
    assert_eq!(b.jar[TOKEN].len(), 36);
    db.take();
    assert_eq!(b.get("/api/auth/session").await.json()["user"]["name"], "Alice");
    assert_eq!(db.take(), ["get_session_and_user"]);
    assert_eq!(b.get("/api/auth/sessions").await.status, StatusCode::OK);
}

// ---------------------------------------------------------------------------------------
// L13: the authorization URL
// ---------------------------------------------------------------------------------------

/// An HTTP client for providers whose endpoints are all configured: never called.
struct NoNetwork;

#[tessera::async_trait]
impl tessera::oauth::HttpClient for NoNetwork {
    async fn execute(
        &self,
        _: tessera::oauth::HttpRequest,
    ) -> Result<tessera::oauth::HttpResponse, tessera::oauth::HttpError> {
        Err(tessera::oauth::HttpError("no network in this test".into()))
    }
}

fn oauth_browser() -> Browser {
    let provider = tessera::providers::OAuthProvider::new("demo")
        .name("Demo")
        .authorization("https://idp.example/authorize?tenant=t")
        .token("https://idp.example/token")
        .userinfo("https://idp.example/userinfo")
        .client_id("cid")
        .client_secret("csec");
    let auth = Auth::builder()
        .url("http://localhost:3000")
        .secret(common::SECRET)
        .http_client(NoNetwork)
        .provider(provider)
        .build()
        .unwrap();
    Browser::new(auth)
}

/// `POST /signin/demo?<query>`; the authorization URL.
async fn authorization_url(b: &mut Browser, csrf: &str, query: &str) -> String {
    let r = b
        .post_form(&format!("/api/auth/signin/demo?{query}"), &[("csrfToken", csrf)])
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    let url = r.location().unwrap().to_owned();
    assert!(url.starts_with("https://idp.example/authorize?client_id=cid&"), "{url}");
    url
}

/// `n` distinct parameters without values, `p0&p1&…` (10 000 of them fit a URI's 64 KiB).
fn distinct_params(n: usize) -> String {
    (0..n).map(|i| format!("p{i}")).collect::<Vec<_>>().join("&")
}

#[tokio::test]
async fn l13_the_authorization_url_is_built_in_linear_time() {
    let mut b = oauth_browser();
    let csrf = b.csrf().await;
    let (small, large) = (distinct_params(1_000), distinct_params(10_000));
    let mut times = [Duration::MAX; 2];
    for _ in 0..TRIES {
        for (slot, query) in [&small, &large].into_iter().enumerate() {
            let start = Instant::now();
            authorization_url(&mut b, &csrf, query).await;
            times[slot] = times[slot].min(start.elapsed());
        }
    }
    assert_growth("POST /signin with 10x the parameters", times);
}

#[tokio::test]
async fn l13_at_most_64_request_parameters_are_taken() {
    let mut b = oauth_browser();
    let csrf = b.csrf().await;
    // Reserved names are dropped before the cap counts.
    let query = format!("state=x&client_id=evil&prompt=login&{}", distinct_params(100));
    let url = authorization_url(&mut b, &csrf, &query).await;
    let query = url.split_once('?').unwrap().1;
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let has = |k: &str| params.iter().any(|(n, _)| n == k);
    assert!(has("prompt") && has("p62") && !has("p63") && !has("p99"), "{url}");
    assert_eq!(params.iter().filter(|(k, _)| k == "client_id").count(), 1);
    assert_eq!(params.iter().find(|(k, _)| k == "client_id").unwrap().1, "cid");
    // A repeated request parameter: the last value wins in the first position (URLSearchParams `set`).
    let url = authorization_url(&mut b, &csrf, "prompt=a&x=1&prompt=b").await;
    assert!(url.contains("&prompt=b&x=1&"), "{url}");
}

// ---------------------------------------------------------------------------------------
// Item 8: property tests of the public parsers (the crate-private ones are unit tests:
// cookies.rs, request.rs, log_value.rs). Case counts are explicit and small: the whole
// module runs in seconds in a debug build.
// ---------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------
// L5: log lines
// ---------------------------------------------------------------------------------------

/// Records each event as one line, fields formatted the way `tracing-subscriber`'s fmt
/// layer does (`%` fields through Display, `?` fields through Debug).
#[derive(Clone, Default)]
struct CaptureLogs(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

struct Line(String);

impl tracing::field::Visit for Line {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write;
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl tracing::Subscriber for CaptureLogs {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = Line(event.metadata().level().to_string());
        event.record(&mut line);
        self.0.lock().unwrap().push(line.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

impl CaptureLogs {
    /// The lines logged so far that contain `needle`.
    fn lines_with(&self, needle: &str) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(needle))
            .cloned()
            .collect()
    }
}

#[tokio::test]
async fn l5_request_values_cannot_forge_log_lines() {
    let logs = CaptureLogs::default();
    // The test's runtime polls on this thread: the thread's default subscriber sees it all.
    let _guard = tracing::subscriber::set_default(logs.clone());
    let mut b = oauth_browser();

    let forged = "x%0AINFO%20tessera%3A%20forged%20line%0D";
    let long = "y".repeat(5_000);
    b.get(&format!(
        "/api/auth/callback/demo?error={forged}&error_description={long}%0A"
    ))
    .await;
    let lines = logs.lines_with("the provider returned an error");
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    assert!(!line.contains(['\n', '\r']), "{line:?}");
    assert!(line.contains(r#"error="x\nINFO tessera: forged line\r""#), "{line}");
    assert!(line.len() < 600, "the description is cut: {} bytes", line.len());

    let beacon = "level=error&code=CLIENT_FETCH_ERROR&message=boom%0AERROR%20forged%0D%0A";
    let req = Request::post("/api/auth/_log").header("content-type", "application/x-www-form-urlencoded");
    b.send(req, Bytes::from(beacon)).await;
    let lines = logs.lines_with("client log");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(!lines[0].contains(['\n', '\r']), "{:?}", lines[0]);
    assert!(lines[0].contains(r#"message="boom\nERROR forged\r\n""#), "{}", lines[0]);
}

/// Found by `properties::email_normalisation_is_canonical`: lower-casing lengthened the
/// address past the 254-byte check, and undid NFKC, so an output did not pass again unchanged.
#[test]
fn item8_email_normalisation_outputs_pass_again_unchanged() {
    use tessera::providers::email::normalize_email;
    for input in [
        format!("{}a@example.com", "İ".repeat(126)),
        "Ω\u{301}\u{345}@example.com".to_owned(),
        "  Bob@Example.COM ".to_owned(),
    ] {
        if let Ok(email) = normalize_email(&input) {
            assert_eq!(normalize_email(&email), Ok(email.clone()), "{input:?}");
            assert!(email.len() <= 254);
        }
    }
    assert_eq!(
        normalize_email("Ω\u{301}\u{345}@example.com").unwrap(),
        "\u{1ff4}@example.com"
    );
}

mod properties {
    use proptest::prelude::*;
    use serde_json::{Map, Value, json};
    use tessera::Compat;
    use tessera::Secret;
    use tessera::jwt::JweCodec;
    use tessera::providers::email::normalize_email;
    use tessera::redirect::{is_valid_callback_url, resolve};

    const ORIGINS: [&str; 3] = ["http://localhost:3000", "https://app.example.com", "http://[::1]:8080"];

    /// Callback URLs as attackers write them: a tricky start, then URL-ish characters,
    /// controls, backslashes, percent escapes and non-ASCII look-alikes.
    fn callback_url() -> impl Strategy<Value = String> {
        let start = prop::sample::select(vec![
            "",
            "/",
            "//",
            "/\\",
            "\\\\",
            "http://localhost:3000",
            "http://localhost:3000/",
            "https://app.example.com",
            "http://[::1]:8080/",
            "http:",
            "http:/",
            "https://",
            "javascript:",
            "data:",
            "HTTP://LOCALHOST:3000",
            "http://localhost:3000@evil.com",
            "http://evil.com#@localhost:3000",
            " /",
            "\t//",
        ]);
        let piece = prop::sample::select(vec![
            "a",
            "/",
            "\\",
            ".",
            "..",
            ":",
            "@",
            "?",
            "#",
            "%",
            "%2F",
            "%00",
            " ",
            "\t",
            "\n",
            "\r",
            "\0",
            "evil.com",
            "localhost",
            ":3000",
            "[",
            "]",
            "。",
            "＠",
            "é",
            "\u{202e}",
            "&",
            "=",
        ]);
        (start, prop::collection::vec(piece, 0..12)).prop_map(|(s, p)| format!("{s}{}", p.concat()))
    }

    fn on_origin(url: &str, origin: &str) -> bool {
        let (Ok(u), Ok(o)) = (url::Url::parse(url), url::Url::parse(origin)) else {
            return false;
        };
        u.origin() == o.origin() && matches!(u.scheme(), "http" | "https")
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// `resolve` never panics, always lands on the origin, and is idempotent.
        /// (After L1, `resolve` returns the normalised URL: "the result is its own
        /// normalisation" is the property to add then.)
        #[test]
        fn resolve_stays_on_the_origin(url in callback_url(), origin in prop::sample::select(ORIGINS.to_vec())) {
            let resolved = resolve(&url, origin);
            prop_assert!(resolved == origin || on_origin(&resolved, origin), "{:?} -> {:?}", url, resolved);
            prop_assert_eq!(resolve(&resolved, origin), resolved.clone(), "{:?}", url);
            prop_assert!(is_valid_callback_url(&resolved), "{:?}", resolved);
            let _ = is_valid_callback_url(&url);
        }

        #[test]
        fn resolve_never_panics_on_any_string(url in any::<String>(), origin in prop::sample::select(ORIGINS.to_vec())) {
            let resolved = resolve(&url, origin);
            prop_assert!(resolved == origin || on_origin(&resolved, origin));
            let _ = is_valid_callback_url(&url);
        }

        /// Normalising never panics, and its output is canonical.
        #[test]
        fn email_normalisation_is_canonical(input in email_like()) {
            if let Ok(email) = normalize_email(&input) {
                prop_assert_eq!(normalize_email(&email), Ok(email.clone()), "{:?}", input);
                prop_assert!(email.len() <= 254);
                prop_assert_eq!(email.matches('@').count(), 1);
            }
        }

        #[test]
        fn email_normalisation_never_panics(input in any::<String>()) {
            if let Ok(email) = normalize_email(&input) {
                prop_assert_eq!(normalize_email(&email), Ok(email.clone()));
            }
        }
    }

    /// Addresses with case, compatibility characters, look-alike `@`s and the characters
    /// that change length when lower-cased (`İ`).
    fn email_like() -> impl Strategy<Value = String> {
        let part = prop::collection::vec(
            prop::sample::select(vec![
                "a", "B", "z", "0", ".", "-", "+", "_", "İ", "K", "Ω", "ß", "ẞ", "Σ", "ς", "ﬁ", "①", "ａ", "Ａ",
                "\u{301}", "e\u{301}", "é", "ǅ", "ͅ", "ΐ", " ", "\t", "＠", "﹫",
            ]),
            1..12,
        )
        .prop_map(|p| p.concat());
        let domain = prop::sample::select(vec![
            "example.com",
            "EXAMPLE.COM",
            "ｅｘａｍｐｌｅ．ｃｏｍ",
            "x.İo",
            "a..b",
            "x",
        ]);
        let long = prop::sample::select(vec![0usize, 120, 126, 127, 200]);
        (part, domain, long).prop_map(|(p, d, n)| format!("{}{p}@{d}", "İ".repeat(n / 2)))
    }

    fn codec(compat: Compat) -> JweCodec {
        JweCodec::new(compat, &[Secret::new("a-secret-for-the-property-tests")], "")
    }

    const NOW: i64 = 1_800_000_000;

    /// One edit of a token: replace, insert or delete a character at some position.
    #[derive(Debug, Clone)]
    enum Edit {
        Replace(prop::sample::Index, char),
        Insert(prop::sample::Index, char),
        Delete(prop::sample::Index),
        Truncate(prop::sample::Index),
    }

    fn edit() -> impl Strategy<Value = Edit> {
        let c = prop_oneof![
            4 => prop::sample::select("ABCxyz0189-_.".chars().collect::<Vec<_>>()),
            1 => any::<char>(),
        ];
        prop_oneof![
            4 => (any::<prop::sample::Index>(), c.clone()).prop_map(|(i, c)| Edit::Replace(i, c)),
            1 => (any::<prop::sample::Index>(), c).prop_map(|(i, c)| Edit::Insert(i, c)),
            1 => any::<prop::sample::Index>().prop_map(Edit::Delete),
            1 => any::<prop::sample::Index>().prop_map(Edit::Truncate),
        ]
    }

    fn apply(token: &str, edit: &Edit) -> String {
        let mut chars: Vec<char> = token.chars().collect();
        if chars.is_empty() && !matches!(edit, Edit::Insert(..)) {
            // An earlier truncation emptied the token: nothing left to replace or delete.
            return String::new();
        }
        match edit {
            Edit::Replace(i, c) => {
                let i = i.index(chars.len());
                chars[i] = *c;
            }
            Edit::Insert(i, c) => chars.insert(i.index(chars.len() + 1), *c),
            Edit::Delete(i) => {
                chars.remove(i.index(chars.len()));
            }
            Edit::Truncate(i) => chars.truncate(i.index(chars.len())),
        }
        chars.into_iter().collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// A token with one edit never decodes (and never panics); the untouched one does.
        #[test]
        fn an_edited_jwe_never_decodes(
            v5 in any::<bool>(),
            name in "[a-zA-Z ]{0,20}",
            edits in prop::collection::vec(edit(), 1..3),
        ) {
            let codec = codec(if v5 { Compat::AuthJsV5 } else { Compat::NextAuthV4 });
            let mut claims: Map<String, Value> = json!({ "sub": "1", "name": name }).as_object().unwrap().clone();
            let token = codec.encode_claims(&mut claims, 3600, NOW);
            prop_assert_eq!(codec.decode(&token, NOW).ok(), Some(claims));
            let mut edited = token.clone();
            for e in &edits {
                edited = apply(&edited, e);
            }
            if edited != token {
                prop_assert!(codec.decode(&edited, NOW).is_err(), "{:?} decoded", edits);
                prop_assert!(codec.decrypt(&edited).is_err(), "{:?} decrypted", edits);
            }
        }

        /// Random strings, and random five-segment tokens, never decode or panic.
        #[test]
        fn a_random_jwe_never_decodes(
            v5 in any::<bool>(),
            raw in any::<String>(),
            segments in prop::collection::vec("[A-Za-z0-9_-]{0,40}", 5),
            header in prop::sample::select(vec![
                "", "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0",
                "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIn0", "eyJhbGciOiJub25lIn0", "bnVsbA", "W10",
            ]),
        ) {
            let codec = codec(if v5 { Compat::AuthJsV5 } else { Compat::NextAuthV4 });
            prop_assert!(codec.decode(&raw, NOW).is_err());
            let mut segments = segments;
            if !header.is_empty() {
                segments[0] = header.to_owned();
            }
            prop_assert!(codec.decode(&segments.join("."), NOW).is_err());
            segments[1].clear();
            prop_assert!(codec.decode(&segments.join("."), NOW).is_err());
        }
    }
}
