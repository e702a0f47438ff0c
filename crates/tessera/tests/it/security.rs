//! Bad input and the regression cases of shared/spec/security.md: each gets the spec's
//! answer or a clear 4xx; never a panic, never a 500 for a client's mistake.

use crate::common;
use crate::common::{Browser, auth, builder};
use bytes::Bytes;
use http::{Request, StatusCode};
use serde_json::json;
use tessera::Compat;
use tessera::jwt::JweCodec;
use tessera::{Auth, Secret, Token, User};

fn session_cookie(token: &str) -> String {
    format!("next-auth.session-token={token}")
}

async fn session_with_cookie(auth: &Auth, cookie: &str) -> common::Reply {
    let mut b = Browser::new(auth.clone());
    b.send(Request::get("/api/auth/session").header("cookie", cookie), Bytes::new())
        .await
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn tampered_expired_and_foreign_tokens_mean_no_session_and_are_cleared() {
    let auth = auth();
    let good = auth.encode_token(
        Token::for_user(&User::new("1").name("A")),
        std::time::Duration::from_secs(60),
    );
    assert_eq!(
        session_with_cookie(&auth, &session_cookie(&good)).await.json()["user"]["name"],
        "A"
    );

    let mut tampered = good.clone().into_bytes();
    let i = tampered.len() - 30;
    tampered[i] = if tampered[i] == b'a' { b'b' } else { b'a' };
    let expired = JweCodec::new(Compat::NextAuthV4, &[Secret::new(common::SECRET)], "").encode_claims(
        &mut Token::for_user(&User::new("1")).into_claims(),
        -16,
        now(),
    );
    let other_secret = JweCodec::new(Compat::NextAuthV4, &[Secret::new("another secret!!")], "").encode_claims(
        &mut Default::default(),
        60,
        now(),
    );
    // A check cookie (salt = its cookie name) pasted as the session cookie.
    let state = JweCodec::new(Compat::NextAuthV4, &[Secret::new(common::SECRET)], "next-auth.state").encode_claims(
        &mut json!({"value": "x", "provider": "p"}).as_object().unwrap().clone(),
        900,
        now(),
    );
    let v5 = JweCodec::new(Compat::AuthJsV5, &[Secret::new(common::SECRET)], "authjs.session-token").encode_claims(
        &mut Default::default(),
        60,
        now(),
    );
    for (what, token) in [
        ("tampered", String::from_utf8(tampered).unwrap()),
        ("expired", expired),
        ("other secret", other_secret),
        ("state cookie", state),
        ("v5 token", v5),
        ("garbage", "not-a-jwe".into()),
        ("bad percent-encoding", "%E0%A4%A".into()),
        ("five dots", ".....".into()),
    ] {
        let r = session_with_cookie(&auth, &session_cookie(&token)).await;
        assert_eq!((r.status, r.text()), (StatusCode::OK, "{}"), "{what}");
        assert!(
            r.set_cookies()
                .contains(&"next-auth.session-token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax".to_owned()),
            "{what}: the bad cookie is cleared"
        );
    }
    // Every chunk of a bad chunked cookie is cleared.
    let r = session_with_cookie(&auth, "next-auth.session-token.0=abc; next-auth.session-token.1=def").await;
    assert_eq!(r.text(), "{}");
    assert_eq!(r.set_cookies().iter().filter(|c| c.contains("Max-Age=0")).count(), 2);
}

#[tokio::test]
async fn secret_rotation_accepts_listed_old_secrets_only() {
    let old = builder().build().unwrap(); // secret common::SECRET
    let token = old.encode_token(
        Token::for_user(&User::new("1").name("A")),
        std::time::Duration::from_secs(60),
    );
    let rotated = Auth::builder()
        .url("http://localhost:3000")
        .secret("the new secret value")
        .secret(common::SECRET)
        .build()
        .unwrap();
    let r = session_with_cookie(&rotated, &session_cookie(&token)).await;
    assert_eq!(r.json()["user"]["name"], "A");
    // Re-issued under the new secret.
    let fresh = Auth::builder()
        .url("http://localhost:3000")
        .secret("the new secret value")
        .build()
        .unwrap();
    let reissued = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("next-auth.session-token="))
        .unwrap();
    let value = reissued
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    assert_eq!(
        session_with_cookie(&fresh, &session_cookie(&value)).await.json()["user"]["name"],
        "A"
    );
    assert_eq!(session_with_cookie(&fresh, &session_cookie(&token)).await.text(), "{}");
}

#[tokio::test]
async fn malformed_cookie_headers_never_panic() {
    let auth = auth();
    let huge = format!("next-auth.session-token={}", "A".repeat(100_000));
    for cookie in [
        "=",
        ";;;",
        "next-auth.session-token",
        "next-auth.session-token=\"\"",
        "next-auth.csrf-token=%ZZ|%",
        "next-auth.callback-url=javascript%3Aalert(1)",
        "next-auth.callback-url=%",
        huge.as_str(),
        "next-auth.session-token.99999999999999999999=x",
    ] {
        let r = session_with_cookie(&auth, cookie).await;
        assert_eq!(r.status, StatusCode::OK, "{cookie:.40}");
    }
    // Non-UTF-8 bytes in the header.
    let mut b = Browser::new(auth.clone());
    let header = http::HeaderValue::from_bytes(b"next-auth.session-token=\xff\xfe").unwrap();
    let r = b
        .send(Request::get("/api/auth/session").header("cookie", header), Bytes::new())
        .await;
    assert_eq!(r.text(), "{}");
}

