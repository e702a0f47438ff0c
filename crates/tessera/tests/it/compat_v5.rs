//! Where Auth.js v5 mode answers differently from next-auth 4, each case in both modes:
//! the redirects asked for with `X-Auth-Return-Redirect` (a `{"url"}` JSON body with status
//! 200, errors included), the sign-in errors (`…/signin?error=CredentialsSignin&code=credentials`,
//! `…/signin?error=MissingCSRF`) and `POST /session` with a wrong token. The v5 answers are
//! those of `@auth/core` (next-auth 5.0.0-beta): `Auth()` in `packages/core/src/index.ts`,
//! `validateCSRF` in `lib/actions/callback/oauth/csrf-token.ts`, `CredentialsSignin` and
//! `MissingCSRF` in `errors.ts`.

use http::StatusCode;
use serde_json::json;
use tessera::callbacks::{CallbackError, Callbacks, SignInArgs, SignInDecision};
use tessera::{Compat, Pages};

use crate::common::{Browser, Reply, builder};

const ORIGIN: &str = "http://localhost:3000";

fn browser(compat: Compat) -> Browser {
    Browser::new(builder().compat(compat).build().unwrap())
}

/// What the real `next-auth/react` of each generation sends to ask for a JSON answer.
fn ask_for_json(b: &mut Browser, compat: Compat, form: &mut Vec<(&str, String)>) {
    match compat {
        Compat::NextAuthV4 => form.push(("json", "true".into())),
        Compat::AuthJsV5 => b.extra_headers.push(("x-auth-return-redirect".into(), "1".into())),
    }
}

async fn post(b: &mut Browser, path: &str, form: &[(&str, String)]) -> Reply {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post_form(path, &form).await
}

/// The status, the `{"url"}` body and the `Location` of a reply.
fn answer(r: &Reply) -> (StatusCode, Option<serde_json::Value>, Option<String>) {
    let body = (!r.body.is_empty()).then(|| r.json());
    (r.status, body, r.location().map(str::to_owned))
}

fn json_url(status: StatusCode, url: &str) -> (StatusCode, Option<serde_json::Value>, Option<String>) {
    (status, Some(json!({ "url": url })), None)
}

fn location(url: &str) -> (StatusCode, Option<serde_json::Value>, Option<String>) {
    (StatusCode::FOUND, None, Some(url.to_owned()))
}

/// A wrong password posted through `b` with the header next-auth 5 sends, whatever the mode.
async fn wrong_password_v5_header(b: &mut Browser) -> Reply {
    let csrf = b.csrf().await;
    b.extra_headers.push(("x-auth-return-redirect".into(), "1".into()));
    let form = [
        ("username", "a".to_owned()),
        ("password", "nope".to_owned()),
        ("csrfToken", csrf),
    ];
    post(b, "/api/auth/callback/credentials", &form).await
}

async fn wrong_password(compat: Compat, json: bool) -> (Reply, Browser) {
    let mut b = browser(compat);
    let csrf = b.csrf().await;
    let mut form = vec![
        ("username", "a".to_owned()),
        ("password", "nope".to_owned()),
        ("csrfToken", csrf),
    ];
    if json {
        ask_for_json(&mut b, compat, &mut form);
    }
    let r = post(&mut b, "/api/auth/callback/credentials", &form).await;
    (r, b)
}

#[tokio::test]
async fn a_wrong_password_is_a_200_sign_in_url_with_its_code_in_v5_and_a_401_error_url_in_v4() {
    let v5 = format!("{ORIGIN}/api/auth/signin?error=CredentialsSignin&code=credentials");
    let v4 = format!("{ORIGIN}/api/auth/error?error=CredentialsSignin&provider=credentials");

    let (r, b) = wrong_password(Compat::AuthJsV5, true).await;
    assert_eq!(answer(&r), json_url(StatusCode::OK, &v5), "{}", r.text());
    assert!(!b.jar.contains_key("authjs.session-token"));
    let (r, _) = wrong_password(Compat::AuthJsV5, false).await;
    assert_eq!(answer(&r), location(&v5), "a form post is redirected");

    let (r, b) = wrong_password(Compat::NextAuthV4, true).await;
    assert_eq!(answer(&r), json_url(StatusCode::UNAUTHORIZED, &v4), "{}", r.text());
    assert!(!b.jar.contains_key("next-auth.session-token"));
    let (r, _) = wrong_password(Compat::NextAuthV4, false).await;
    assert_eq!(answer(&r), location(&v4));
}

