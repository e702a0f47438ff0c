//! Two-factor sign-in (TOTP and recovery codes) through the in-process browser: set-up,
//! enabling, the stop after a first factor (`TwoFactorRequired`, JSON and redirect forms,
//! next-auth 4 and Auth.js v5, JWT and database sessions), the code that finishes it, and
//! the security properties, one test each. Codes are computed here from the secret.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::StatusCode;
use tessera::adapter::{Adapter, MemoryAdapter};
use tessera::jwt::JweCodec;
use tessera::providers::PasswordProvider;
use tessera::providers::email::EmailProvider;
use tessera::rate_limit::{Limit, RateLimits};
use tessera::{Auth, Compat, ConfigError, Secret, SessionStrategy, TwoFactor};

use crate::common::outbox::Outbox;
use crate::common::{Browser, Reply, SECRET, builder};

const PASSWORD: &str = "violet-anvil-sings-42";
const EMAIL: &str = "ada@example.com";
const ORIGIN: &str = "http://localhost:3000";

/// RFC 6238 with HMAC-SHA1 (ring), written here rather than taken from the engine.
fn totp(secret_base32: &str, step: i64) -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bytes, mut buffer, mut bits) = (Vec::new(), 0u64, 0);
    for c in secret_base32.bytes() {
        let v = alphabet.iter().position(|&a| a == c).expect("base32") as u64;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes.push((buffer >> bits) as u8);
        }
    }
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &bytes);
    let mac = ring::hmac::sign(&key, &step.to_be_bytes());
    let mac = mac.as_ref();
    let o = (mac[19] & 0xf) as usize;
    let n = u32::from_be_bytes([mac[o], mac[o + 1], mac[o + 2], mac[o + 3]]) & 0x7fff_ffff;
    format!("{:06}", n % 1_000_000)
}

fn step_now() -> i64 {
    (SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() / 30) as i64
}

struct Site {
    auth: Auth,
    db: Arc<MemoryAdapter>,
    outbox: Outbox,
    compat: Compat,
}

impl Site {
    fn new(strategy: SessionStrategy, compat: Compat) -> Site {
        Site::with(strategy, compat, RateLimits::default())
    }

    fn with(strategy: SessionStrategy, compat: Compat, limits: RateLimits) -> Site {
        let db = Arc::new(MemoryAdapter::new());
        let outbox = Outbox::default();
        let auth = builder()
            .compat(compat)
            .adapter(db.clone())
            .session_strategy(strategy)
            .rate_limits(limits)
            .provider(EmailProvider::new(outbox.clone()))
            .provider(PasswordProvider::new().require_verified_email(false))
            .two_factor(TwoFactor::new().issuer("Example"))
            .build()
            .unwrap();
        Site {
            auth,
            db,
            outbox,
            compat,
        }
    }

    fn browser(&self) -> Browser {
        Browser::new(self.auth.clone())
    }

