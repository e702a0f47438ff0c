//! `Client` against the real demo server: every function, and every `sign_in` result of
//! spec §9.4 that the demo's providers can produce.

use crate::common;
use serde_json::json;
use tessera_client::{
    Client, ClientError, Method, ProviderType, SignInOptions, SignInResponse, SignInResult, SignOutOptions,
};

fn credentials(username: &str, password: &str) -> SignInOptions {
    SignInOptions::new()
        .redirect(false)
        .field("username", username)
        .field("password", password)
}

fn complete(response: SignInResponse) -> SignInResult {
    match response {
        SignInResponse::Complete(result) => result,
        other @ SignInResponse::Redirect(_) => panic!("expected a result, got {other:?}"),
    }
}

#[tokio::test]
async fn providers_csrf_and_signed_out_session() {
    let demo = common::Demo::start();
    let (client, recorder) = demo.client();

    let providers = client.get_providers().await.unwrap().expect("providers");
    let ids: Vec<_> = providers.iter().map(|p| (p.id.as_str(), p.kind)).collect();
    assert_eq!(
        ids,
        [
            ("credentials", ProviderType::Credentials),
            ("email", ProviderType::Email)
        ]
    );
    let credentials = providers.get("credentials").unwrap();
    assert_eq!(credentials.signin_url, format!("{}/signin/credentials", demo.api()));
    assert_eq!(credentials.callback_url, format!("{}/callback/credentials", demo.api()));

    let token = client.get_csrf_token().await.unwrap();
    assert_eq!(token.len(), 64);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    // The cookie store keeps the CSRF cookie: the same token comes back.
    assert_eq!(client.get_csrf_token().await.unwrap(), token);
    // Another "browser" gets another token.
    let (other, _) = demo.client();
    assert_ne!(other.get_csrf_token().await.unwrap(), token);

    assert_eq!(client.get_session().await.unwrap(), None);

    // fetchData's request shape: GET with Content-Type: application/json, no body.
    for request in recorder.requests() {
        assert_eq!(request.method, Method::Get);
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.body, None);
    }
}

#[tokio::test]
async fn credentials_sign_in_session_update_sign_out() {
    let demo = common::Demo::start();
    let (client, recorder) = demo.client();
    let callback = format!("{}/dash", demo.url());

    let result = complete(
        client
            .sign_in("credentials", credentials("demo", "demo").callback_url(&callback), &[])
            .await
            .unwrap(),
    );
    assert_eq!(
        result,
        SignInResult {
            error: None,
            code: None,
            status: 200,
            ok: true,
            url: Some(callback.clone()),
        }
    );

    // The requests of signIn: providers, csrf, then the form in next-auth's order.
    let requests = recorder.requests();
    let shape: Vec<_> = requests.iter().map(|r| (r.method, r.url.clone())).collect();
    assert_eq!(
        shape,
        [
            (Method::Get, format!("{}/providers", demo.api())),
            (Method::Get, format!("{}/csrf", demo.api())),
            (Method::Post, format!("{}/callback/credentials", demo.api())),
        ]
    );
    let post = &requests[2];
    assert_eq!(post.header("content-type"), Some("application/x-www-form-urlencoded"));
    let fields: Vec<(String, String)> = form_urlencoded::parse(post.body.as_deref().unwrap().as_bytes())
        .into_owned()
        .collect();
    let names: Vec<_> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["redirect", "username", "password", "callbackUrl", "csrfToken", "json"],
        "options first (callbackUrl keeps its place), then csrfToken, then json"
    );
    assert_eq!(fields[3].1, callback);
    assert_eq!(fields[5].1, "true");

    let session = client.get_session().await.unwrap().expect("signed in");
    let user = session.user.clone().unwrap();
    assert_eq!(user.name.as_deref(), Some("Demo User"));
    assert_eq!(user.email.as_deref(), Some("demo@example.com"));
    assert!(!session.expires.is_empty());

    // update(data): GET csrf, then POST JSON {csrfToken, data}.
    recorder.clear();
    let updated = client
        .update(Some(json!({ "name": "Ada Lovelace" })))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.user.as_ref().unwrap().name.as_deref(), Some("Ada Lovelace"));
    let requests = recorder.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!((requests[0].method, requests[1].method), (Method::Get, Method::Post));
    assert!(requests[0].url.ends_with("/csrf") && requests[1].url.ends_with("/session"));
    assert_eq!(requests[1].header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(requests[1].body.as_deref().unwrap()).unwrap();
    assert_eq!(body["data"], json!({ "name": "Ada Lovelace" }));
    assert_eq!(body["csrfToken"].as_str().unwrap().len(), 64);
    let again = client.get_session().await.unwrap().unwrap();
    assert_eq!(again.user.unwrap().name.as_deref(), Some("Ada Lovelace"));

    // The demo ignores names that are too long; update() without data only refreshes.
    let ignored = client
        .update(Some(json!({ "name": "x".repeat(65) })))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ignored.user.unwrap().name.as_deref(), Some("Ada Lovelace"));
    recorder.clear();
    let plain = client.update(None).await.unwrap().unwrap();
    assert_eq!(plain.user.unwrap().name.as_deref(), Some("Ada Lovelace"));
    let body: serde_json::Value = serde_json::from_str(recorder.requests()[1].body.as_deref().unwrap()).unwrap();
    assert!(body.get("data").is_none(), "data is left out: {body}");

    let bye = format!("{}/bye", demo.url());
    let out = client
        .sign_out(SignOutOptions::new().callback_url(&bye).redirect(false))
        .await
        .unwrap();
    assert_eq!(out.url, bye);
    assert_eq!(client.get_session().await.unwrap(), None);
    // Signed out, update() gets no session back.
    assert_eq!(client.update(Some(json!({ "name": "x" }))).await.unwrap(), None);
}