#[tokio::test]
async fn invalid_callback_cookie_is_replaced_by_the_origin() {
    let r = session_with_cookie(&auth(), "next-auth.callback-url=javascript%3Aalert(1)").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.set_cookies()
            .iter()
            .any(|c| c.starts_with("next-auth.callback-url=http%3A%2F%2Flocalhost%3A3000;"))
    );
}

#[tokio::test]
async fn invalid_query_callback_is_a_400_not_a_500() {
    let mut b = Browser::new(auth());
    for path in [
        "/api/auth/session?callbackUrl=javascript:alert(1)",
        "/api/auth/csrf?callbackUrl=http://%5B",
    ] {
        let r = b.get(path).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(r.json()["message"].as_str().unwrap().contains("callbackUrl"));
    }
    let r = b.get("/api/auth/signin?callbackUrl=javascript:alert(1)").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("<!doctype html>"));
    assert!(!r.text().contains("javascript:alert"), "never echoed");
}

#[tokio::test]
async fn foreign_callback_urls_never_leave_the_origin() {
    let cases = [
        "https://localhost:3000.evil.com",
        "http://localhost:3000.evil.com/x",
        "//evil.com",
        "/\\evil.com",
        "\\\\evil.com",
        "https://localhost@evil.com",
        "http://localhost:3000@evil.com/",
        "http:evil.com",
        "/\t/evil.com",
        "/\n/evil.com",
        "%2F%2Fevil.com",
        "javascript:alert(1)",
        "http://[",
        "foo",
    ];
    for case in cases {
        let mut b = Browser::new(auth());
        let csrf = b.csrf().await;
        let r = b
            .post_form(
                "/api/auth/callback/credentials",
                &[
                    ("password", "pw"),
                    ("csrfToken", &csrf),
                    ("callbackUrl", case),
                    ("json", "true"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{case:?}");
        let url = r.json()["url"].as_str().unwrap().to_owned();
        let parsed = url::Url::parse(&url).unwrap();
        assert_eq!(
            parsed.origin().ascii_serialization(),
            "http://localhost:3000",
            "{case:?} -> {url}"
        );
        let cookie = percent_encoding::percent_decode_str(&b.jar["next-auth.callback-url"])
            .decode_utf8()
            .unwrap()
            .into_owned();
        assert_eq!(
            url::Url::parse(&cookie).unwrap().origin().ascii_serialization(),
            "http://localhost:3000"
        );
        // Without json: the Location header stays home too.
        let r = b
            .post_form("/api/auth/signout", &[("csrfToken", &csrf), ("callbackUrl", case)])
            .await;
        let loc = url::Url::parse(r.location().unwrap()).unwrap();
        assert_eq!(loc.origin().ascii_serialization(), "http://localhost:3000", "{case:?}");
    }
}

#[tokio::test]
async fn host_header_does_not_move_the_canonical_url() {
    let mut b = Browser::new(auth());
    b.extra_headers.push(("host".into(), "evil.com".into()));
    b.extra_headers.push(("x-forwarded-host".into(), "evil.com".into()));
    let r = b.get("/api/auth/providers").await;
    assert!(r.text().contains("http://localhost:3000/api/auth/signin/credentials"));
    assert!(!r.text().contains("evil.com"));
    let r = b.sign_in().await;
    assert_eq!(r.json()["url"], "http://localhost:3000");
}

#[tokio::test]
async fn forged_csrf_is_refused_everywhere() {
    let secret_a = Auth::builder()
        .url("http://localhost:3000")
        .secret("first secret value")
        .provider(common::credentials())
        .build()
        .unwrap();
    let mut other = Browser::new(secret_a);
    let foreign_token = other.csrf().await;
    let foreign_cookie = other.jar["next-auth.csrf-token"].clone();

    let mut b = Browser::new(auth());
    b.sign_in().await;
    // A cookie signed with another secret, and the matching token in the body.
    b.jar.insert("next-auth.csrf-token".into(), foreign_cookie);
    let r = b
        .post_json("/api/auth/session", json!({"csrfToken": foreign_token}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = b
        .post_form("/api/auth/signout", &[("csrfToken", &foreign_token), ("json", "true")])
        .await;
    assert_eq!(r.json()["url"], "http://localhost:3000/api/auth/signout?csrf=true");
    // No cookie at all.
    b.jar.clear();
    let r = b
        .post_form(
            "/api/auth/callback/credentials",
            &[("password", "pw"), ("csrfToken", &foreign_token), ("json", "true")],
        )
        .await;
    assert_eq!(r.json()["url"], "http://localhost:3000/api/auth/signin?csrf=true");
    // csrfToken in the query never counts.
    let csrf = b.csrf().await;
    let r = b
        .post_form(
            &format!("/api/auth/callback/credentials?csrfToken={csrf}"),
            &[("password", "pw"), ("json", "true")],
        )
        .await;
    assert_eq!(r.json()["url"], "http://localhost:3000/api/auth/signin?csrf=true");
}

#[tokio::test]
async fn bodies_of_the_wrong_kind_or_size() {
    let mut b = Browser::new(builder().max_body_bytes(1024).build().unwrap());
    b.sign_in().await;
    let csrf = b.csrf().await;
    // Oversized.
    let r = b
        .post_form("/api/auth/signout", &[("csrfToken", &csrf), ("pad", &"x".repeat(2000))])
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.json()["message"].as_str().unwrap().contains("too large"));
    // Malformed JSON.
    let req = Request::post("/api/auth/session").header("content-type", "application/json");
    let r = b.send(req, Bytes::from_static(b"{\"csrfToken\":")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["message"].as_str().unwrap().contains("JSON"));
    // A form where JSON is expected works (both are parsed on every POST).
    let r = b.post_form("/api/auth/session", &[("csrfToken", &csrf)]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["user"]["name"], "Alice");
    // An unknown content type carries no fields: CSRF fails cleanly.
    let req = Request::post("/api/auth/session").header("content-type", "text/plain");
    let r = b.send(req, Bytes::from(format!("csrfToken={csrf}"))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Bad percent-encoding in query and form.
    let r = b.get("/api/auth/signin?error=%E0%A4%A&callbackUrl=%2F%ZZ").await;
    assert_eq!(r.status, StatusCode::OK, "the sign-in page, despite the broken escapes");
    assert!(r.text().contains("<html"), "{}", r.text());
    let req = Request::post("/api/auth/signout").header("content-type", "application/x-www-form-urlencoded");
    let r = b.send(req, Bytes::from_static(b"csrfToken=%ZZ%&&==&json=true")).await;
    assert_eq!(r.json()["url"], "http://localhost:3000/api/auth/signout?csrf=true");
}

#[test]
fn bearer_tokens_and_bad_percent_encoding() {
    let auth = auth();
    let token = auth.encode_token(Token::for_user(&User::new("7")), std::time::Duration::from_secs(60));
    let mut h = http::HeaderMap::new();
    h.insert("authorization", format!("Bearer {token}").parse().unwrap());
    assert_eq!(auth.token(&h).unwrap().sub(), Some("7"));
    for bad in ["Bearer %", "Bearer %E0%A4%A", "Bearer ", "Basic abc"] {
        h.insert("authorization", bad.parse().unwrap());
        assert!(auth.token(&h).is_none(), "{bad}");
    }
}

#[tokio::test]
async fn html_in_inputs_is_escaped_on_pages() {
    let mut b = Browser::new(auth());
    let r = b
        .get("/api/auth/signin?callbackUrl=%2F%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text().contains("<script>alert(1)"));
}

/// A deterministic storm of junk requests: nothing panics, nothing answers 5xx.
#[tokio::test]
async fn junk_requests_never_cause_a_server_error() {
    let auth = auth();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let pieces = [
        "session",
        "csrf",
        "providers",
        "signin",
        "signout",
        "callback",
        "error",
        "verify-request",
        "_log",
        "credentials",
        "%",
        "%00",
        "..",
        "",
        "?",
        "callbackUrl=",
        "javascript:",
        "//evil",
        "json=true",
        "csrfToken=",
        "error=",
        "%E0%A4",
        "\u{ff20}",
        "a".repeat(300).leak(),
    ];
    let pick = |n: u64| pieces[(n as usize) % pieces.len()];
    for _ in 0..400 {
        let path = format!(
            "/api/auth/{}/{}?{}={}&{}",
            pick(next()),
            pick(next()),
            pick(next()),
            pick(next()),
            pick(next())
        );
        let Ok(uri) = path.parse::<http::Uri>() else {
            continue;
        };
        let method = if next() % 2 == 0 {
            http::Method::GET
        } else {
            http::Method::POST
        };
        let ct = [
            "application/json",
            "application/x-www-form-urlencoded",
            "text/plain",
            "multipart/form-data",
        ][(next() % 4) as usize];
        let body = format!("{}={}&{}", pick(next()), pick(next()), pick(next()));
        let cookie = format!(
            "next-auth.session-token={}; next-auth.csrf-token={}|{}",
            pick(next()),
            pick(next()),
            pick(next())
        );
        let req = Request::builder().method(method).uri(uri).header("content-type", ct);
        let req = match http::HeaderValue::from_str(&cookie) {
            Ok(v) => req.header("cookie", v),
            Err(_) => req,
        };
        let res = auth.handle(req.body(Bytes::from(body)).unwrap()).await;
        assert!(!res.status().is_server_error(), "{path} -> {}", res.status());
    }
}
