//! Provider token refresh (`Auth::access_token`, `Auth::refresh_token_set`) against a fake
//! token endpoint that counts its calls and answers slowly, so concurrent callers overlap.

use crate::common::fake_idp::FakeIdp;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tessera::adapter::{Adapter, MemoryAdapter, NewUser};
use tessera::providers::OAuthProvider;
use tessera::{Account, AccountType, Auth, TokenError};

const TOKEN_URL: &str = "https://idp.example/token";

/// The fake IdP's token endpoint, issuing `at-<n>` / `rt-<n>` for its n-th call, after
/// 50 ms (so concurrent callers overlap).
fn token_endpoint() -> FakeIdp {
    let idp = FakeIdp::default();
    idp.delay(Duration::from_millis(50));
    rotate(&idp, true);
    idp
}

/// The token endpoint answers with fresh tokens; with `rotation`, a new refresh token too.
fn rotate(idp: &FakeIdp, rotation: bool) {
    idp.on_call("POST", TOKEN_URL, move |n| {
        let mut body = json!({"access_token": format!("at-{n}"), "expires_in": 3600});
        if rotation {
            body["token_type"] = json!("bearer");
            body["refresh_token"] = json!(format!("rt-{n}"));
        }
        (200, body)
    });
}

/// The token endpoint answers with the OAuth error `invalid_grant`.
fn revoke(idp: &FakeIdp) {
    idp.on_status(
        "POST",
        TOKEN_URL,
        400,
        json!({"error": "invalid_grant", "error_description": "refresh token revoked"}),
    );
}

/// The bodies of the requests received, all of which were token requests (POST).
fn bodies(idp: &FakeIdp) -> Vec<String> {
    let requests = idp.requests();
    for r in &requests {
        assert_eq!((r.method.as_str(), r.url.as_str()), ("POST", TOKEN_URL));
    }
    requests.into_iter().map(|r| r.body).collect()
}

/// How many token requests the fake received.
fn calls(idp: &FakeIdp) -> usize {
    bodies(idp).len()
}

