//! Revocable JWT sessions (issue 13, item 2, in one process): sign-out revokes the
//! session's `sid`, `Auth::revoke_user_sessions` sets a user epoch, and every JWT read
//! (`GET`/`POST /session`, `Auth::session`, `Auth::token`) refuses a revoked token.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use tessera::callbacks::{CallbackError, Callbacks, JwtArgs};
use tessera::revocations::{Revocation, RevocationPublisher};
use tessera::{Auth, SessionOptions, Token, User};

use crate::common::{Browser, auth, builder};

const COOKIE: &str = "next-auth.session-token";

fn headers(cookie: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("cookie", format!("{COOKIE}={cookie}").parse().unwrap());
    h
}

fn bearer(token: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("authorization", format!("Bearer {token}").parse().unwrap());
    h
}

/// A browser signed in with credentials (user "1"), and its session cookie's value.
async fn signed_in(auth: &Auth) -> (Browser, String) {
    let mut b = Browser::new(auth.clone());
    b.sign_in().await;
    let cookie = b.jar.get(COOKIE).expect("a session cookie").clone();
    (b, cookie)
}

/// A second browser holding a copy of `cookie`.
fn copy(auth: &Auth, cookie: &str) -> Browser {
    let mut b = Browser::new(auth.clone());
    b.jar.insert(COOKIE.into(), cookie.into());
    b
}

/// Asserts that every JWT read sees `cookie` as signed out (and `GET /session` clears it).
async fn assert_signed_out(auth: &Auth, cookie: &str) {
    let mut b = copy(auth, cookie);
    let r = b.get("/api/auth/session").await;
    assert_eq!(r.text(), "{}");
    assert!(
        r.set_cookies()
            .iter()
            .any(|c| c.starts_with(&format!("{COOKIE}=;")) && c.contains("Max-Age=0")),
        "{:?}",
        r.set_cookies()
    );
    let mut b = copy(auth, cookie);
    let csrf = b.csrf().await;
    let r = b
        .post_json(
            "/api/auth/session",
            serde_json::json!({ "csrfToken": csrf, "data": {} }),
        )
        .await;
    assert_eq!(r.text(), "{}");
    assert!(auth.session(&headers(cookie)).await.is_none());
    assert!(auth.token(&headers(cookie)).is_none());
    assert!(auth.token(&bearer(cookie)).is_none());
}

async fn assert_signed_in(auth: &Auth, cookie: &str) {
    let mut b = copy(auth, cookie);
    assert!(b.get("/api/auth/session").await.text().contains("Alice"));
    assert!(auth.session(&headers(cookie)).await.is_some());
    assert!(auth.token(&headers(cookie)).is_some());
}

fn sid(auth: &Auth, cookie: &str) -> String {
    let token = auth.token(&headers(cookie)).expect("a live token");
    token.get_str("sid").expect("a sid claim").to_owned()
}

#[tokio::test]
async fn sign_out_revokes_a_copied_cookie() {
    let auth = auth();
    let (mut b, cookie) = signed_in(&auth).await;
    let (_, other) = signed_in(&auth).await;
    assert_signed_in(&auth, &cookie).await;
    // The cookie the browser holds after a refresh is a re-encoding of the same session.
    b.get("/api/auth/session").await;
    let refreshed = b.jar[COOKIE].clone();
    assert_ne!(refreshed, cookie);

    let csrf = b.csrf().await;
    b.post_form("/api/auth/signout", &[("csrfToken", &csrf), ("json", "true")])
        .await;
    assert!(!b.jar.contains_key(COOKIE));

    assert_signed_out(&auth, &cookie).await;
    assert_signed_out(&auth, &refreshed).await;
    // Another session of the same user is untouched.
    assert_signed_in(&auth, &other).await;
    assert_eq!(auth.revocations().len(), 1);
}

#[tokio::test]
async fn revoke_user_sessions_ends_every_jwt_of_the_user_but_keep() {
    let auth = auth();
    let (_, laptop) = signed_in(&auth).await;
    let (mut phone, phone_cookie) = signed_in(&auth).await;
    let (_, kept) = signed_in(&auth).await;
    // Minted the way next-auth mints them: no `sid`.
    let alice = User::new("1").name("Alice").email("alice@example.com");
    let next_auth = auth.encode_token(Token::for_user(&alice), Duration::from_secs(3600));
    assert!(auth.token(&headers(&next_auth)).unwrap().get("sid").is_none());
    let bob = auth.encode_token(Token::for_user(&User::new("2").name("Bob")), Duration::from_secs(3600));
    // The phone's session is refreshed: its newest cookie started before the revocation too.
    phone.get("/api/auth/session").await;
    let phone_refreshed = phone.jar[COOKIE].clone();

    assert_eq!(auth.revoke_user_sessions("1", Some(&kept)).await, Ok(0));

    for cookie in [&laptop, &phone_cookie, &phone_refreshed, &next_auth] {
        assert_signed_out(&auth, cookie).await;
    }
    // `keep` and its refreshed copies stay; so do other users' sessions.
    assert_signed_in(&auth, &kept).await;
    let mut k = copy(&auth, &kept);
    k.get("/api/auth/session").await;
    let kept_refreshed = k.jar[COOKIE].clone();
    assert_ne!(kept_refreshed, kept);
    assert_signed_in(&auth, &kept_refreshed).await;
    assert!(auth.token(&headers(&bob)).is_some());

    // A session signed in after the revocation works.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (_, fresh) = signed_in(&auth).await;
    assert_signed_in(&auth, &fresh).await;

    // Revoking without `keep` ends the kept one too; a `keep` of another user is ignored.
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(auth.revoke_user_sessions("1", Some(&bob)).await, Ok(0));
    assert_signed_out(&auth, &kept_refreshed).await;
    assert_signed_out(&auth, &fresh).await;
}

