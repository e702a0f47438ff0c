//! Configuration, secrets and outbound HTTP: L2, L3, L4, L8, I3, I10, RSA signing (I7).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use serde_json::{Value, json};
use tessera::Compat;
use tessera::adapter::{AdapterSession, MemoryAdapter};
use tessera::callbacks::{CallbackError, Callbacks, JwtArgs, SignInArgs, SignInDecision};
use tessera::cookies::{CookieSet, RequestCookies};
use tessera::events::{Events, SignOutEvent};
use tessera::oauth::HttpClient;
use tessera::providers::email::{EmailProvider, Mailer, MailerError, VerificationRequest};
use tessera::providers::oauth::Algorithm;
use tessera::providers::{Check, ClientKey, ClientKeyError, Credentials, OAuthProvider, TokenAuthMethod};
use tessera::{Account, AccountType, Auth, ConfigError, SessionOptions, SessionStrategy, Token, User};

use crate::common::fake_idp::FakeIdp;
use crate::common::{self, Browser, builder};

// ---------------------------------------------------------------------------------------
// L2: JWT sessions are revoked for real (in this process), and the API says what it did
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn l2_revoking_jwt_sessions_ends_them_0() {
    // JWT without an adapter, and JWT chosen explicitly beside an adapter: the count is
    // unknown (0), and the session really ends.
    let mut jwt = Browser::new(builder().build().unwrap());
    let mut jwt_with_adapter = Browser::new(
        builder()
            .adapter(MemoryAdapter::new())
            .session_strategy(SessionStrategy::Jwt)
            .build()
            .unwrap(),
    );
    for b in [&mut jwt, &mut jwt_with_adapter] {
        b.sign_in().await;
        assert!(b.get("/api/auth/session").await.text().contains("Alice"));
        assert_eq!(b.auth.revoke_user_sessions("1", None).await, Ok(0));
        assert_eq!(b.get("/api/auth/session").await.text(), "{}");
    }

    // Database sessions are revoked, and the count is real.
    let mut b = Browser::new(builder().adapter(MemoryAdapter::new()).build().unwrap());
    b.sign_in().await;
    let adapter = b.auth.adapter().unwrap().clone();
    let user = adapter.get_user_by_email("alice@example.com").await.unwrap().unwrap();
    assert_eq!(b.auth.revoke_user_sessions(&user.id, None).await, Ok(1));
    assert_eq!(b.get("/api/auth/session").await.text(), "{}");
}

#[tokio::test]
async fn l2_session_management_routes_refuse_jwt_sessions_with_a_4xx() {
    // The routes list and end database rows; JWT sessions end by sign-out and
    // `Auth::revoke_user_sessions`.
    let mut b = Browser::new(builder().build().unwrap());
    b.sign_in().await;
    let r = b.get("/api/auth/sessions").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json()["message"].as_str().unwrap().contains("JWT sessions cannot"),
        "{}",
        r.text()
    );
    let csrf = b.csrf().await;
    for op in ["revoke-all", "revoke-others", "revoke"] {
        let r = b
            .post_form(
                &format!("/api/auth/sessions/{op}"),
                &[("csrfToken", &csrf), ("id", "x")],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{op}");
        assert!(r.set_cookies().iter().all(|c| !c.contains("session-token")), "{op}");
    }
    // Nothing pretended to end the session.
    assert_eq!(b.get("/api/auth/session").await.json()["user"]["name"], "Alice");
}

// ---------------------------------------------------------------------------------------
// L3: weak secrets
// ---------------------------------------------------------------------------------------

#[test]
fn l3_the_test_vector_secret_needs_the_explicit_opt_in() {
    let base = || Auth::builder().url("http://localhost:3000");
    assert_eq!(base().secret("secret").build().unwrap_err(), ConfigError::WeakSecret(6));
    let auth = base().secret("secret").insecure_test_vector_secret().build();
    assert!(auth.is_ok());
    // The opt-in admits exactly "secret", as the current secret only.
    assert_eq!(
        base()
            .secret("secre")
            .insecure_test_vector_secret()
            .build()
            .unwrap_err(),
        ConfigError::WeakSecret(5)
    );
    assert_eq!(
        base()
            .secret(common::SECRET)
            .secret("secret")
            .insecure_test_vector_secret()
            .build()
            .unwrap_err(),
        ConfigError::WeakOldSecret { position: 1, len: 6 }
    );
}

