//! `Client` and `SessionStore` in next-auth 5 mode (`Compat::AuthJsV5`) against the demo
//! server in Auth.js v5 mode: the requests next-auth 5's `next-auth/react` makes
//! (`X-Auth-Return-Redirect: 1`, no `json=true`), `null` for no session, sign-in results
//! with `code`, sign-out, `update()`, and two tabs on next-auth 5's channel.

use std::time::Duration;

use serde_json::json;
use tessera_client::{
    Client, Compat, HttpRequest, LocalBroadcast, Method, SessionStore, SignInOptions, SignInResponse, SignInResult,
    SignOutOptions, Status, StoreOptions, Transport,
};

use crate::common::{Demo, Recorder, eventually};

const WAIT: Duration = Duration::from_secs(10);

/// A next-auth 5 "browser" for a demo in v5 mode, with its requests recorded.
fn v5_client(demo: &Demo) -> (Client, Recorder) {
    let (client, recorder) = demo.client();
    (client.compat(Compat::AuthJsV5), recorder)
}

fn credentials(password: &str) -> SignInOptions {
    SignInOptions::new()
        .redirect(false)
        .field("username", "demo")
        .field("password", password)
}

fn complete(response: SignInResponse) -> SignInResult {
    match response {
        SignInResponse::Complete(result) => result,
        other @ SignInResponse::Redirect(_) => panic!("expected a result, got {other:?}"),
    }
}

/// The form fields of a recorded POST, in order.
fn form(request: &HttpRequest) -> Vec<(String, String)> {
    form_urlencoded::parse(request.body.as_deref().unwrap().as_bytes())
        .into_owned()
        .collect()
}

fn names(fields: &[(String, String)]) -> Vec<&str> {
    fields.iter().map(|(k, _)| k.as_str()).collect()
}

fn last_post(recorder: &Recorder) -> HttpRequest {
    recorder
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == Method::Post)
        .expect("a POST")
}

fn user_name(session: Option<&tessera_client::Session>) -> Option<String> {
    session?.user.as_ref()?.name.clone()
}

#[tokio::test]
async fn signed_out_session_is_null() {
    let demo = Demo::start_with(Compat::AuthJsV5);
    let (client, _) = v5_client(&demo);
    // The server's own answer is `null` (next-auth 4's is `{}`) …
    let raw = client
        .transport()
        .send(HttpRequest {
            method: Method::Get,
            url: client.url("session"),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: None,
        })
        .await
        .unwrap();
    assert_eq!((raw.status, raw.body.as_slice()), (200, b"null".as_slice()));
    // … which the client reads as signed out.
    assert_eq!(client.get_session().await.unwrap(), None);
    assert_eq!(client.compat_mode(), Compat::AuthJsV5);
}

#[tokio::test]
async fn wrong_password_gives_error_and_code_with_status_200() {
    let demo = Demo::start_with(Compat::AuthJsV5);
    let (client, recorder) = v5_client(&demo);
    let callback = format!("{}/dash", demo.url());
    let result = complete(
        client
            .sign_in("credentials", credentials("nope").callback_url(&callback), &[])
            .await
            .unwrap(),
    );
    assert_eq!(
        result,
        SignInResult {
            error: Some("CredentialsSignin".into()),
            code: Some("credentials".into()),
            status: 200,
            ok: true,
            url: None,
        }
    );
    assert_eq!(client.get_session().await.unwrap(), None);

    // next-auth 5's request: the header, no `json`, no `redirect`, `callbackUrl` last.
    let post = last_post(&recorder);
    assert_eq!(post.url, format!("{}/callback/credentials", demo.api()));
    assert_eq!(post.header("x-auth-return-redirect"), Some("1"));
    assert_eq!(post.header("content-type"), Some("application/x-www-form-urlencoded"));
    let fields = form(&post);
    assert_eq!(names(&fields), ["username", "password", "csrfToken", "callbackUrl"]);
    assert_eq!(fields[3].1, callback);

    // With redirect (the default) the answer's URL is where to go: the sign-in page with
    // the error and its code.
    let redirect = client
        .sign_in("credentials", credentials("nope").redirect(true), &[])
        .await
        .unwrap();
    assert_eq!(
        redirect.redirect_url(),
        Some(format!("{}/signin?error=CredentialsSignin&code=credentials", demo.api()).as_str())
    );
}