#[tokio::test]
async fn wrong_password() {
    let demo = common::Demo::start();
    let (client, _) = demo.client();
    let result = complete(
        client
            .sign_in("credentials", credentials("demo", "nope"), &[])
            .await
            .unwrap(),
    );
    assert_eq!(
        result,
        SignInResult {
            error: Some("CredentialsSignin".into()),
            code: None,
            status: 401,
            ok: false,
            url: None,
        }
    );
    assert_eq!(client.get_session().await.unwrap(), None);
}

#[tokio::test]
async fn csrf_failures() {
    let demo = common::Demo::start();
    let (client, recorder) = demo.client();
    // Replace the token in every POST, as a forged request would carry.
    recorder.tamper(|request| {
        if let Some(body) = request.body.take() {
            let fixed = if body.starts_with('{') {
                let mut v: serde_json::Value = serde_json::from_str(&body).unwrap();
                v["csrfToken"] = "forged".into();
                v.to_string()
            } else {
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(form_urlencoded::parse(body.as_bytes()).map(|(k, v)| {
                        let v = if k == "csrfToken" { "forged".into() } else { v };
                        (k, v)
                    }))
                    .finish()
            };
            request.body = Some(fixed);
        }
    });

    // §9.4: a CSRF failure is {error: null, status: 200, ok: true, url: …/signin?csrf=true}.
    let result = complete(
        client
            .sign_in("credentials", credentials("demo", "demo"), &[])
            .await
            .unwrap(),
    );
    assert_eq!(
        result,
        SignInResult {
            error: None,
            code: None,
            status: 200,
            ok: true,
            url: Some(format!("{}/signin?csrf=true", demo.api())),
        }
    );
    assert_eq!(client.get_session().await.unwrap(), None);

    let out = client.sign_out(SignOutOptions::new().redirect(false)).await.unwrap();
    assert_eq!(out.url, format!("{}/signout?csrf=true", demo.api()));

    // POST /session with a bad token: 400 {} → a typed error.
    let err = client.update(Some(json!({ "name": "x" }))).await.unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");
}

#[tokio::test]
async fn email_sign_in_sends_a_link_that_signs_in() {
    let demo = common::Demo::start();
    let (client, _) = demo.client();
    let result = complete(
        client
            .sign_in(
                "email",
                SignInOptions::new()
                    .field("email", "  Bob@Example.COM ")
                    .redirect(false),
                &[],
            )
            .await
            .unwrap(),
    );
    assert_eq!(
        result,
        SignInResult {
            error: None,
            code: None,
            status: 200,
            ok: true,
            url: Some(format!("{}/verify-request?provider=email&type=email", demo.api())),
        }
    );
    assert_eq!(client.get_session().await.unwrap(), None);

    // Follow the link with the same cookie store, as the user's browser would.
    let link = demo.magic_link("bob@example.com");
    let response = client
        .transport()
        .send(tessera_client::HttpRequest {
            method: Method::Get,
            url: link,
            headers: Vec::new(),
            body: None,
        })
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    let session = client.get_session().await.unwrap().expect("signed in by the link");
    assert_eq!(session.user.unwrap().email.as_deref(), Some("bob@example.com"));
}