#[test]
fn l3_short_rotation_secrets_are_refused() {
    let base = || Auth::builder().secret(common::SECRET);
    assert_eq!(
        base().secret("x").build().unwrap_err(),
        ConfigError::WeakOldSecret { position: 1, len: 1 }
    );
    let err = base()
        .secret("an older secret, long enough")
        .secret("fifteen bytes!!")
        .build()
        .unwrap_err();
    assert_eq!(err, ConfigError::WeakOldSecret { position: 2, len: 15 });
    assert!(err.to_string().contains("at least 16"), "{err}");
    assert!(base().secret("an older secret, long enough").build().is_ok());
}

// ---------------------------------------------------------------------------------------
// L4: no secrets in Debug output
// ---------------------------------------------------------------------------------------

const LIVE: &str = "live-secret-value-42";

fn obj(v: Value) -> serde_json::Map<String, Value> {
    serde_json::from_value(v).unwrap()
}

#[test]
fn l4_credentials_account_token_cookies_and_sessions_debug_without_values() {
    let c = Credentials(obj(json!({"username": "alice", "password": LIVE})));
    let shown = format!("{c:?}");
    assert!(!shown.contains(LIVE) && shown.contains("password"), "{shown}");

    let account = Account {
        provider: "github".into(),
        kind: AccountType::OAuth,
        provider_account_id: "42".into(),
        user_id: Some("1".into()),
        extra: obj(json!({
            "access_token": LIVE, "refresh_token": LIVE, "id_token": LIVE,
            "oauth_token_secret": LIVE, "token_type": "bearer", "expires_at": 99
        })),
    };
    let shown = format!("{account:?}");
    assert!(!shown.contains(LIVE), "{shown}");
    assert!(
        shown.contains("access_token") && shown.contains("bearer") && shown.contains("99"),
        "{shown}"
    );

    let mut token = Token::for_user(&User::new("1").name("Alice"));
    token.set("access_token", LIVE);
    let shown = format!("{token:?}");
    assert!(!shown.contains(LIVE) && shown.contains("Alice"), "{shown}");

    let session = AdapterSession {
        session_token: LIVE.into(),
        user_id: "1".into(),
        expires: std::time::SystemTime::now(),
    };
    assert!(!format!("{session:?}").contains(LIVE));

    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::COOKIE,
        format!("next-auth.session-token={LIVE}; a=b").parse().unwrap(),
    );
    let shown = format!("{:?}", RequestCookies::from_headers(&headers));
    assert!(
        !shown.contains(LIVE) && shown.contains("next-auth.session-token"),
        "{shown}"
    );
}

/// Records the `Debug` of what the callbacks and events receive.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

impl Seen {
    fn push(&self, s: String) {
        self.0.lock().unwrap().push(s);
    }
    fn all(&self) -> String {
        self.0.lock().unwrap().join("\n")
    }
}

#[tessera::async_trait]
impl Callbacks for Seen {
    async fn sign_in(&self, args: SignInArgs<'_>) -> Result<SignInDecision, CallbackError> {
        self.push(format!("{args:?}"));
        Ok(SignInDecision::Allow)
    }
    async fn jwt(&self, args: JwtArgs<'_>) -> Result<Token, CallbackError> {
        let mut token = args.token.clone();
        token.set("access_token", LIVE);
        self.push(format!("{args:?} {token:?}"));
        Ok(token)
    }
}

#[tessera::async_trait]
impl Events for Seen {
    async fn sign_out(&self, event: SignOutEvent<'_>) {
        self.push(format!("{event:?}"));
    }
}