#[tokio::test]
async fn v5_asks_for_json_with_the_header_whatever_its_value_and_v4_ignores_it() {
    let mut b = browser(Compat::AuthJsV5);
    let csrf = b.csrf().await;
    b.extra_headers.push(("x-auth-return-redirect".into(), "true".into()));
    let form = [
        ("username", "a".to_owned()),
        ("password", "pw".to_owned()),
        ("csrfToken", csrf),
    ];
    let r = post(&mut b, "/api/auth/callback/credentials", &form).await;
    assert_eq!(answer(&r), json_url(StatusCode::OK, ORIGIN));
    assert!(b.jar.contains_key("authjs.session-token"));

    let mut b = browser(Compat::NextAuthV4);
    let r = wrong_password_v5_header(&mut b).await;
    assert_eq!(
        answer(&r),
        location(&format!(
            "{ORIGIN}/api/auth/error?error=CredentialsSignin&provider=credentials"
        ))
    );
}

/// A wrong CSRF token on `path`, asked for as JSON or as a form post.
async fn wrong_csrf(compat: Compat, path: &str, json: bool, signed_in: bool) -> (Reply, Browser) {
    let mut b = browser(compat);
    if signed_in {
        assert_eq!(b.sign_in().await.status, StatusCode::OK);
    }
    b.csrf().await;
    let mut form = vec![
        ("username", "a".to_owned()),
        ("password", "pw".to_owned()),
        ("csrfToken", "wrong".to_owned()),
    ];
    if json {
        ask_for_json(&mut b, compat, &mut form);
    }
    let r = post(&mut b, path, &form).await;
    (r, b)
}

#[tokio::test]
async fn a_wrong_csrf_token_on_sign_in_is_missing_csrf_in_v5_and_csrf_true_in_v4() {
    let v5 = format!("{ORIGIN}/api/auth/signin?error=MissingCSRF");
    let v4 = format!("{ORIGIN}/api/auth/signin?csrf=true");
    for path in ["/api/auth/callback/credentials", "/api/auth/signin/credentials"] {
        let (r, b) = wrong_csrf(Compat::AuthJsV5, path, true, false).await;
        assert_eq!(answer(&r), json_url(StatusCode::OK, &v5), "{path}");
        assert!(!b.jar.contains_key("authjs.session-token"));
        let (r, _) = wrong_csrf(Compat::AuthJsV5, path, false, false).await;
        assert_eq!(answer(&r), location(&v5), "{path}");

        let (r, b) = wrong_csrf(Compat::NextAuthV4, path, true, false).await;
        assert_eq!(answer(&r), json_url(StatusCode::OK, &v4), "{path}");
        assert!(!b.jar.contains_key("next-auth.session-token"));
        let (r, _) = wrong_csrf(Compat::NextAuthV4, path, false, false).await;
        assert_eq!(answer(&r), location(&v4), "{path}");
    }
}

#[tokio::test]
async fn a_wrong_csrf_token_on_sign_out_is_missing_csrf_in_v5_and_keeps_the_session() {
    let v5 = format!("{ORIGIN}/api/auth/signin?error=MissingCSRF");
    let (r, b) = wrong_csrf(Compat::AuthJsV5, "/api/auth/signout", true, true).await;
    assert_eq!(answer(&r), json_url(StatusCode::OK, &v5));
    assert!(!r.set_cookies().iter().any(|c| c.starts_with("authjs.session-token=")));
    let mut b = b;
    assert_eq!(b.get("/api/auth/session").await.json()["user"]["name"], "Alice");
    let (r, _) = wrong_csrf(Compat::AuthJsV5, "/api/auth/signout", false, true).await;
    assert_eq!(answer(&r), location(&v5));

    let v4 = format!("{ORIGIN}/api/auth/signout?csrf=true");
    let (r, mut b) = wrong_csrf(Compat::NextAuthV4, "/api/auth/signout", true, true).await;
    assert_eq!(answer(&r), json_url(StatusCode::OK, &v4));
    assert_eq!(b.get("/api/auth/session").await.json()["user"]["name"], "Alice");
    let (r, _) = wrong_csrf(Compat::NextAuthV4, "/api/auth/signout", false, true).await;
    assert_eq!(answer(&r), location(&v4));
}

#[tokio::test]
async fn sign_out_with_the_right_token_is_a_200_url_in_v5() {
    let mut b = browser(Compat::AuthJsV5);
    assert_eq!(b.sign_in().await.status, StatusCode::OK);
    let csrf = b.csrf().await;
    b.extra_headers.push(("x-auth-return-redirect".into(), "1".into()));
    let r = post(&mut b, "/api/auth/signout", &[("csrfToken", csrf)]).await;
    assert_eq!(answer(&r), json_url(StatusCode::OK, ORIGIN));
    assert!(r.set_cookies().iter().any(|c| c.starts_with("authjs.session-token=;")));
    assert_eq!(b.get("/api/auth/session").await.text(), "null");
}