    fn session_cookie(&self) -> &'static str {
        match self.compat {
            Compat::NextAuthV4 => "next-auth.session-token",
            Compat::AuthJsV5 => "authjs.session-token",
        }
    }

    fn pending_cookie(&self) -> &'static str {
        match self.compat {
            Compat::NextAuthV4 => "next-auth.two-factor",
            Compat::AuthJsV5 => "authjs.two-factor",
        }
    }

    /// Signs `email` up and returns a browser signed in with the password.
    async fn signed_in(&self, email: &str) -> Browser {
        let mut b = self.browser();
        let r = post(
            &mut b,
            "/api/auth/signup/password",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
        assert!(r.status.is_success() || r.status.is_redirection(), "{}", r.text());
        let r = sign_in(&mut b, email).await;
        assert!(error_of(&r).is_none(), "{}", r.text());
        assert_eq!(session_email(&mut b).await.as_deref(), Some(email));
        b
    }

    /// Signs `email` up, turns two-factor sign-in on (its first code: the previous step)
    /// and returns the secret and the recovery codes.
    async fn with_two_factor(&self, email: &str) -> (String, Vec<String>) {
        let mut b = self.signed_in(email).await;
        let setup = b.get("/api/auth/two-factor/setup?json=true").await;
        assert_eq!(setup.status, StatusCode::OK, "{}", setup.text());
        let json = setup.json();
        assert_eq!(json["enabled"], false);
        let secret = json["secret"].as_str().unwrap().to_owned();
        let r = post(
            &mut b,
            "/api/auth/two-factor/enable",
            &[("code", &totp(&secret, step_now() - 1))],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let codes: Vec<String> = r.json()["recoveryCodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        (secret, codes)
    }

    /// A browser whose password sign-in stopped at `TwoFactorRequired`.
    async fn pending(&self, email: &str) -> Browser {
        let mut b = self.browser();
        let r = sign_in(&mut b, email).await;
        assert_eq!(error_of(&r).as_deref(), Some("TwoFactorRequired"), "{}", r.text());
        assert!(b.jar.contains_key(self.pending_cookie()));
        b
    }
}

async fn post(b: &mut Browser, path: &str, fields: &[(&str, &str)]) -> Reply {
    let csrf = b.csrf().await;
    let mut form = vec![("csrfToken", csrf.as_str()), ("json", "true")];
    form.extend_from_slice(fields);
    b.post_form(path, &form).await
}

async fn sign_in(b: &mut Browser, email: &str) -> Reply {
    post(
        b,
        "/api/auth/callback/password",
        &[("email", email), ("password", PASSWORD)],
    )
    .await
}

async fn second_factor(b: &mut Browser, code: &str) -> Reply {
    post(b, "/api/auth/callback/two-factor", &[("code", code)]).await
}

async fn session_email(b: &mut Browser) -> Option<String> {
    let s = b.get("/api/auth/session").await.json();
    s["user"]["email"].as_str().map(str::to_owned)
}

fn error_of(r: &Reply) -> Option<String> {
    let url = url::Url::parse(r.json()["url"].as_str()?).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == "error")
        .map(|(_, v)| v.into_owned())
}

const STRATEGIES: [SessionStrategy; 2] = [SessionStrategy::Database, SessionStrategy::Jwt];
const COMPATS: [Compat; 2] = [Compat::NextAuthV4, Compat::AuthJsV5];

#[tokio::test]
async fn setup_enable_then_password_sign_in_stops_until_the_code() {
    for strategy in STRATEGIES {
        for compat in COMPATS {
            let site = Site::new(strategy, compat);
            let (secret, codes) = site.with_two_factor(EMAIL).await;
            assert_eq!(codes.len(), 10);
            assert_eq!(secret.len(), 32, "20 bytes in base32");

            // JSON form: no session, the pending cookie, `error=TwoFactorRequired`.
            let mut b = site.browser();
            let r = sign_in(&mut b, EMAIL).await;
            let expected_status = match compat {
                Compat::NextAuthV4 => StatusCode::UNAUTHORIZED,
                Compat::AuthJsV5 => StatusCode::OK,
            };
            assert_eq!(r.status, expected_status, "{strategy:?} {compat:?}");
            assert_eq!(
                r.json()["url"],
                format!("{ORIGIN}/api/auth/signin?error=TwoFactorRequired"),
                "{strategy:?} {compat:?}"
            );
            assert!(!b.jar.contains_key(site.session_cookie()), "no session before the code");
            assert_eq!(session_email(&mut b).await, None);
            assert!(b.jar.contains_key(site.pending_cookie()));

            let r = second_factor(&mut b, &totp(&secret, step_now())).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            assert_eq!(r.json()["url"], ORIGIN, "the first factor's callback URL");
            assert_eq!(
                session_email(&mut b).await.as_deref(),
                Some(EMAIL),
                "{strategy:?} {compat:?}"
            );
            assert!(!b.jar.contains_key(site.pending_cookie()), "the pending sign-in ends");

            // Redirect form (a browser's form, no JavaScript): to the sign-in page, which
            // shows the code form alone; a recovery code finishes.
            let mut b = site.browser();
            let csrf = b.csrf().await;
            let form = [("csrfToken", csrf.as_str()), ("email", EMAIL), ("password", PASSWORD)];
            let r = b.post_form("/api/auth/callback/password", &form).await;
            assert_eq!(r.status, StatusCode::FOUND);
            assert_eq!(
                r.location(),
                Some("http://localhost:3000/api/auth/signin?error=TwoFactorRequired")
            );
            let page = b.get("/api/auth/signin?error=TwoFactorRequired").await;
            let html = page.text();
            assert!(
                html.contains(r#"action="http://localhost:3000/api/auth/callback/two-factor""#),
                "{html}"
            );
            assert!(html.contains(r#"name="code""#));
            assert!(html.contains("Enter the code from your authenticator app"));
            assert!(!html.contains("callback/password"), "the first factor is done");
            let csrf = b.csrf().await;
            let r = b
                .post_form(
                    "/api/auth/callback/two-factor",
                    &[("csrfToken", &csrf), ("code", &codes[0])],
                )
                .await;
            assert_eq!(r.status, StatusCode::FOUND, "{}", r.text());
            assert_eq!(r.location(), Some(ORIGIN));
            assert_eq!(session_email(&mut b).await.as_deref(), Some(EMAIL));
        }
    }
}

#[tokio::test]
async fn a_wrong_code_is_refused_and_the_pending_sign_in_stays() {
    let site = Site::new(SessionStrategy::Database, Compat::NextAuthV4);
    let (secret, _) = site.with_two_factor(EMAIL).await;
    let mut b = site.pending(EMAIL).await;
    let right = totp(&secret, step_now());
    let wrong = if right == "000000" { "000001" } else { "000000" };
    for code in [wrong, "", "12345", "abcdef", "0000000", "aaaa-bbbb-cccc"] {
        let r = second_factor(&mut b, code).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{code:?}");
        assert_eq!(
            r.json()["url"],
            "http://localhost:3000/api/auth/signin?error=CredentialsSignin&provider=two-factor"
        );
        assert_eq!(session_email(&mut b).await, None);
    }
    // A code two steps away is outside the window.
    let r = second_factor(&mut b, &totp(&secret, step_now() + 3)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = second_factor(&mut b, &right).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(session_email(&mut b).await.as_deref(), Some(EMAIL));
}

#[tokio::test]
async fn a_replayed_code_is_refused() {
    let site = Site::new(SessionStrategy::Jwt, Compat::NextAuthV4);
    let (secret, _) = site.with_two_factor(EMAIL).await;
    // The code that enabled it (the previous step) is used already.
    let mut b = site.pending(EMAIL).await;
    let r = second_factor(&mut b, &totp(&secret, step_now() - 1)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "the enabling code is used");
    let code = totp(&secret, step_now());
    let r = second_factor(&mut b, &code).await;
    assert_eq!(r.status, StatusCode::OK);
    // The same code again, from another browser, within its window.
    let mut other = site.pending(EMAIL).await;
    let r = second_factor(&mut other, &code).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "a code is accepted once");
    assert_eq!(session_email(&mut other).await, None);
    // An earlier step than the last accepted one is refused too.
    let r = second_factor(&mut other, &totp(&secret, step_now() - 1)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = second_factor(&mut other, &totp(&secret, step_now() + 1)).await;
    assert_eq!(r.status, StatusCode::OK, "a later step is fine");
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let site = Site::new(SessionStrategy::Database, Compat::NextAuthV4);
    let (_, codes) = site.with_two_factor(EMAIL).await;
    let mut b = site.pending(EMAIL).await;
    // Typed in upper case with spaces: normalised.
    let typed = codes[3].to_uppercase().replace('-', " ");
    let r = second_factor(&mut b, &typed).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(session_email(&mut b).await.as_deref(), Some(EMAIL));
    let mut other = site.pending(EMAIL).await;
    let r = second_factor(&mut other, &codes[3]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "used up");
    let r = second_factor(&mut other, &codes[4]).await;
    assert_eq!(r.status, StatusCode::OK, "the others still work");
}

#[tokio::test]
async fn a_code_without_a_live_pending_sign_in_is_refused() {
    let site = Site::new(SessionStrategy::Database, Compat::NextAuthV4);
    let (secret, _) = site.with_two_factor(EMAIL).await;
    let (other_secret, _) = site.with_two_factor("bob@example.com").await;

    // No pending sign-in at all.
    let mut b = site.browser();
    let r = second_factor(&mut b, &totp(&secret, step_now())).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Tampered with.
    let mut b = site.pending(EMAIL).await;
    let name = site.pending_cookie();
    let value = b.jar[name].clone();
    let flipped = if value.ends_with('A') { 'B' } else { 'A' };
    b.jar
        .insert(name.into(), format!("{}{flipped}", &value[..value.len() - 1]));
    let r = second_factor(&mut b, &totp(&secret, step_now())).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "tampered");
    assert_eq!(session_email(&mut b).await, None);

    // Expired: the same claims, sealed with the server's key, ended a minute ago (beyond
    // the JWT clock tolerance).
    let mut b = site.pending(EMAIL).await;
    let codec = JweCodec::new(Compat::NextAuthV4, &[Secret::new(SECRET)], name);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let mut claims = codec.decode(&b.jar[name], now).expect("the engine's pending cookie");
    assert_eq!(claims["callback_url"], ORIGIN, "bound to the callback URL");
    let expired = codec.encode_claims(&mut claims, 300, now - 360);
    b.jar.insert(name.into(), expired);
    let r = second_factor(&mut b, &totp(&secret, step_now())).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "expired");
    assert_eq!(session_email(&mut b).await, None);
    // The same claims sealed now are good: it was the expiry that was refused.
    let live = codec.encode_claims(&mut claims, 300, now);
    b.jar.insert(name.into(), live);
    let r = second_factor(&mut b, &totp(&secret, step_now())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // Another user's code for this user's pending sign-in.
    let mut b = site.pending(EMAIL).await;
    let r = second_factor(&mut b, &totp(&other_secret, step_now())).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "bound to the user");
    assert_eq!(session_email(&mut b).await, None);

    // The user's own code still finishes it.
    let r = second_factor(&mut b, &totp(&secret, step_now() + 1)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(session_email(&mut b).await.as_deref(), Some(EMAIL));
}

#[tokio::test]
async fn codes_are_rate_limited_per_user() {
    let limits = RateLimits {
        two_factor_per_user: Some(Limit::new(3, Duration::from_secs(900))),
        ..RateLimits::default()
    };
    let site = Site::with(SessionStrategy::Database, Compat::NextAuthV4, limits);
    let (secret, codes) = site.with_two_factor(EMAIL).await;
    let right = totp(&secret, step_now());
    let wrong = if right == "000000" { "000001" } else { "000000" };
    let mut b = site.pending(EMAIL).await;
    for _ in 0..3 {
        assert_eq!(second_factor(&mut b, wrong).await.status, StatusCode::UNAUTHORIZED);
    }
    // From another browser too: the limit is the user's.
    let mut other = site.pending(EMAIL).await;
    let r = second_factor(&mut other, &right).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "even the right code");
    assert!(r.header("retry-after").is_some());
    let r = second_factor(&mut other, &codes[0]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "and recovery codes");
    assert_eq!(session_email(&mut other).await, None);
}

#[tokio::test]
async fn disabling_needs_a_code_or_the_password() {
    let site = Site::new(SessionStrategy::Jwt, Compat::NextAuthV4);
    let (secret, _) = site.with_two_factor(EMAIL).await;
    let mut b = site.pending(EMAIL).await;
    assert_eq!(
        second_factor(&mut b, &totp(&secret, step_now())).await.status,
        StatusCode::OK
    );
    let setup = b.get("/api/auth/two-factor/setup?json=true").await;
    assert_eq!(setup.json()["enabled"], true);

    let r = post(
        &mut b,
        "/api/auth/two-factor/disable",
        &[("code", "000000"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "a given code is checked, not the password"
    );
    let r = post(
        &mut b,
        "/api/auth/two-factor/disable",
        &[("password", "not-the-password-1")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"], "WrongCode");
    let r = post(&mut b, "/api/auth/two-factor/disable", &[("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["enabled"], false);
    let user = site.db.get_user_by_email(EMAIL).await.unwrap().unwrap();
    assert_eq!(site.db.get_two_factor(&user.id).await.unwrap(), None);

    // Signing in is one factor again.
    let mut c = site.browser();
    let r = sign_in(&mut c, EMAIL).await;
    assert_eq!(error_of(&r), None);
    assert_eq!(session_email(&mut c).await.as_deref(), Some(EMAIL));

    // With a code, on a second set-up.
    let (secret, _) = site.with_two_factor("bob@example.com").await;
    let mut b = site.pending("bob@example.com").await;
    assert_eq!(
        second_factor(&mut b, &totp(&secret, step_now())).await.status,
        StatusCode::OK
    );
    let r = post(
        &mut b,
        "/api/auth/two-factor/disable",
        &[("code", &totp(&secret, step_now() + 1))],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

#[tokio::test]
async fn setup_needs_a_session_csrf_the_same_origin_and_a_right_first_code() {
    let site = Site::new(SessionStrategy::Database, Compat::NextAuthV4);
    let mut anonymous = site.browser();
    let r = anonymous.get("/api/auth/two-factor/setup?json=true").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"], "SessionRequired");
    let r = post(&mut anonymous, "/api/auth/two-factor/enable", &[("code", "123456")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let mut b = site.signed_in(EMAIL).await;
    let page = b.get("/api/auth/two-factor/setup").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text().to_owned();
    assert!(html.contains("<svg"), "a QR code");
    assert!(html.contains(r#"action="http://localhost:3000/api/auth/two-factor/enable""#));
    let setup = b.get("/api/auth/two-factor/setup?json=true").await.json();
    let secret = setup["secret"].as_str().unwrap();
    assert_eq!(
        setup["uri"],
        format!(
            "otpauth://totp/Example:ada%40example%2Ecom?secret={secret}&issuer=Example&algorithm=SHA1&digits=6&period=30"
        )
    );
    assert!(setup["qrSvg"].as_str().unwrap().starts_with("<svg"));

    // Without the CSRF token, or cross-site: refused.
    let r = b
        .post_form(
            "/api/auth/two-factor/enable",
            &[("code", &totp(secret, step_now())), ("json", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    b.extra_headers.push(("origin".into(), "https://evil.example".into()));
    let r = post(
        &mut b,
        "/api/auth/two-factor/enable",
        &[("code", &totp(secret, step_now()))],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    b.extra_headers.clear();

    let r = post(&mut b, "/api/auth/two-factor/enable", &[("code", "000000")]).await;
    let expected = if totp(secret, step_now()) == "000000" {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    };
    assert_eq!(r.status, expected);
    let user = site.db.get_user_by_email(EMAIL).await.unwrap().unwrap();
    assert_eq!(
        site.db.get_two_factor(&user.id).await.unwrap(),
        None,
        "not stored before it is enabled"
    );

    let r = post(
        &mut b,
        "/api/auth/two-factor/enable",
        &[("code", &totp(secret, step_now()))],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let record = site.db.get_two_factor(&user.id).await.unwrap().expect("stored");
    assert!(!record.secret.contains(secret), "the secret is sealed at rest");
    assert!(record.secret.starts_with("eyJ"), "a JWE");
    assert!(
        !b.jar.contains_key("next-auth.two-factor-setup"),
        "the set-up cookie is gone"
    );

    let r = post(
        &mut b,
        "/api/auth/two-factor/enable",
        &[("code", &totp(secret, step_now() + 1))],
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "enabled already");
}

#[tokio::test]
async fn an_email_link_first_factor_stops_at_two_factor_required() {
    let site = Site::new(SessionStrategy::Database, Compat::NextAuthV4);
    let (secret, _) = site.with_two_factor(EMAIL).await;
    let mut b = site.browser();
    let r = post(&mut b, "/api/auth/signin/email", &[("email", EMAIL)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let link = site.outbox.last_link();
    let r = b.get(link.strip_prefix(ORIGIN).unwrap()).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(
        r.location(),
        Some("http://localhost:3000/api/auth/signin?error=TwoFactorRequired")
    );
    assert_eq!(session_email(&mut b).await, None);
    let r = second_factor(&mut b, &totp(&secret, step_now())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(session_email(&mut b).await.as_deref(), Some(EMAIL));
}

#[tokio::test]
async fn providers_lists_two_factor_only_when_it_is_on() {
    let site = Site::new(SessionStrategy::Database, Compat::NextAuthV4);
    let list = site.browser().get("/api/auth/providers").await.json();
    assert_eq!(list["two-factor"]["type"], "credentials");
    assert_eq!(
        list["two-factor"]["callbackUrl"],
        "http://localhost:3000/api/auth/callback/two-factor"
    );
    let plain = builder().build().unwrap();
    let list = Browser::new(plain).get("/api/auth/providers").await.json();
    assert!(list.get("two-factor").is_none());
    let r = Browser::new(builder().build().unwrap())
        .get("/api/auth/two-factor/setup")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "no routes when it is off");
}

#[tokio::test]
async fn build_refuses_two_factor_without_a_capable_adapter() {
    let refused = builder().two_factor(TwoFactor::new()).build();
    assert_eq!(refused.err(), Some(ConfigError::TwoFactorWithoutAdapter));
    let counting = crate::common::counting::Counting::default();
    let refused = builder().adapter(counting).two_factor(TwoFactor::new()).build();
    assert!(
        matches!(refused, Err(ConfigError::TwoFactorUnsupported(ref reason)) if reason.contains("two-factor")),
        "{refused:?}"
    );
}