#[tessera::async_trait]
impl Mailer for Seen {
    async fn send(&self, request: VerificationRequest<'_>) -> Result<(), MailerError> {
        self.push(format!("{request:?}"));
        self.push(format!(
            "link token: {}",
            request.url.split("token=").nth(1).unwrap_or("?")
        ));
        Ok(())
    }
}

#[tokio::test]
async fn l4_sign_in_args_and_sign_out_event_debug_without_secrets() {
    let seen = Seen::default();
    let mut b = Browser::new(builder().callbacks(seen.clone()).events(seen.clone()).build().unwrap());
    let csrf = b.csrf().await;
    // The password is "pw" (too short to search for): send a recognisable extra field too.
    b.post_form(
        "/api/auth/callback/credentials",
        &[
            ("username", "a"),
            ("password", "pw"),
            ("otp", LIVE),
            ("csrfToken", &csrf),
            ("json", "true"),
        ],
    )
    .await;
    let log = seen.all();
    assert!(log.contains("SignInArgs") && log.contains("\"otp\""), "{log}");
    assert!(!log.contains(LIVE) && !log.contains("\"pw\""), "{log}");

    // Database sessions: the sign-out event carries the deleted session.
    let seen = Seen::default();
    let mut b = Browser::new(
        builder()
            .adapter(MemoryAdapter::new())
            .events(seen.clone())
            .build()
            .unwrap(),
    );
    b.sign_in().await;
    let token = b.jar["next-auth.session-token"].clone();
    let csrf = b.csrf().await;
    b.post_form("/api/auth/signout", &[("csrfToken", &csrf), ("json", "true")])
        .await;
    let log = seen.all();
    assert!(log.contains("SignOutEvent") && log.contains("AdapterSession"), "{log}");
    assert!(!log.contains(&token), "{log}");
}

#[tokio::test]
async fn l4_verification_request_debug_hides_the_magic_link() {
    let seen = Seen::default();
    let mut b = Browser::new(
        builder()
            .adapter(MemoryAdapter::new())
            .provider(EmailProvider::new(seen.clone()))
            .build()
            .unwrap(),
    );
    let csrf = b.csrf().await;
    b.post_form(
        "/api/auth/signin/email",
        &[("csrfToken", &csrf), ("email", "a@example.com"), ("json", "true")],
    )
    .await;
    let log = seen.all();
    let (debug, link_token) = log.split_once("\nlink token: ").unwrap();
    assert!(link_token.len() >= 32, "{log}");
    assert!(
        debug.contains("VerificationRequest") && !debug.contains(link_token),
        "{debug}"
    );
    assert!(!debug.contains("callback/email"), "{debug}");
}

// ---------------------------------------------------------------------------------------
// L8: the default OAuth HTTP client ignores proxy environment variables
// ---------------------------------------------------------------------------------------

const L8_CHILD: &str = "TESSERA_L8_PROXY_CHILD";

/// Run by `l8_…` in a child process whose environment points every proxy variable at a
/// local listener (the environment is process-global, so never in this test process).
#[cfg(feature = "reqwest")]
#[tokio::test]
#[ignore = "run by l8_default_http_client_ignores_proxy_variables, in a child process"]
async fn l8_child_requests_through_the_default_client() {
    if std::env::var_os(L8_CHILD).is_none() {
        return;
    }
    let client = tessera::oauth::ReqwestClient::new().unwrap();
    // `.invalid` never resolves: without a proxy this fails at DNS; through the proxy it
    // would reach the listener (which never answers, so the request would time out).
    let req = http::Request::post("http://tessera-l8.invalid/token").body(Bytes::from_static(b"client_secret=s3cr3t"));
    assert!(client.execute(req.unwrap()).await.is_err());
}