/// The provider whose token endpoint is the fake.
fn provider() -> OAuthProvider {
    OAuthProvider::new("demo")
        .authorization("https://idp.example/authorize")
        .token(TOKEN_URL)
        .userinfo("https://idp.example/userinfo")
        .client_id("cid")
        .client_secret("csec")
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

struct Fixture {
    auth: Auth,
    idp: FakeIdp,
    db: Arc<MemoryAdapter>,
    user_id: String,
}

/// A user with a `demo` account whose access token expires at `expires_at`.
async fn fixture(expires_at: i64) -> Fixture {
    let idp = token_endpoint();
    let db = Arc::new(MemoryAdapter::new());
    let user = db
        .create_user(NewUser {
            email: Some("a@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let extra = json!({
        "access_token": "at-0", "refresh_token": "rt-0", "expires_at": expires_at,
        "token_type": "bearer", "scope": "read"
    });
    db.link_account(Account {
        provider: "demo".into(),
        kind: AccountType::OAuth,
        provider_account_id: "acct-1".into(),
        user_id: Some(user.id.clone()),
        extra: extra.as_object().cloned().unwrap(),
    })
    .await
    .unwrap();
    let auth = Auth::builder()
        .secret("0123456789abcdef0123456789abcdef")
        .provider(provider())
        .adapter(db.clone())
        .http_client(idp.clone())
        .build()
        .unwrap();
    Fixture {
        auth,
        idp,
        db,
        user_id: user.id,
    }
}

async fn stored(f: &Fixture) -> serde_json::Map<String, Value> {
    let accounts = f.db.list_accounts(&f.user_id).await.unwrap();
    assert_eq!(accounts.len(), 1);
    accounts[0].extra.clone()
}

/// Runs `n` concurrent `access_token` calls on separate tasks.
async fn concurrently(f: &Fixture, n: usize) -> Vec<Result<tessera::AccessToken, TokenError>> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let auth = f.auth.clone();
            let user_id = f.user_id.clone();
            tokio::spawn(async move { auth.access_token(&user_id, "demo").await })
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_requests_for_an_expired_account_make_one_token_request() {
    let f = fixture(now() - 10).await;
    let results = concurrently(&f, 50).await;
    assert_eq!(calls(&f.idp), 1, "exactly one call to the token endpoint");
    for r in &results {
        let t = r.as_ref().unwrap();
        assert_eq!(t.access_token, "at-1");
        assert!(t.expires_at.unwrap() >= now() + 3500);
    }
    let body = &bodies(&f.idp)[0];
    assert_eq!(body, "grant_type=refresh_token&refresh_token=rt-0");
    // client_secret_basic (the default).
    let auth = f.idp.requests()[0].header("authorization").map(str::to_owned);
    assert_eq!(auth.as_deref(), Some("Basic Y2lkOmNzZWM="));

    let extra = stored(&f).await;
    assert_eq!(extra["access_token"], "at-1");
    assert_eq!(extra["refresh_token"], "rt-1", "the rotated refresh token is stored");
    assert!(extra["expires_at"].as_i64().unwrap() >= now() + 3500);
    assert_eq!(extra["scope"], "read", "fields the response lacks are kept");

    // Now fresh: no further request.
    let again = f.auth.access_token(&f.user_id, "demo").await.unwrap();
    assert_eq!(again.access_token, "at-1");
    assert_eq!(calls(&f.idp), 1);
}

#[tokio::test]
async fn a_fresh_token_is_returned_without_a_request() {
    let f = fixture(now() + 3600).await;
    let results = concurrently(&f, 10).await;
    for r in results {
        let t = r.unwrap();
        assert_eq!((t.access_token.as_str(), t.scope.as_deref()), ("at-0", Some("read")));
    }
    assert_eq!(calls(&f.idp), 0);
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed() {
    let f = fixture(now() + 30).await; // inside the 60 s skew
    let t = f.auth.access_token(&f.user_id, "demo").await.unwrap();
    assert_eq!(t.access_token, "at-1");
    assert_eq!(calls(&f.idp), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_error_reaches_every_waiter_and_the_next_call_tries_again() {
    let f = fixture(now() - 10).await;
    revoke(&f.idp);
    let results = concurrently(&f, 20).await;
    assert_eq!(calls(&f.idp), 1);
    for r in results {
        match r {
            Err(TokenError::Provider { code, description }) => {
                assert_eq!(code, "invalid_grant");
                assert_eq!(description.as_deref(), Some("refresh token revoked"));
            }
            other => panic!("expected a provider error, got {other:?}"),
        }
    }
    assert_eq!(stored(&f).await["access_token"], "at-0", "nothing stored on error");

    // Not cached: the next call makes a new request (and succeeds once the provider does).
    rotate(&f.idp, true);
    let t = f.auth.access_token(&f.user_id, "demo").await.unwrap();
    assert_eq!(t.access_token, "at-2");
    assert_eq!(calls(&f.idp), 2);
}

#[tokio::test]
async fn without_rotation_the_refresh_token_is_kept() {
    let f = fixture(now() - 10).await;
    rotate(&f.idp, false);
    let t = f.auth.access_token(&f.user_id, "demo").await.unwrap();
    assert_eq!(t.access_token, "at-1");
    let extra = stored(&f).await;
    assert_eq!(extra["refresh_token"], "rt-0");
    assert_eq!(extra["access_token"], "at-1");
}

#[tokio::test]
async fn rotated_refresh_tokens_are_used_for_the_next_refresh() {
    let f = fixture(now() - 10).await;
    f.auth.access_token(&f.user_id, "demo").await.unwrap();
    // Expire the new token by hand.
    let mut account = f.db.list_accounts(&f.user_id).await.unwrap().remove(0);
    account.extra.insert("expires_at".into(), json!(now() - 1));
    f.db.update_account(account).await.unwrap();
    let t = f.auth.access_token(&f.user_id, "demo").await.unwrap();
    assert_eq!(t.access_token, "at-2");
    assert_eq!(bodies(&f.idp)[1], "grant_type=refresh_token&refresh_token=rt-1");
    assert_eq!(stored(&f).await["refresh_token"], "rt-2");
}

#[tokio::test]
async fn typed_errors_for_missing_pieces() {
    let f = fixture(now() - 10).await;
    assert_eq!(
        f.auth.access_token(&f.user_id, "other").await,
        Err(TokenError::UnknownProvider("other".into()))
    );
    assert!(matches!(
        f.auth.access_token("no-such-user", "demo").await,
        Err(TokenError::NoAccount { .. })
    ));
    let mut account = f.db.list_accounts(&f.user_id).await.unwrap().remove(0);
    account.extra.remove("refresh_token");
    f.db.update_account(account).await.unwrap();
    assert_eq!(
        f.auth.access_token(&f.user_id, "demo").await,
        Err(TokenError::NoRefreshToken)
    );
    assert_eq!(calls(&f.idp), 0);

    let no_db = Auth::builder()
        .secret("0123456789abcdef0123456789abcdef")
        .provider(provider())
        .http_client(token_endpoint())
        .build()
        .unwrap();
    assert_eq!(no_db.access_token("u", "demo").await, Err(TokenError::NoAdapter));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_token_set_is_single_flight_by_refresh_token() {
    let f = fixture(now() - 10).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let auth = f.auth.clone();
            tokio::spawn(async move { auth.refresh_token_set("demo", "rt-x").await })
        })
        .collect();
    for t in tasks {
        let set = t.await.unwrap().unwrap();
        assert_eq!(set.access_token.as_deref(), Some("at-1"));
        assert_eq!(set.refresh_token.as_deref(), Some("rt-1"));
    }
    assert_eq!(calls(&f.idp), 1);
    assert_eq!(bodies(&f.idp)[0], "grant_type=refresh_token&refresh_token=rt-x");

    // Without rotation the old refresh token comes back, to keep in the JWT.
    rotate(&f.idp, false);
    let set = f.auth.refresh_token_set("demo", "rt-y").await.unwrap();
    assert_eq!(set.refresh_token.as_deref(), Some("rt-y"));
    assert_eq!(calls(&f.idp), 2);

    revoke(&f.idp);
    assert!(matches!(
        f.auth.refresh_token_set("demo", "rt-z").await,
        Err(TokenError::Provider { code, .. }) if code == "invalid_grant"
    ));
}

/// The `jwt` callback keeps the provider's tokens in the JWT and refreshes them through
/// `args.refresher` once expired; the `session` callback shows the access token.
struct Rotate;

#[tessera::async_trait]
impl tessera::callbacks::Callbacks for Rotate {
    async fn jwt(
        &self,
        args: tessera::callbacks::JwtArgs<'_>,
    ) -> Result<tessera::Token, tessera::callbacks::CallbackError> {
        let mut token = args.token;
        let expired = token
            .get("expires_at")
            .and_then(Value::as_i64)
            .is_some_and(|at| at < now());
        let refresh = token.get_str("refresh_token").map(str::to_owned);
        if let (true, Some(refresh)) = (expired, refresh) {
            match args.refresher.refresh_token_set("demo", &refresh).await {
                Ok(set) => {
                    token.set("access_token", set.access_token.unwrap_or_default());
                    token.set("refresh_token", set.refresh_token.unwrap_or_default());
                    token.set("expires_at", set.expires_at);
                }
                Err(_) => token.set("error", "RefreshAccessTokenError"),
            }
        }
        Ok(token)
    }
    async fn session(
        &self,
        mut args: tessera::callbacks::SessionArgs<'_>,
    ) -> Result<tessera::Session, tessera::callbacks::CallbackError> {
        let token = args.token.unwrap();
        for key in ["access_token", "error"] {
            if let Some(v) = token.get(key) {
                args.session.extra.insert(key.to_owned(), v.clone());
            }
        }
        Ok(args.session)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jwt_callback_refreshes_tokens_kept_in_the_jwt_once_for_concurrent_reads() {
    let idp = token_endpoint();
    let auth = Auth::builder()
        .secret("0123456789abcdef0123456789abcdef")
        .url("http://localhost:3000")
        .provider(provider())
        .callbacks(Rotate)
        .http_client(idp.clone())
        .build()
        .unwrap();
    let claims = json!({"sub": "u-1", "access_token": "at-0", "refresh_token": "rt-0", "expires_at": now() - 5});
    let jwt = auth.encode_token(
        tessera::Token::from_claims(claims.as_object().cloned().unwrap()),
        std::time::Duration::from_secs(3600),
    );
    let mut headers = http::HeaderMap::new();
    headers.insert("cookie", format!("next-auth.session-token={jwt}").parse().unwrap());

    let reads: Vec<_> = (0..20)
        .map(|_| {
            let (auth, headers) = (auth.clone(), headers.clone());
            tokio::spawn(async move { auth.session(&headers).await })
        })
        .collect();
    for read in reads {
        let session = read.await.unwrap().expect("a session");
        assert_eq!(session.extra["access_token"], "at-1");
    }
    assert_eq!(
        calls(&idp),
        1,
        "one refresh for twenty concurrent reads of the same token"
    );
    assert_eq!(bodies(&idp)[0], "grant_type=refresh_token&refresh_token=rt-0");

    // A revoked refresh token: the session stays, marked for a new sign-in.
    revoke(&idp);
    let claims = json!({"sub": "u-1", "refresh_token": "rt-dead", "expires_at": now() - 5});
    let jwt = auth.encode_token(
        tessera::Token::from_claims(claims.as_object().cloned().unwrap()),
        std::time::Duration::from_secs(3600),
    );
    headers.insert("cookie", format!("next-auth.session-token={jwt}").parse().unwrap());
    let session = auth.session(&headers).await.expect("the session stays");
    assert_eq!(session.extra["error"], "RefreshAccessTokenError");
}