#[tokio::test]
async fn sign_in_update_and_sign_out() {
    let demo = Demo::start_with(Compat::AuthJsV5);
    let (client, recorder) = v5_client(&demo);

    // `redirectTo` wins over `callbackUrl` and goes out as `callbackUrl`.
    let to = format!("{}/to", demo.url());
    let options = credentials("demo")
        .callback_url(format!("{}/ignored", demo.url()))
        .field("redirectTo", &to);
    let result = complete(client.sign_in("credentials", options, &[]).await.unwrap());
    assert_eq!(
        result,
        SignInResult {
            error: None,
            code: None,
            status: 200,
            ok: true,
            url: Some(to.clone()),
        }
    );
    let fields = form(&last_post(&recorder));
    assert_eq!(names(&fields), ["username", "password", "csrfToken", "callbackUrl"]);
    assert_eq!(fields[3].1, to);
    let session = client.get_session().await.unwrap();
    assert_eq!(user_name(session.as_ref()).as_deref(), Some("Demo User"));

    // update(data): GET /csrf, then POST /session {csrfToken, data}.
    recorder.clear();
    let updated = client.update(Some(json!({ "name": "Ada" }))).await.unwrap();
    assert_eq!(user_name(updated.as_ref()).as_deref(), Some("Ada"));
    let shape: Vec<_> = recorder.requests().iter().map(|r| r.method).collect();
    assert_eq!(shape, [Method::Get, Method::Post]);
    // update() without data: next-auth 5 only GETs the session.
    recorder.clear();
    let plain = client.update(None).await.unwrap();
    assert_eq!(user_name(plain.as_ref()).as_deref(), Some("Ada"));
    let requests = recorder.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(
        (requests[0].method, requests[0].url.as_str()),
        (Method::Get, client.url("session").as_str())
    );

    // sign_out: the header, `csrfToken` and `callbackUrl` only; the answer's URL.
    let bye = format!("{}/bye", demo.url());
    let out = client
        .sign_out(SignOutOptions::new().callback_url(&bye).redirect(false))
        .await
        .unwrap();
    assert_eq!(out.url, bye);
    let post = last_post(&recorder);
    assert_eq!(post.url, client.url("signout"));
    assert_eq!(post.header("x-auth-return-redirect"), Some("1"));
    assert_eq!(names(&form(&post)), ["csrfToken", "callbackUrl"]);
    assert_eq!(client.get_session().await.unwrap(), None);
    // Signed out, update() gets `null` back.
    assert_eq!(client.update(Some(json!({ "name": "x" }))).await.unwrap(), None);
}

#[tokio::test]
async fn two_v5_tabs_stay_in_step_on_next_auth_5s_channel() {
    let demo = Demo::start_with(Compat::AuthJsV5);
    let (client, recorder) = v5_client(&demo);
    let profile = LocalBroadcast::with_compat(Compat::AuthJsV5);
    let tab = || SessionStore::new(client.clone(), StoreOptions::new().broadcast(profile.tab()));
    let (a, b) = (tab(), tab());
    let drivers = [
        tokio::spawn(a.run(tokio::time::sleep)),
        tokio::spawn(b.run(tokio::time::sleep)),
    ];
    eventually("both mounted", WAIT, || {
        a.status() == Status::Unauthenticated && b.status() == Status::Unauthenticated
    })
    .await;

    // A wrong password: a result with the code, nobody signed in, nothing posted.
    let bad = complete(a.sign_in("credentials", credentials("nope"), &[]).await.unwrap());
    assert_eq!(
        (bad.error.as_deref(), bad.code.as_deref(), bad.ok),
        (Some("CredentialsSignin"), Some("credentials"), true)
    );
    assert_eq!(a.status(), Status::Unauthenticated);
    assert!(profile.posted().is_empty(), "{:?}", profile.posted());

    // Sign in in A: B follows, told in next-auth 5's shape (no timestamp).
    a.sign_in("credentials", credentials("demo"), &[]).await.unwrap();
    assert_eq!(a.status(), Status::Authenticated);
    eventually("B signed in", WAIT, || b.status() == Status::Authenticated).await;
    assert_eq!(
        profile.last_value().as_deref(),
        Some(r#"{"event":"session","data":{"trigger":"getSession"}}"#)
    );

    // update() in A: A at once, B follows.
    a.update(Some(json!({ "name": "Tab A" }))).await.unwrap();
    assert_eq!(user_name(a.data().as_ref()).as_deref(), Some("Tab A"));
    eventually("B renamed", WAIT, || {
        user_name(b.data().as_ref()).as_deref() == Some("Tab A")
    })
    .await;

    // A next-auth 5 tab posts anything on the channel: B refetches (next-auth 5 does).
    let gets = recorder.session_gets();
    profile.set_item("{}");
    eventually("B refetched", WAIT, || recorder.session_gets() > gets).await;

    // Sign out in A: a `signout` message, B follows.
    a.sign_out(SignOutOptions::new().redirect(false)).await.unwrap();
    assert_eq!(a.status(), Status::Unauthenticated);
    assert_eq!(
        profile.last_value().as_deref(),
        Some(r#"{"event":"session","data":{"trigger":"signout"}}"#)
    );
    eventually("B signed out", WAIT, || b.status() == Status::Unauthenticated).await;

    // Signed out, next-auth 5's update() still asks (a v4 store would not): here it finds
    // nothing, and the store stays signed out.
    assert_eq!(a.update(None).await.unwrap(), None);
    assert_eq!(a.status(), Status::Unauthenticated);

    drop((a, b));
    for driver in drivers {
        tokio::time::timeout(WAIT, driver).await.unwrap().unwrap();
    }
}