#[tokio::test]
async fn a_revoked_keep_is_not_revived() {
    let auth = auth();
    let (_, a) = signed_in(&auth).await;
    let (_, b) = signed_in(&auth).await;
    auth.revoke_user_sessions("1", Some(&a)).await.unwrap();
    assert_signed_out(&auth, &b).await;
    // Keeping an already revoked session keeps nothing.
    tokio::time::sleep(Duration::from_millis(5)).await;
    auth.revoke_user_sessions("1", Some(&b)).await.unwrap();
    assert_signed_out(&auth, &b).await;
    assert_signed_out(&auth, &a).await;
}

/// A `jwt` callback that returns a token of its own, without the engine's claims.
struct FreshToken;

#[tessera::async_trait]
impl Callbacks for FreshToken {
    async fn jwt(&self, args: JwtArgs<'_>) -> Result<Token, CallbackError> {
        let mut t = Token::default();
        for claim in ["name", "email", "sub"] {
            if let Some(v) = args.token.get(claim) {
                t.set(claim, v.clone());
            }
        }
        Ok(t)
    }
}

#[tokio::test]
async fn the_session_id_survives_refresh_update_and_the_jwt_callback() {
    for auth in [auth(), builder().callbacks(FreshToken).build().unwrap()] {
        let (mut b, cookie) = signed_in(&auth).await;
        let sid = sid(&auth, &cookie);
        assert_eq!(sid.len(), 36, "{sid}");
        let jti = auth.token(&headers(&cookie)).unwrap().get_str("jti").map(str::to_owned);
        b.get("/api/auth/session").await;
        let refreshed = b.jar[COOKIE].clone();
        assert_eq!(self::sid(&auth, &refreshed), sid);
        let token = auth.token(&headers(&refreshed)).unwrap();
        assert_ne!(token.get_str("jti").map(str::to_owned), jti);
        let csrf = b.csrf().await;
        b.post_json(
            "/api/auth/session",
            serde_json::json!({ "csrfToken": csrf, "data": { "x": 1 } }),
        )
        .await;
        assert_eq!(self::sid(&auth, &b.jar[COOKIE].clone()), sid);
        // Each sign-in is a session of its own.
        let (_, other) = signed_in(&auth).await;
        assert_ne!(self::sid(&auth, &other), sid);
    }
}

#[tokio::test]
async fn the_list_prunes_entries_once_their_tokens_have_expired() {
    let auth = builder()
        .session(SessionOptions {
            max_age: Duration::from_secs(60),
            update_age: Duration::from_secs(0),
        })
        .jwt_max_age(Duration::from_secs(60))
        .build()
        .unwrap();
    let (mut b, cookie) = signed_in(&auth).await;
    let csrf = b.csrf().await;
    b.post_form("/api/auth/signout", &[("csrfToken", &csrf), ("json", "true")])
        .await;
    auth.revoke_user_sessions("2", None).await.unwrap();
    assert_eq!(auth.revocations().len(), 2);
    assert_signed_out(&auth, &cookie).await;

    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    // Still there while a token could be live (60 s plus jose's 15 s clock tolerance).
    let probe = |until| Revocation::Session {
        sid: "probe".into(),
        until,
    };
    auth.revocations().apply(probe(0), now + 60);
    assert_eq!(auth.revocations().len(), 2);
    // Then pruned, the probe (already past) with them.
    auth.revocations().apply(probe(0), now + 80);
    assert!(auth.revocations().is_empty());
}

/// Records what the engine publishes, as a shared store would receive it.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<Revocation>>);

impl RevocationPublisher for Recorder {
    fn publish(&self, revocation: &Revocation) {
        self.0.lock().unwrap().push(revocation.clone());
    }
}

#[tokio::test]
async fn revocations_made_here_reach_the_publisher_and_applied_ones_hold() {
    let auth = auth();
    let recorder = Arc::new(Recorder::default());
    assert!(auth.revocations().set_publisher(recorder.clone()).is_ok());
    let (mut b, cookie) = signed_in(&auth).await;
    let sid = sid(&auth, &cookie);
    let csrf = b.csrf().await;
    b.post_form("/api/auth/signout", &[("csrfToken", &csrf), ("json", "true")])
        .await;
    auth.revoke_user_sessions("2", None).await.unwrap();
    let published = recorder.0.lock().unwrap().clone();
    assert!(matches!(&published[..], [
        Revocation::Session { sid: s, .. },
        Revocation::User { user_id, keep: None, .. },
    ] if *s == sid && user_id == "2"));

    // What another instance revoked, applied here, holds here.
    let other = tessera::Auth::builder()
        .url("http://localhost:3000")
        .secret(crate::common::SECRET)
        .provider(crate::common::credentials())
        .build()
        .unwrap();
    let (_, cookie) = signed_in(&other).await;
    assert_signed_in(&auth, &cookie).await;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let revocation = Revocation::Session {
        sid: self::sid(&other, &cookie),
        until: now + 3600,
    };
    auth.revocations().apply(revocation, now);
    assert_signed_out(&auth, &cookie).await;
    assert_eq!(
        recorder.0.lock().unwrap().len(),
        2,
        "applied revocations are not published again"
    );
}