#[cfg(feature = "reqwest")]
#[test]
fn l8_default_http_client_ignores_proxy_variables() {
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", proxy.local_addr().unwrap());
    // The child's exact test name: this module's path without the crate's name.
    let module = module_path!().split_once("::").map_or("", |(_, path)| path);
    let child = format!("{module}::l8_child_requests_through_the_default_client");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([child.as_str(), "--exact", "--ignored"])
        .env(L8_CHILD, "1")
        .env("NO_PROXY", "")
        .env("no_proxy", "")
        .envs(
            [
                "HTTP_PROXY",
                "HTTPS_PROXY",
                "ALL_PROXY",
                "http_proxy",
                "https_proxy",
                "all_proxy",
            ]
            .map(|k| (k, &url)),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    proxy.set_nonblocking(true).unwrap();
    let contacted = proxy.accept();
    assert!(
        matches!(&contacted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the proxy from the environment was contacted: {contacted:?}"
    );
}

// ---------------------------------------------------------------------------------------
// I3: lifetimes that would overflow date arithmetic are refused at build
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn i3_huge_lifetimes_are_refused_at_build() {
    let secs = Duration::from_secs;
    let ten_years = secs(tessera::MAX_DURATION_SECS.unsigned_abs());
    let session = |max_age, update_age| SessionOptions { max_age, update_age };
    for (b, what) in [
        (
            builder().session(session(Duration::MAX, Duration::ZERO)),
            "session.max_age",
        ),
        (
            builder().session(session(secs(i64::MAX.unsigned_abs()), Duration::ZERO)),
            "session.max_age",
        ),
        (
            builder().session(session(secs(3600), ten_years + secs(1))),
            "session.update_age",
        ),
        (builder().jwt_max_age(Duration::MAX), "jwt_max_age"),
        (
            builder()
                .adapter(MemoryAdapter::new())
                .provider(EmailProvider::new(Seen::default()).max_age(Duration::MAX)),
            "EmailProvider::max_age",
        ),
    ] {
        let err = b.build().unwrap_err();
        assert_eq!(err, ConfigError::DurationTooLong(what));
        assert!(err.to_string().contains("10 years"), "{err}");
    }
    let mut cookies = CookieSet::defaults(Compat::NextAuthV4, false);
    cookies.state.options.max_age = Some(i64::MAX);
    assert!(matches!(
        builder().cookies(cookies).build(),
        Err(ConfigError::InvalidCookie(_))
    ));
    // A negative lifetime cannot be written any more (`Duration`); a fraction of a second,
    // or zero where it makes no sense, is refused with the setting's name.
    for (b, what) in [
        (
            builder()
                .adapter(MemoryAdapter::new())
                .provider(EmailProvider::new(Seen::default()).max_age(Duration::from_millis(1500))),
            "EmailProvider::max_age",
        ),
        (
            builder().session(session(Duration::ZERO, Duration::ZERO)),
            "session.max_age",
        ),
        (
            builder().session(session(Duration::from_millis(500), Duration::ZERO)),
            "session.max_age",
        ),
        (
            builder().session(session(secs(3600), Duration::from_millis(1))),
            "session.update_age",
        ),
        (builder().jwt_max_age(Duration::ZERO), "jwt_max_age"),
    ] {
        assert_eq!(b.build().unwrap_err(), ConfigError::InvalidDuration(what));
    }

    // The longest accepted lifetimes work end to end, with either strategy.
    for adapter in [false, true] {
        let b = builder().session(session(ten_years, ten_years)).jwt_max_age(ten_years);
        let b = if adapter { b.adapter(MemoryAdapter::new()) } else { b };
        let mut browser = Browser::new(b.build().unwrap());
        browser.sign_in().await;
        assert_eq!(browser.get("/api/auth/session").await.json()["user"]["name"], "Alice");
    }
}

// ---------------------------------------------------------------------------------------
// I10: an OAuth provider must keep state or PKCE
// ---------------------------------------------------------------------------------------

fn plain_oauth(id: &str) -> OAuthProvider {
    OAuthProvider::new(id)
        .authorization("https://idp.example/authorize")
        .token("https://idp.example/token")
        .userinfo("https://idp.example/me")
        .client_id("cid")
        .client_secret("csec")
}

#[test]
fn i10_oauth_without_state_or_pkce_is_refused_at_build() {
    for checks in [vec![], vec![Check::Nonce]] {
        let err = builder()
            .provider(plain_oauth("corp").checks(checks))
            .build()
            .unwrap_err();
        let ConfigError::InvalidProvider { id, reason } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(id, "corp");
        assert!(reason.contains("neither state nor PKCE"), "{reason}");
    }
    for checks in [vec![Check::State], vec![Check::Pkce], vec![Check::Pkce, Check::Nonce]] {
        assert!(builder().provider(plain_oauth("corp").checks(checks)).build().is_ok());
    }
    // The defaults keep state.
    assert!(builder().provider(plain_oauth("corp")).build().is_ok());
}

// ---------------------------------------------------------------------------------------
// I7: RSA client assertions are signed by ring, not by the `rsa` crate
// ---------------------------------------------------------------------------------------

/// A 2048-bit RSA key (PKCS#8), the same key as PKCS#1, and its public half.
const RSA_PKCS8: &str = include_str!("rsa-client-key.pem");
const RSA_PKCS1: &str = include_str!("rsa-client-key.pkcs1.pem");
const RSA_PUBLIC: &str = include_str!("rsa-client-key.pub.pem");

#[tokio::test]
async fn i7_rsa_client_assertions_verify_with_the_public_key() {
    let public = jsonwebtoken::DecodingKey::from_rsa_pem(RSA_PUBLIC.as_bytes()).unwrap();
    for (alg, pem, kid) in [
        (Algorithm::RS256, RSA_PKCS8, Some("rsa-1")),
        (Algorithm::RS256, RSA_PKCS1, None),
        (Algorithm::RS512, RSA_PKCS8, None),
        (Algorithm::PS256, RSA_PKCS1, Some("rsa-pss")),
    ] {
        let mut key = ClientKey::from_pem(alg, pem.as_bytes()).unwrap();
        if let Some(kid) = kid {
            key = key.kid(kid);
        }
        let idp = FakeIdp::default();
        idp.on(
            "POST",
            "https://idp.example/token",
            json!({"access_token": "at", "token_type": "bearer"}),
        );
        let auth = builder()
            .http_client(idp.clone())
            .provider(
                plain_oauth("corp")
                    .client_secret("")
                    .token_auth_method(TokenAuthMethod::PrivateKeyJwt(key)),
            )
            .build()
            .unwrap();
        auth.refresh_token_set("corp", "rt").await.unwrap();
        let body = idp.requests()[0].body.clone();
        let form: std::collections::HashMap<String, String> =
            form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        assert!(!form.contains_key("client_secret"));
        let mut validation = jsonwebtoken::Validation::new(alg);
        validation.set_audience(&["https://idp.example/token"]);
        validation.set_issuer(&["cid"]);
        let jwt = jsonwebtoken::decode::<Value>(&form["client_assertion"], &public, &validation)
            .unwrap_or_else(|e| panic!("{alg:?}: {e}"));
        assert_eq!(jwt.header.kid.as_deref(), kid);
        assert_eq!(jwt.header.typ.as_deref(), Some("JWT"));
        assert_eq!(jwt.claims["sub"], "cid");
        assert_eq!(
            jwt.claims["exp"].as_i64().unwrap() - jwt.claims["iat"].as_i64().unwrap(),
            60
        );
    }
}

#[test]
fn i7_unusable_rsa_keys_are_refused_when_read() {
    // An EC key, a public key and garbage are not RSA private keys; ring refuses RSA keys
    // under 2048 bits (the `rsa` crate signed with them).
    for pem in [
        common::CLIENT_KEY_PEM,
        RSA_PUBLIC,
        "not a pem",
        include_str!("rsa-1024-key.pem"),
    ] {
        assert!(matches!(
            ClientKey::from_pem(Algorithm::RS256, pem.as_bytes()),
            Err(ClientKeyError::Pem { .. })
        ));
    }
}