#[tokio::test]
async fn email_sign_in_with_an_invalid_address() {
    let demo = common::Demo::start();
    let (client, _) = demo.client();
    let result = complete(
        client
            .sign_in(
                "email",
                SignInOptions::new().redirect(false).field("email", "not-an-address"),
                &[],
            )
            .await
            .unwrap(),
    );
    assert_eq!(
        result,
        SignInResult {
            error: Some("EmailSignin".into()),
            code: None,
            status: 200,
            ok: true,
            url: None,
        }
    );
}

#[tokio::test]
async fn redirecting_sign_ins_return_the_url() {
    let demo = common::Demo::start();
    let (client, recorder) = demo.client();
    let client = client.location(format!("{}/page?x=1", demo.url()));

    // redirect: true (the default): where the browser would go.
    let unknown = client.sign_in("github", SignInOptions::new(), &[]).await.unwrap();
    let expected = format!(
        "{}/signin?callbackUrl={}",
        demo.api(),
        form_urlencoded::byte_serialize(format!("{}/page?x=1", demo.url()).as_bytes()).collect::<String>()
    );
    assert_eq!(unknown, SignInResponse::Redirect(expected.clone()));
    assert_eq!(
        client.sign_in(None, SignInOptions::new(), &[]).await.unwrap(),
        SignInResponse::Redirect(expected)
    );
    // No POST was made for those.
    assert_eq!(recorder.count(Method::Post, ""), 0);

    let email = client
        .sign_in("email", SignInOptions::new().field("email", "carol@example.com"), &[])
        .await
        .unwrap();
    assert_eq!(
        email.redirect_url(),
        Some(format!("{}/verify-request?provider=email&type=email", demo.api()).as_str())
    );

    let wrong = client
        .sign_in("credentials", credentials("demo", "bad").redirect(true), &[])
        .await
        .unwrap();
    assert_eq!(
        wrong.redirect_url(),
        Some(format!("{}/error?error=CredentialsSignin&provider=credentials", demo.api()).as_str())
    );

    // Authorization params go into the query of the sign-in POST.
    recorder.clear();
    let ok = client
        .sign_in(
            "credentials",
            SignInOptions::new().field("username", "demo").field("password", "demo"),
            &[("prompt", "login"), ("login_hint", "a b")],
        )
        .await
        .unwrap();
    assert_eq!(ok, SignInResponse::Redirect(format!("{}/page?x=1", demo.url())));
    let post = recorder
        .requests()
        .into_iter()
        .find(|r| r.method == Method::Post)
        .unwrap();
    assert_eq!(
        post.url,
        format!("{}/callback/credentials?prompt=login&login_hint=a+b", demo.api())
    );
    assert!(client.get_session().await.unwrap().is_some());
}

#[tokio::test]
async fn base_url_and_base_path() {
    let demo = common::Demo::start();
    common::init();
    // A URL with a path gives the base path.
    let explicit = Client::new(&format!("{}/api/auth/", demo.url())).unwrap();
    assert_eq!(explicit.api_base(), demo.api());
    assert_eq!(explicit.get_session().await.unwrap(), None);
    // A wrong base path: the HTTP status comes back as an error.
    let wrong = Client::new(&demo.url()).unwrap().base_path("/auth");
    let err = wrong.get_session().await.unwrap_err();
    assert!(matches!(err, ClientError::Status { status: 404, .. }), "{err:?}");
    // Not a URL.
    assert!(matches!(Client::new("http://"), Err(ClientError::InvalidUrl { .. })));
}

#[tokio::test]
async fn network_failure_is_an_error_not_a_panic() {
    common::init();
    let port = common::closed_port();
    let client = Client::new(&format!("http://127.0.0.1:{port}")).unwrap();
    let checks = [
        client.get_session().await.map(|_| ()),
        client.get_csrf_token().await.map(|_| ()),
        client.get_providers().await.map(|_| ()),
        client
            .sign_in("credentials", credentials("demo", "demo"), &[])
            .await
            .map(|_| ()),
        client.sign_out(SignOutOptions::new()).await.map(|_| ()),
        client.update(Some(json!({}))).await.map(|_| ()),
    ];
    for result in checks {
        let err = result.unwrap_err();
        assert!(err.is_network(), "{err:?}");
        assert!(err.to_string().contains(&port.to_string()), "{err}");
    }
}