#[tokio::test]
async fn update_with_a_wrong_token_is_400_null_in_v5_and_400_empty_object_in_v4() {
    for (compat, body) in [(Compat::AuthJsV5, "null"), (Compat::NextAuthV4, "{}")] {
        let mut b = browser(compat);
        assert_eq!(b.sign_in().await.status, StatusCode::OK);
        let r = b
            .post_json(
                "/api/auth/session",
                json!({"csrfToken": "wrong", "data": {"name": "Eve"}}),
            )
            .await;
        assert_eq!((r.status, r.text()), (StatusCode::BAD_REQUEST, body), "{compat:?}");
        assert_eq!(b.get("/api/auth/session").await.json()["user"]["name"], "Alice");
    }
}

#[tokio::test]
async fn v5_sign_in_errors_go_to_the_apps_sign_in_page_made_absolute() {
    let pages = Pages {
        sign_in: Some("/login".into()),
        ..Default::default()
    };
    let mut b = Browser::new(builder().compat(Compat::AuthJsV5).pages(pages).build().unwrap());
    let r = wrong_password_v5_header(&mut b).await;
    assert_eq!(
        answer(&r),
        json_url(
            StatusCode::OK,
            &format!("{ORIGIN}/login?error=CredentialsSignin&code=credentials")
        )
    );
    let form = [("csrfToken", "wrong".to_owned())];
    let r = post(&mut b, "/api/auth/signout", &form).await;
    assert_eq!(
        answer(&r),
        json_url(StatusCode::OK, &format!("{ORIGIN}/login?error=MissingCSRF"))
    );
}

#[tokio::test]
async fn an_authorize_error_is_its_code_on_the_sign_in_page_in_v5_and_the_error_in_v4() {
    for (compat, status, url) in [
        (
            Compat::AuthJsV5,
            StatusCode::OK,
            "/api/auth/signin?error=CredentialsSignin&code=Bad%20thing",
        ),
        (
            Compat::NextAuthV4,
            StatusCode::UNAUTHORIZED,
            "/api/auth/error?error=Bad%20thing",
        ),
    ] {
        let mut b = browser(compat);
        let csrf = b.csrf().await;
        let mut form = vec![("password", "throw".to_owned()), ("csrfToken", csrf)];
        ask_for_json(&mut b, compat, &mut form);
        let r = post(&mut b, "/api/auth/callback/credentials", &form).await;
        assert_eq!(answer(&r), json_url(status, &format!("{ORIGIN}{url}")), "{compat:?}");
    }
}

struct Deny;

#[tessera::async_trait]
impl Callbacks for Deny {
    async fn sign_in(&self, _args: SignInArgs<'_>) -> Result<SignInDecision, CallbackError> {
        Ok(SignInDecision::Deny)
    }
}

struct Throw;

#[tessera::async_trait]
impl Callbacks for Throw {
    async fn sign_in(&self, _args: SignInArgs<'_>) -> Result<SignInDecision, CallbackError> {
        Err(CallbackError("the directory is down".into()))
    }
}

#[tokio::test]
async fn a_denied_or_failed_sign_in_callback_is_access_denied_with_200_in_v5() {
    let access_denied = format!("{ORIGIN}/api/auth/error?error=AccessDenied");
    let run = |compat: Compat, throw: bool| async move {
        let b = builder().compat(compat);
        let b = if throw { b.callbacks(Throw) } else { b.callbacks(Deny) };
        let mut b = Browser::new(b.build().unwrap());
        let csrf = b.csrf().await;
        let mut form = vec![
            ("username", "a".to_owned()),
            ("password", "pw".to_owned()),
            ("csrfToken", csrf),
        ];
        ask_for_json(&mut b, compat, &mut form);
        let r = post(&mut b, "/api/auth/callback/credentials", &form).await;
        assert!(!b.jar.keys().any(|k| k.ends_with("session-token")));
        r
    };
    // `@auth/core` throws `AccessDenied` for both (`lib/actions/callback/index.ts`).
    assert_eq!(
        answer(&run(Compat::AuthJsV5, false).await),
        json_url(StatusCode::OK, &access_denied)
    );
    assert_eq!(
        answer(&run(Compat::AuthJsV5, true).await),
        json_url(StatusCode::OK, &access_denied)
    );
    // next-auth 4: 403 for a denial; a thrown error's message is the code.
    assert_eq!(
        answer(&run(Compat::NextAuthV4, false).await),
        json_url(StatusCode::FORBIDDEN, &access_denied)
    );
    let r = run(Compat::NextAuthV4, true).await;
    assert_eq!(
        r.json(),
        json!({"url": format!("{ORIGIN}/api/auth/error?error=the%20directory%20is%20down")})
    );
}
