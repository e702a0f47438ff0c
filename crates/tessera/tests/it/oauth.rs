//! The OAuth 2 / OIDC flow (spec §7.1) against a fake identity provider behind the
//! injectable [`HttpClient`]: the exact authorization URL, cookies and token request of
//! the §13 transcript, every security case, and the account-linking rules.

use crate::common;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::fake_idp::{EC_P256, ED25519, FakeIdp, Key, RSA_2, key, rsa};
use crate::common::{Browser, Reply};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::StatusCode;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use sha2::Digest;
use tessera::Compat;
use tessera::adapter::{Adapter, MemoryAdapter, NewUser};
use tessera::callbacks::{CallbackError, Callbacks, JwtArgs, JwtTrigger};
use tessera::jwt::{JweCodec, JwtError};
use tessera::oauth::HttpClient;
use tessera::providers::{Check, OAuthProvider, TokenAuthMethod};
use tessera::{Auth, AuthBuilder, ConfigError, Pages, Secret, SessionStrategy, Token};

const ISSUER: &str = "https://idp.example";
const REDIRECT_URI_ENC: &str = "http%3A%2F%2Flocalhost%3A3000%2Fapi%2Fauth%2Fcallback%2Fdemo";

/// The fake identity provider at <https://idp.example>: discovery (announcing the `iss`
/// authorization response parameter), the JWKS of `keys`, a token endpoint that fails
/// (500) until a test sets its answer, and an empty userinfo.
fn idp_with(keys: &[&Key]) -> FakeIdp {
    let idp = FakeIdp::default();
    idp.openid(
        ISSUER,
        keys,
        &json!({"authorization_response_iss_parameter_supported": true}),
    )
    .on_status("POST", &at("/token"), 500, json!({}))
    .on("GET", &at("/userinfo"), json!({}));
    idp
}

/// The URL of `path` at the fake provider.
fn at(path: &str) -> String {
    format!("{ISSUER}{path}")
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Standard claims for `sub` with `nonce`, overlaid with `extra`.
fn claims(sub: &str, nonce: &str, extra: &Value) -> Value {
    let mut c = json!({
        "iss": ISSUER,
        "sub": sub,
        "aud": "cid",
        "iat": now(),
        "exp": now() + 600,
        "nonce": nonce,
        "email": "User@Example.com",
        "name": "Idp User",
        "picture": "http://img",
    });
    c.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    c
}

fn token_response(id_token: &str) -> Value {
    json!({
        "access_token": "at-1",
        "token_type": "Bearer",
        "expires_in": 3600,
        "refresh_token": "rt-1",
        "scope": "openid email",
        "id_token": id_token,
    })
}

// ---------------------------------------------------------------------------------------
// The app side
// ---------------------------------------------------------------------------------------

/// The transcript's provider: static endpoints, checks pkce + state + nonce.
fn demo(id: &str) -> OAuthProvider {
    OAuthProvider::new(id)
        .name("Demo")
        .issuer(ISSUER)
        .authorization(format!("{ISSUER}/authorize"))
        .token(format!("{ISSUER}/token"))
        .userinfo(format!("{ISSUER}/userinfo"))
        .jwks_uri(format!("{ISSUER}/jwks"))
        .client_id("cid")
        .client_secret("csec")
        .scope("openid email")
        .checks([Check::Pkce, Check::State, Check::Nonce])
}

fn base(idp: &FakeIdp) -> AuthBuilder {
    Auth::builder()
        .url("http://localhost:3000")
        .secret(common::SECRET)
        .http_client(idp.clone())
}

fn browser(idp: &FakeIdp, f: impl FnOnce(AuthBuilder) -> AuthBuilder) -> Browser {
    Browser::new(f(base(idp).provider(demo("demo"))).build().unwrap())
}

fn param(url: &str, key: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn codec(salt: &str) -> JweCodec {
    JweCodec::new(Compat::NextAuthV4, &[Secret::new(common::SECRET)], salt)
}

/// POST /signin/:id (with the CSRF token) and return the authorization URL.
async fn start(b: &mut Browser, id: &str, query: &str) -> String {
    let csrf = b.csrf().await;
    let r = b
        .post_form(&format!("/api/auth/signin/{id}{query}"), &[("csrfToken", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::FOUND, "{:?}", r.location());
    r.location().unwrap().to_owned()
}

/// A whole sign-in through provider `id` as IdP user `sub`; returns the callback reply.
async fn sign_in_as(b: &mut Browser, idp: &FakeIdp, id: &str, sub: &str, extra: Value) -> Reply {
    let url = start(b, id, "").await;
    let state = param(&url, "state").unwrap();
    let nonce = param(&url, "nonce").unwrap();
    idp.on_status(
        "POST",
        &at("/token"),
        200,
        token_response(&rsa().sign(&claims(sub, &nonce, &extra))),
    );
    b.get(&format!("/api/auth/callback/{id}?code=CODE123&state={state}"))
        .await
}

fn assert_error(r: &Reply, code: &str) {
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(
        r.location(),
        Some(format!("http://localhost:3000/api/auth/error?error={code}").as_str()),
        "cookies: {:?}",
        r.set_cookies()
    );
}

async fn session(b: &mut Browser) -> Value {
    b.get("/api/auth/session").await.json()
}

// ---------------------------------------------------------------------------------------
// The transcript
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn authorization_url_and_check_cookies_match_the_transcript() {
    let idp = idp_with(&[&rsa()]);
    let mut b = browser(&idp, |b| b);
    let csrf = b.csrf().await;
    let r = b
        .post_form("/api/auth/signin/demo?prompt=login", &[("csrfToken", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    let url = r.location().unwrap();
    let state = param(url, "state").unwrap();
    let challenge = param(url, "code_challenge").unwrap();
    let nonce = param(url, "nonce").unwrap();
    for v in [&state, &challenge, &nonce] {
        assert_eq!(v.len(), 43);
        assert!(URL_SAFE_NO_PAD.decode(v).is_ok());
    }
    assert_eq!(
        url,
        format!(
            "https://idp.example/authorize?client_id=cid&scope=openid%20email&response_type=code&redirect_uri={REDIRECT_URI_ENC}&prompt=login&state={state}&code_challenge={challenge}&code_challenge_method=S256&nonce={nonce}"
        )
    );

    let cookies = r.set_cookies();
    assert_eq!(cookies.len(), 3, "{cookies:?}");
    let jwe = |c: &str, name: &str| -> String {
        let rest = c.strip_prefix(&format!("{name}=")).unwrap();
        rest.split(';').next().unwrap().to_owned()
    };
    assert!(cookies[0].starts_with("next-auth.state=eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0.."));
    assert!(cookies[0].contains("; Max-Age=900; Path=/; Expires="));
    assert!(cookies[0].ends_with(" GMT; HttpOnly; SameSite=Lax"));
    assert!(cookies[1].starts_with("next-auth.pkce.code_verifier=eyJ"));
    assert!(cookies[1].contains("; Max-Age=900; Path=/; Expires="));
    assert!(cookies[2].starts_with("next-auth.nonce=eyJ"));
    assert!(!cookies[2].contains("Max-Age"));
    assert!(cookies[2].contains("; Path=/; Expires=") && cookies[2].ends_with(" GMT; HttpOnly; SameSite=Lax"));

    let st = codec("next-auth.state")
        .decode(&jwe(&cookies[0], "next-auth.state"), now())
        .unwrap();
    assert_eq!(st["value"], state.as_str());
    assert_eq!(st["provider"], "demo");
    assert_eq!(st["exp"].as_i64().unwrap() - st["iat"].as_i64().unwrap(), 900);
    assert_eq!(st["jti"].as_str().unwrap().len(), 36);
    let keys: Vec<&str> = st.keys().map(String::as_str).collect();
    assert_eq!(keys, ["value", "provider", "iat", "exp", "jti"]);
    let pk = codec("next-auth.pkce.code_verifier")
        .decode(&jwe(&cookies[1], "next-auth.pkce.code_verifier"), now())
        .unwrap();
    let verifier = pk["value"].as_str().unwrap();
    assert_eq!(URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier)), challenge);
    let nc = codec("next-auth.nonce")
        .decode(&jwe(&cookies[2], "next-auth.nonce"), now())
        .unwrap();
    assert_eq!(nc["value"], nonce.as_str());
    // Each check cookie has its own key: the state cookie does not open as a nonce cookie.
    assert_eq!(
        codec("next-auth.nonce").decode(&jwe(&cookies[0], "next-auth.state"), now()),
        Err(JwtError::Decrypt)
    );

    // With json=true the URL comes back as {url}.
    let r = b
        .post_form("/api/auth/signin/demo", &[("csrfToken", &csrf), ("json", "true")])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["url"].as_str().unwrap().starts_with(
        "https://idp.example/authorize?client_id=cid&scope=openid%20email&response_type=code&redirect_uri="
    ));
}

#[tokio::test]
async fn providers_and_the_sign_in_page_list_the_provider() {
    let idp = idp_with(&[&rsa()]);
    let mut b = browser(&idp, |b| b);
    let r = b.get("/api/auth/providers").await;
    assert_eq!(
        r.text(),
        r#"{"demo":{"id":"demo","name":"Demo","type":"oauth","signinUrl":"http://localhost:3000/api/auth/signin/demo","callbackUrl":"http://localhost:3000/api/auth/callback/demo"}}"#
    );
    let csrf = b.csrf().await;
    let page = b.get("/api/auth/signin?callbackUrl=%2Fdash").await;
    let html = page.text();
    assert!(html.contains(r#"<form action="http://localhost:3000/api/auth/signin/demo" method="POST">"#));
    assert!(html.contains(&format!(r#"<input type="hidden" name="csrfToken" value="{csrf}">"#)));
    assert!(html.contains(r#"<input type="hidden" name="callbackUrl" value="/dash">"#));
    assert!(html.contains("Sign in with Demo"));
}

#[tokio::test]
async fn signin_needs_csrf_and_reports_failures_as_oauth_signin() {
    let idp = idp_with(&[&rsa()]);
    let mut b = browser(&idp, |b| b);
    let r = b.post_form("/api/auth/signin/demo", &[("csrfToken", "bad")]).await;
    assert_eq!(r.location(), Some("http://localhost:3000/api/auth/signin?csrf=true"));
    assert!(r.set_cookies().iter().all(|c| !c.starts_with("next-auth.state")));

    // Discovery fails (the IdP answers 404 for this issuer's document) → OAuthSignin.
    let broken = OAuthProvider::new("broken")
        .issuer("https://idp.example/nowhere")
        .client_id("cid")
        .client_secret("csec");
    let mut b = Browser::new(base(&idp).provider(broken).build().unwrap());
    let csrf = b.csrf().await;
    let r = b.post_form("/api/auth/signin/broken", &[("csrfToken", &csrf)]).await;
    assert_error(&r, "OAuthSignin");
}

#[tokio::test]
async fn request_query_overlays_params_but_not_the_protocol_ones() {
    let idp = idp_with(&[&rsa()]);
    let p = demo("demo")
        .authorization_param("prompt", "consent")
        .authorization_param("access_type", "offline");
    let mut b = Browser::new(base(&idp).provider(p).build().unwrap());
    let url = start(
        &mut b,
        "demo",
        "?prompt=login&login_hint=a%2Bb%40x.com&redirect_uri=https%3A%2F%2Fevil.example&client_id=evil&scope=openid+email+profile",
    )
    .await;
    assert!(url.starts_with(&format!(
        "https://idp.example/authorize?client_id=cid&scope=openid%20email%20profile&response_type=code&redirect_uri={REDIRECT_URI_ENC}&prompt=login&access_type=offline&login_hint=a%2Bb%40x.com&state="
    )), "{url}");
}

#[tokio::test]
async fn callback_exchanges_the_code_exactly_and_signs_in() {
    let idp = idp_with(&[&rsa()]);
    let mut b = browser(&idp, |b| b);
    let csrf = b.csrf().await;
    let r = b
        .post_form(
            "/api/auth/signin/demo",
            &[("csrfToken", &csrf), ("callbackUrl", "/after")],
        )
        .await;
    let url = r.location().unwrap().to_owned();
    let state = param(&url, "state").unwrap();
    let nonce = param(&url, "nonce").unwrap();
    let verifier = codec("next-auth.pkce.code_verifier")
        .decode(&b.jar["next-auth.pkce.code_verifier"], now())
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .to_owned();
    idp.on_status(
        "POST",
        &at("/token"),
        200,
        token_response(&rsa().sign(&claims("u-1", &nonce, &json!({})))),
    );

    let r = b
        .get(&format!("/api/auth/callback/demo?code=CODE123&state={state}"))
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("http://localhost:3000/after"));
    let cookies = r.set_cookies();
    assert_eq!(
        &cookies[..3],
        [
            "next-auth.state=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
            "next-auth.pkce.code_verifier=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
            "next-auth.nonce=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
        ]
    );
    assert!(cookies[3].starts_with("next-auth.session-token=eyJ"));
    assert_eq!(cookies.len(), 4);

    let token = idp.requests_to(&at("/token"));
    assert_eq!(token.len(), 1);
    let t = &token[0];
    assert_eq!(t.method, "POST");
    assert_eq!(t.headers["authorization"], "Basic Y2lkOmNzZWM=");
    assert_eq!(t.headers["content-type"], "application/x-www-form-urlencoded");
    assert_eq!(t.headers["accept"], "application/json");
    assert_eq!(
        t.body,
        format!("grant_type=authorization_code&code=CODE123&redirect_uri={REDIRECT_URI_ENC}&code_verifier={verifier}")
    );
    // The profile came from the ID token: no userinfo request.
    assert!(idp.requests_to(&at("/userinfo")).is_empty());

    let s = session(&mut b).await;
    assert_eq!(
        s["user"],
        json!({"name": "Idp User", "email": "user@example.com", "image": "http://img"})
    );
    let token = b.auth.token(&{
        let mut h = http::HeaderMap::new();
        h.insert("cookie", b.cookie_header().parse().unwrap());
        h
    });
    assert_eq!(token.unwrap().sub(), Some("u-1"));
}

#[tokio::test]
async fn client_secret_post_puts_credentials_in_the_body() {
    let idp = idp_with(&[&rsa()]);
    let p = demo("demo").token_auth_method(TokenAuthMethod::ClientSecretPost);
    let mut b = Browser::new(base(&idp).provider(p).build().unwrap());
    let r = sign_in_as(&mut b, &idp, "demo", "u-1", json!({})).await;
    assert_eq!(r.location(), Some("http://localhost:3000"));
    let t = &idp.requests_to(&at("/token"))[0];
    assert!(t.headers.get("authorization").is_none());
    assert!(t.body.ends_with("&client_id=cid&client_secret=csec"), "{}", t.body);
}

#[tokio::test]
async fn private_key_jwt_signs_a_client_assertion_instead_of_a_secret() {
    use tessera::providers::{ClientKey, ClientKeyError};
    let idp = idp_with(&[&rsa()]);
    let key = ClientKey::from_pem(Algorithm::ES256, common::CLIENT_KEY_PEM.as_bytes())
        .unwrap()
        .kid("client-1");
    let p = demo("demo")
        .client_secret("")
        .token_auth_method(TokenAuthMethod::PrivateKeyJwt(key));
    let mut b = Browser::new(base(&idp).provider(p).build().unwrap());
    let r = sign_in_as(&mut b, &idp, "demo", "u-1", json!({})).await;
    assert_eq!(r.location(), Some("http://localhost:3000"));

    let t = &idp.requests_to(&at("/token"))[0];
    assert!(t.headers.get("authorization").is_none(), "no Basic credentials");
    let form: std::collections::HashMap<String, String> =
        form_urlencoded::parse(t.body.as_bytes()).into_owned().collect();
    assert_eq!(form["client_id"], "cid");
    assert!(!form.contains_key("client_secret"));
    assert_eq!(
        form["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    let public = jsonwebtoken::DecodingKey::from_ec_components(common::CLIENT_KEY_X, common::CLIENT_KEY_Y).unwrap();
    let mut validation = jsonwebtoken::Validation::new(Algorithm::ES256);
    validation.set_audience(&[format!("{ISSUER}/token")]);
    validation.set_issuer(&["cid"]);
    let assertion = jsonwebtoken::decode::<Value>(&form["client_assertion"], &public, &validation).unwrap();
    assert_eq!(assertion.header.kid.as_deref(), Some("client-1"));
    let c = assertion.claims;
    assert_eq!(c["sub"], "cid");
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 60);
    assert!(c["jti"].as_str().unwrap().len() >= 16);

    // Each request gets a fresh assertion (a new jti).
    let mut again = Browser::new(
        base(&idp)
            .provider(
                demo("demo")
                    .client_secret("")
                    .token_auth_method(TokenAuthMethod::PrivateKeyJwt(
                        ClientKey::from_pem(Algorithm::ES256, common::CLIENT_KEY_PEM.as_bytes()).unwrap(),
                    )),
            )
            .build()
            .unwrap(),
    );
    sign_in_as(&mut again, &idp, "demo", "u-1", json!({})).await;
    let second: std::collections::HashMap<String, String> =
        form_urlencoded::parse(idp.requests_to(&at("/token"))[1].body.as_bytes())
            .into_owned()
            .collect();
    assert_ne!(second["client_assertion"], form["client_assertion"]);

    // Keys that cannot sign are refused when read.
    assert!(matches!(
        ClientKey::from_pem(Algorithm::HS256, common::CLIENT_KEY_PEM.as_bytes()),
        Err(ClientKeyError::Algorithm(Algorithm::HS256))
    ));
    assert!(matches!(
        ClientKey::from_pem(Algorithm::RS256, common::CLIENT_KEY_PEM.as_bytes()),
        Err(ClientKeyError::Pem { .. })
    ));
    assert!(matches!(
        ClientKey::from_pem(Algorithm::ES256, b"not a pem"),
        Err(ClientKeyError::Pem {
            alg: Algorithm::ES256,
            ..
        })
    ));
}

/// Adds a claim, or fails when the profile's `sub` is `refuse`.
struct Department;

#[tessera::async_trait]
impl tessera::providers::oauth::ProfileHook for Department {
    async fn complete(
        &self,
        profile: &mut serde_json::Map<String, Value>,
        _tokens: &tessera::providers::TokenSet,
        _http: &dyn HttpClient,
    ) -> Result<(), tessera::providers::ProfileError> {
        if profile["sub"] == "refuse" {
            return Err(tessera::providers::ProfileError("directory unavailable".into()));
        }
        profile.insert("name".into(), json!("From the hook"));
        Ok(())
    }
}

#[tokio::test]
async fn a_profile_hook_completes_the_profile_and_its_error_is_oauth_callback() {
    let idp = idp_with(&[&rsa()]);
    let mut b = browser(&idp, |b| b.provider(demo("hooked").profile_hook(Department)));
    sign_in_as(&mut b, &idp, "hooked", "u-1", json!({})).await;
    assert_eq!(session(&mut b).await["user"]["name"], "From the hook");

    let mut b = browser(&idp, |b| b.provider(demo("hooked").profile_hook(Department)));
    let r = sign_in_as(&mut b, &idp, "hooked", "refuse", json!({})).await;
    assert_error(&r, "OAuthCallback");
    assert_eq!(session(&mut b).await, json!({}));
}

#[tokio::test]
async fn form_post_callbacks_work_without_csrf() {
    let idp = idp_with(&[&rsa()]);
    let mut b = browser(&idp, |b| b);
    let url = start(&mut b, "demo", "?response_mode=form_post").await;
    assert!(url.contains("&response_mode=form_post&"));
    let state = param(&url, "state").unwrap();
    let nonce = param(&url, "nonce").unwrap();
    idp.on_status(
        "POST",
        &at("/token"),
        200,
        token_response(&rsa().sign(&claims("u-1", &nonce, &json!({})))),
    );
    let r = b
        .post_form("/api/auth/callback/demo", &[("code", "CODE123"), ("state", &state)])
        .await;
    assert_eq!(r.location(), Some("http://localhost:3000"));
    assert!(session(&mut b).await["user"]["email"] == "user@example.com");
}

#[tokio::test]
async fn form_post_on_https_sends_the_check_and_callback_cookies_cross_site() {
    /// POST /signin/demo<query>; the Set-Cookie lines.
    async fn cookies(b: &mut Browser, query: &str) -> Vec<String> {
        let csrf = b.csrf().await;
        let r = b
            .post_form(&format!("/api/auth/signin/demo{query}"), &[("csrfToken", &csrf)])
            .await;
        assert_eq!(r.status, StatusCode::FOUND);
        r.set_cookies()
    }
    let idp = idp_with(&[&rsa()]);
    let mut b = browser(&idp, |b| b.url("https://app.example"));
    let set = cookies(
        &mut b,
        "?response_mode=form_post&callbackUrl=https%3A%2F%2Fapp.example%2Fdone",
    )
    .await;
    for name in [
        "__Secure-next-auth.state=",
        "__Secure-next-auth.pkce.code_verifier=",
        "__Secure-next-auth.nonce=",
    ] {
        let c = set
            .iter()
            .find(|c| c.starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {set:?}"));
        assert!(c.ends_with("; HttpOnly; Secure; SameSite=None"), "{c}");
    }
    // The last callback-url cookie (the one the browser keeps) is cross-site too.
    let callback = set
        .iter()
        .rfind(|c| c.starts_with("__Secure-next-auth.callback-url="))
        .unwrap();
    assert!(
        callback.starts_with("__Secure-next-auth.callback-url=https%3A%2F%2Fapp.example%2Fdone;"),
        "{callback}"
    );
    assert!(callback.ends_with("; Secure; SameSite=None"), "{callback}");

    // A query-mode flow keeps SameSite=Lax.
    let mut b = browser(&idp, |b| b.url("https://app.example"));
    for c in cookies(&mut b, "").await {
        assert!(c.ends_with("SameSite=Lax"), "{c}");
    }
    // Without https, `None` would be refused by browsers: Lax stays.
    let mut b = browser(&idp, |b| b);
    for c in cookies(&mut b, "?response_mode=form_post").await {
        assert!(c.ends_with("SameSite=Lax"), "{c}");
    }
}

// ---------------------------------------------------------------------------------------
// Security cases
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn v5_a_failed_oauth_callback_is_oauth_callback_error_on_the_sign_in_page() {
    // `@auth/core` throws `OAuthCallbackError`, a sign-in error (`errors.ts`).
    let idp = idp_with(&[&rsa()]);
    let mut b = browser(&idp, |b| b.compat(Compat::AuthJsV5));
    let r = b.get("/api/auth/callback/demo?code=abc&state=zzz").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(
        r.location(),
        Some("http://localhost:3000/api/auth/signin?error=OAuthCallbackError")
    );
    b.extra_headers.push(("x-auth-return-redirect".into(), "1".into()));
    let r = b.get("/api/auth/callback/demo?code=abc&state=zzz").await;
    assert_eq!(
        (r.status, r.json()),
        (
            StatusCode::OK,
            json!({"url": "http://localhost:3000/api/auth/signin?error=OAuthCallbackError"})
        )
    );
    assert!(idp.requests_to(&at("/token")).is_empty());
}

#[tokio::test]
async fn missing_or_mismatched_state_is_oauth_callback() {
    let idp = idp_with(&[&rsa()]);
    // The transcript: no state cookie at all.
    let mut b = browser(&idp, |b| b);
    let r = b.get("/api/auth/callback/demo?code=abc&state=zzz").await;
    assert_error(&r, "OAuthCallback");
    assert!(idp.requests_to(&at("/token")).is_empty());

    // A state that does not match the cookie; the cookies are cleared all the same.
    let url = start(&mut b, "demo", "").await;
    assert!(param(&url, "state").is_some());
    let r = b.get("/api/auth/callback/demo?code=abc&state=zzz").await;
    assert_error(&r, "OAuthCallback");
    assert!(
        r.set_cookies()
            .iter()
            .any(|c| c.starts_with("next-auth.state=; Max-Age=0"))
    );
    assert!(idp.requests_to(&at("/token")).is_empty());

    // No state in the response.
    start(&mut b, "demo", "").await;
    assert_error(&b.get("/api/auth/callback/demo?code=abc").await, "OAuthCallback");

    // A nonce cookie missing (only state and pkce present).
    let url = start(&mut b, "demo", "").await;
    b.jar.remove("next-auth.nonce");
    let state = param(&url, "state").unwrap();
    assert_error(
        &b.get(&format!("/api/auth/callback/demo?code=abc&state={state}")).await,
        "OAuthCallback",
    );
}

#[tokio::test]
async fn a_check_cookie_from_another_provider_is_refused() {
    let idp = idp_with(&[&rsa()]);
    let mut b = Browser::new(
        base(&idp)
            .provider(demo("demo"))
            .provider(demo("other"))
            .build()
            .unwrap(),
    );
    let url = start(&mut b, "other", "").await;
    let state = param(&url, "state").unwrap();
    let nonce = param(&url, "nonce").unwrap();
    idp.on_status(
        "POST",
        &at("/token"),
        200,
        token_response(&rsa().sign(&claims("u-1", &nonce, &json!({})))),
    );
    let r = b.get(&format!("/api/auth/callback/demo?code=abc&state={state}")).await;
    assert_error(&r, "OAuthCallback");
    assert!(idp.requests_to(&at("/token")).is_empty());
}

#[tokio::test]
async fn a_check_cookie_pasted_as_the_session_is_no_session() {
    let idp = idp_with(&[&rsa()]);
    let mut b = browser(&idp, |b| b);
    start(&mut b, "demo", "").await;
    let state = b.jar["next-auth.state"].clone();
    let mut other = Browser::new(b.auth.clone());
    other.jar.insert("next-auth.session-token".into(), state);
    let r = other.get("/api/auth/session").await;
    assert_eq!(r.text(), "{}");
    assert!(
        r.set_cookies()
            .contains(&"next-auth.session-token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax".to_owned())
    );
}

#[tokio::test]
async fn a_replayed_callback_fails() {
    let idp = idp_with(&[&rsa()]);
    let mut b = browser(&idp, |b| b);
    let url = start(&mut b, "demo", "").await;
    let state = param(&url, "state").unwrap();
    let nonce = param(&url, "nonce").unwrap();
    idp.on_status(
        "POST",
        &at("/token"),
        200,
        token_response(&rsa().sign(&claims("u-1", &nonce, &json!({})))),
    );
    let callback = format!("/api/auth/callback/demo?code=CODE123&state={state}");
    assert_eq!(b.get(&callback).await.location(), Some("http://localhost:3000"));
    // The check cookies were cleared: the same response cannot be used twice.
    let r = b.get(&callback).await;
    assert_error(&r, "OAuthCallback");
    assert_eq!(idp.requests_to(&at("/token")).len(), 1);
}

#[tokio::test]
async fn an_idp_error_is_callback() {
    let idp = idp_with(&[&rsa()]);
    let mut b = browser(&idp, |b| b);
    start(&mut b, "demo", "").await;
    let r = b.get("/api/auth/callback/demo?error=access_denied").await;
    assert_error(&r, "Callback");
    // form_post errors too.
    let r = b
        .post_form("/api/auth/callback/demo", &[("error", "access_denied")])
        .await;
    assert_error(&r, "Callback");
}

/// Runs a callback whose token response carries `id_token` (built from the nonce).
async fn callback_with(idp: &FakeIdp, make: impl FnOnce(&str) -> Value, query_extra: &str) -> Reply {
    let mut b = browser(idp, |b| b);
    let url = start(&mut b, "demo", "").await;
    let state = param(&url, "state").unwrap();
    let nonce = param(&url, "nonce").unwrap();
    idp.on_status("POST", &at("/token"), 200, make(&nonce));
    b.get(&format!(
        "/api/auth/callback/demo?code=CODE123&state={state}{query_extra}"
    ))
    .await
}

#[tokio::test]
async fn bad_id_tokens_are_oauth_callback() {
    let idp = idp_with(&[&rsa()]);
    let good = |n: &str| claims("u-1", n, &json!({}));
    // Sanity: the good one passes.
    let r = callback_with(&idp, |n| token_response(&rsa().sign(&good(n))), "").await;
    assert_eq!(r.location(), Some("http://localhost:3000"));

    // Signed by another key that claims the same kid.
    let forged = Key {
        kid: "rsa-1",
        ..key("rsa-1", Algorithm::RS256, RSA_2)
    };
    let r = callback_with(&idp, |n| token_response(&forged.sign(&good(n))), "").await;
    assert_error(&r, "OAuthCallback");
    // A tampered payload.
    let r = callback_with(
        &idp,
        |n| {
            let t = rsa().sign(&good(n));
            let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
            parts[1] = URL_SAFE_NO_PAD.encode(claims("admin", n, &json!({})).to_string());
            token_response(&parts.join("."))
        },
        "",
    )
    .await;
    assert_error(&r, "OAuthCallback");
    // alg=none.
    let r = callback_with(
        &idp,
        |n| {
            let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"rsa-1"}"#);
            let p = URL_SAFE_NO_PAD.encode(good(n).to_string());
            token_response(&format!("{h}.{p}."))
        },
        "",
    )
    .await;
    assert_error(&r, "OAuthCallback");
    for bad in [
        json!({"aud": "someone-else"}),
        json!({"iss": "https://evil.example"}),
        json!({"exp": now() - 11}),
        json!({"iat": now() + 60}),
        json!({"nonce": "not-the-nonce"}),
        json!({"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}),
    ] {
        let r = callback_with(&idp, |n| token_response(&rsa().sign(&claims("u-1", n, &bad))), "").await;
        assert_error(&r, "OAuthCallback");
    }
    // No ID token at all from an OpenID Connect provider.
    let r = callback_with(&idp, |_| json!({"access_token": "at", "token_type": "Bearer"}), "").await;
    assert_error(&r, "OAuthCallback");
}

#[tokio::test]
async fn iss_parameter_must_match_the_issuer() {
    let idp = idp_with(&[&rsa()]);
    let ok = |n: &str| token_response(&rsa().sign(&claims("u-1", n, &json!({}))));
    let r = callback_with(&idp, ok, "&iss=https%3A%2F%2Fevil.example").await;
    assert_error(&r, "OAuthCallback");
    let r = callback_with(&idp, ok, "&iss=https%3A%2F%2Fidp.example").await;
    assert_eq!(r.location(), Some("http://localhost:3000"));
}

#[tokio::test]
async fn token_errors_are_oauth_callback_even_with_http_200() {
    let idp = idp_with(&[&rsa()]);
    let r = callback_with(
        &idp,
        |_| json!({"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}),
        "",
    )
    .await;
    assert_error(&r, "OAuthCallback");
    // And an HTTP error.
    let mut b = browser(&idp, |b| b);
    let url = start(&mut b, "demo", "").await;
    let state = param(&url, "state").unwrap();
    idp.on_status("POST", &at("/token"), 400, json!({"error": "invalid_grant"}));
    assert_error(
        &b.get(&format!("/api/auth/callback/demo?code=x&state={state}")).await,
        "OAuthCallback",
    );
}

#[tokio::test]
async fn keys_rotate_es256_and_eddsa_verify() {
    let first = rsa();
    let idp = idp_with(&[&first]);
    // Warm the JWKS cache with the first key.
    let r = callback_with(&idp, |n| token_response(&first.sign(&claims("u-1", n, &json!({})))), "").await;
    assert_eq!(r.location(), Some("http://localhost:3000"));
    let before = idp.requests_to(&at("/jwks")).len();

    // One Auth (one cache) for the rotation: the IdP starts signing with a new key.
    let mut b = browser(&idp, |b| b);
    let ec = key("ec-1", Algorithm::ES256, EC_P256);
    let ed = key("ed-1", Algorithm::EdDSA, ED25519);
    let rsa_key = rsa();
    let r = sign_in_as(&mut b, &idp, "demo", "u-1", json!({})).await; // fills this Auth's cache
    assert_eq!(r.location(), Some("http://localhost:3000"));
    idp.jwks(&at("/jwks"), &[&rsa_key, &ec, &ed]);
    for k in [&ec, &ed] {
        let url = start(&mut b, "demo", "").await;
        let state = param(&url, "state").unwrap();
        let nonce = param(&url, "nonce").unwrap();
        idp.on_status(
            "POST",
            &at("/token"),
            200,
            token_response(&k.sign(&claims("u-1", &nonce, &json!({})))),
        );
        let r = b.get(&format!("/api/auth/callback/demo?code=c&state={state}")).await;
        assert_eq!(r.location(), Some("http://localhost:3000"), "{:?}", k.alg);
    }
    // One fetch to fill the cache, one refetch for the unknown kid "ec-1"; "ed-1" was in it.
    assert_eq!(idp.requests_to(&at("/jwks")).len() - before, 2);

    // An unknown kid right after a refetch does not refetch again (cool-down).
    let stranger = Key {
        kid: "unknown",
        ..key("unknown", Algorithm::RS256, RSA_2)
    };
    let url = start(&mut b, "demo", "").await;
    let state = param(&url, "state").unwrap();
    let nonce = param(&url, "nonce").unwrap();
    idp.on_status(
        "POST",
        &at("/token"),
        200,
        token_response(&stranger.sign(&claims("u-1", &nonce, &json!({})))),
    );
    assert_error(
        &b.get(&format!("/api/auth/callback/demo?code=c&state={state}")).await,
        "OAuthCallback",
    );
    assert_eq!(idp.requests_to(&at("/jwks")).len() - before, 2);
}

#[tokio::test]
async fn a_profile_without_id_goes_back_to_signin() {
    let idp = idp_with(&[&rsa()]);
    let p = demo("demo").profile(|_p, _t| Ok(tessera::User::new("")));
    let mut b = Browser::new(base(&idp).provider(p).build().unwrap());
    let r = sign_in_as(&mut b, &idp, "demo", "u-1", json!({})).await;
    assert_eq!(r.location(), Some("http://localhost:3000/api/auth/signin"));
    assert!(
        r.set_cookies()
            .iter()
            .any(|c| c.starts_with("next-auth.state=; Max-Age=0"))
    );
    assert!(!r.set_cookies().iter().any(|c| c.starts_with("next-auth.session-token")));
}

#[tokio::test]
async fn discovery_is_cached_and_plain_oauth2_uses_userinfo() {
    let idp = idp_with(&[&rsa()]);
    let oidc = OAuthProvider::new("demo")
        .issuer(ISSUER)
        .client_id("cid")
        .client_secret("csec");
    let mut b = Browser::new(base(&idp).provider(oidc).build().unwrap());
    // Discovery says the IdP always sends `iss`: a response without it is refused.
    let url = start(&mut b, "demo", "").await;
    assert!(url.starts_with("https://idp.example/authorize?client_id=cid&scope=openid&response_type=code&"));
    let state = param(&url, "state").unwrap();
    let r = b.get(&format!("/api/auth/callback/demo?code=c&state={state}")).await;
    assert_error(&r, "OAuthCallback");
    let r = {
        let url = start(&mut b, "demo", "").await;
        let state = param(&url, "state").unwrap();
        let nonce = param(&url, "nonce").unwrap();
        idp.on_status(
            "POST",
            &at("/token"),
            200,
            token_response(&rsa().sign(&claims("u-1", &nonce, &json!({})))),
        );
        b.get(&format!(
            "/api/auth/callback/demo?code=c&state={state}&iss=https%3A%2F%2Fidp.example"
        ))
        .await
    };
    assert_eq!(r.location(), Some("http://localhost:3000"));
    assert_eq!(idp.requests_to(&at("/.well-known/openid-configuration")).len(), 1);

    // Plain OAuth 2: quirky token response, profile from userinfo with a Bearer token.
    let db = Arc::new(MemoryAdapter::new());
    let plain = OAuthProvider::new("plain")
        .authorization(format!("{ISSUER}/authorize"))
        .token(format!("{ISSUER}/token"))
        .userinfo(format!("{ISSUER}/userinfo"))
        .client_id("cid")
        .client_secret("csec");
    let mut b = Browser::new(base(&idp).provider(plain).adapter(db.clone()).build().unwrap());
    let url = start(&mut b, "plain", "").await;
    assert!(param(&url, "code_challenge").is_none() && param(&url, "nonce").is_none());
    let state = param(&url, "state").unwrap();
    idp.on_status("POST", &at("/token"), 
        200,
        json!({"access_token": "gho_x", "token_type": "bearer", "scope": ["read:user", "user:email"], "expires_in": "28800"}),
    );
    idp.on(
        "GET",
        &at("/userinfo"),
        json!({"id": 42, "login": "octo", "name": "Octo Cat", "email": "Octo@Example.com", "avatar_url": "http://a"}),
    );
    let r = b.get(&format!("/api/auth/callback/plain?code=c&state={state}")).await;
    assert_eq!(r.location(), Some("http://localhost:3000"));
    let info = idp.requests_to(&at("/userinfo"));
    assert_eq!(info.last().unwrap().headers["authorization"], "Bearer gho_x");
    let user = db.get_user_by_account("plain", "42").await.unwrap().unwrap();
    assert_eq!(user.email.as_deref(), Some("octo@example.com"));
    assert_eq!(user.image.as_deref(), Some("http://a"));
    let accounts = db.list_accounts(&user.id).await.unwrap();
    assert_eq!(accounts.len(), 1);
    let a = &accounts[0];
    assert_eq!(a.extra["access_token"], "gho_x");
    assert_eq!(a.extra["token_type"], "bearer");
    assert_eq!(a.extra["scope"], "read:user user:email");
    let exp = a.extra["expires_at"].as_i64().unwrap();
    assert!((exp - now() - 28800).abs() <= 5);
    assert!(a.extra.get("expires_in").is_none());
}

// ---------------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------------

/// (trigger, profile sub) of each `jwt` callback.
type JwtCall = (Option<JwtTrigger>, Option<String>);

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<JwtCall>>>);

#[tessera::async_trait]
impl Callbacks for Recorder {
    async fn jwt(&self, args: JwtArgs<'_>) -> Result<Token, CallbackError> {
        let sub = args.profile.and_then(|p| p["sub"].as_str()).map(str::to_owned);
        self.0.lock().unwrap().push((args.trigger, sub));
        Ok(args.token)
    }
}

#[tokio::test]
async fn accounts_are_created_then_reused_and_the_jwt_callback_sees_the_profile() {
    let idp = idp_with(&[&rsa()]);
    let db = Arc::new(MemoryAdapter::new());
    let rec = Recorder::default();
    let pages = Pages {
        new_user: Some("/welcome".into()),
        ..Default::default()
    };
    let mut b = browser(&idp, |b| {
        b.adapter(db.clone())
            .session_strategy(SessionStrategy::Jwt)
            .callbacks(rec.clone())
            .pages(pages)
    });
    let r = sign_in_as(&mut b, &idp, "demo", "u-1", json!({})).await;
    assert_eq!(r.location(), Some("/welcome?callbackUrl=http%3A%2F%2Flocalhost%3A3000"));
    let user = db.get_user_by_account("demo", "u-1").await.unwrap().unwrap();
    assert_eq!(user.email.as_deref(), Some("user@example.com"));
    assert_eq!(user.email_verified, None);
    let a = &db.list_accounts(&user.id).await.unwrap()[0];
    assert_eq!(a.kind, tessera::AccountType::OAuth);
    for k in [
        "access_token",
        "token_type",
        "expires_at",
        "refresh_token",
        "scope",
        "id_token",
    ] {
        assert!(a.extra.contains_key(k), "{k}");
    }
    // The JWT's sub is the adapter's user id, not the IdP's.
    let s = session(&mut b).await;
    assert_eq!(s["user"]["email"], "user@example.com");

    // Again: the same user, not new.
    b.jar.clear();
    let r = sign_in_as(&mut b, &idp, "demo", "u-1", json!({})).await;
    assert_eq!(r.location(), Some("http://localhost:3000"));
    let calls = rec.0.lock().unwrap().clone();
    let sign_ins: Vec<_> = calls.iter().filter(|(t, _)| t.is_some()).cloned().collect();
    assert_eq!(
        sign_ins,
        [
            (Some(JwtTrigger::SignUp), Some("u-1".to_owned())),
            (Some(JwtTrigger::SignIn), Some("u-1".to_owned())),
        ]
    );
}

fn db_browser(idp: &FakeIdp, db: &Arc<MemoryAdapter>, dangerous: bool) -> Browser {
    Browser::new(
        base(idp)
            .provider(demo("demo"))
            .provider(demo("other").allow_dangerous_email_account_linking(dangerous))
            .adapter(db.clone())
            .build()
            .unwrap(),
    )
}

#[tokio::test]
async fn linking_while_signed_in_and_account_not_linked() {
    let idp = idp_with(&[&rsa()]);
    let db = Arc::new(MemoryAdapter::new());
    let mut b = db_browser(&idp, &db, false);
    sign_in_as(&mut b, &idp, "demo", "u-1", json!({})).await;
    let me = db.get_user_by_account("demo", "u-1").await.unwrap().unwrap();
    assert_eq!(session(&mut b).await["user"]["email"], "user@example.com");

    // Signed in: a new account with another email is linked to me.
    let r = sign_in_as(&mut b, &idp, "other", "x-9", json!({"email": "second@example.com"})).await;
    assert_eq!(r.location(), Some("http://localhost:3000"));
    assert_eq!(db.get_user_by_account("other", "x-9").await.unwrap().unwrap().id, me.id);
    assert_eq!(db.list_accounts(&me.id).await.unwrap().len(), 2);

    // Another browser, not signed in, same email with a new account → OAuthAccountNotLinked.
    let mut stranger = db_browser(&idp, &db, false);
    let r = sign_in_as(
        &mut stranger,
        &idp,
        "other",
        "y-7",
        json!({"email": "USER@example.com"}),
    )
    .await;
    assert_error(&r, "OAuthAccountNotLinked");
    assert!(db.get_user_by_account("other", "y-7").await.unwrap().is_none());

    // Someone else signed in, using an account linked to me → OAuthAccountNotLinked.
    let mut eve = db_browser(&idp, &db, false);
    sign_in_as(&mut eve, &idp, "demo", "eve", json!({"email": "eve@example.com"})).await;
    assert_eq!(session(&mut eve).await["user"]["email"], "eve@example.com");
    let r = sign_in_as(&mut eve, &idp, "other", "x-9", json!({"email": "second@example.com"})).await;
    assert_error(&r, "OAuthAccountNotLinked");
    assert_eq!(session(&mut eve).await["user"]["email"], "eve@example.com");
}

/// Records every event as one line.
#[derive(Clone, Default)]
struct EventLog(Arc<Mutex<Vec<String>>>);

#[tessera::async_trait]
impl tessera::events::Events for EventLog {
    async fn create_user(&self, e: tessera::events::CreateUserEvent<'_>) {
        let email = e.user.email.clone().unwrap_or_default();
        self.0
            .lock()
            .unwrap()
            .push(format!("create_user {} {email}", e.user.id));
    }
    async fn link_account(&self, e: tessera::events::LinkAccountEvent<'_>) {
        let a = e.account;
        assert_eq!(a.user_id.as_deref(), Some(e.user.id.as_str()));
        let sub = e.profile.map(|p| p["sub"].clone()).unwrap_or_default();
        self.0.lock().unwrap().push(format!(
            "link_account {}/{} -> {} (profile sub {sub})",
            a.provider, a.provider_account_id, e.user.id
        ));
    }
    async fn sign_in(&self, e: tessera::events::SignInEvent<'_>) {
        self.0
            .lock()
            .unwrap()
            .push(format!("sign_in {} new={:?}", e.user.id, e.is_new_user));
    }
}

#[tokio::test]
async fn events_report_created_users_and_linked_accounts() {
    let idp = idp_with(&[&rsa()]);
    let db = Arc::new(MemoryAdapter::new());
    let log = EventLog::default();
    let mut b = Browser::new(
        base(&idp)
            .provider(demo("demo"))
            .provider(demo("other"))
            .adapter(db.clone())
            .events(log.clone())
            .build()
            .unwrap(),
    );
    sign_in_as(&mut b, &idp, "demo", "u-1", json!({})).await;
    let me = db.get_user_by_account("demo", "u-1").await.unwrap().unwrap().id;
    // Signed in: linking a second account creates no user.
    sign_in_as(&mut b, &idp, "other", "x-9", json!({"email": "second@example.com"})).await;
    // Signing in again with a known account creates and links nothing.
    sign_in_as(&mut b, &idp, "demo", "u-1", json!({})).await;
    assert_eq!(
        *log.0.lock().unwrap(),
        [
            format!("create_user {me} user@example.com"),
            format!("link_account demo/u-1 -> {me} (profile sub \"u-1\")"),
            format!("sign_in {me} new=Some(true)"),
            format!("link_account other/x-9 -> {me} (profile sub \"x-9\")"),
            format!("sign_in {me} new=Some(false)"),
            format!("sign_in {me} new=Some(false)"),
        ]
    );
}

#[tokio::test]
async fn a_failed_user_creation_is_a_503_and_leaves_nothing_behind() {
    let idp = idp_with(&[&rsa()]);
    let db = Arc::new(common::counting::Counting::default());
    db.fail_create_user.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut b = Browser::new(base(&idp).provider(demo("demo")).adapter(db.clone()).build().unwrap());
    // The store failed (not a conflict, which would be `OAuthCreateAccount`): the browser
    // gets the error page with status 503.
    let r = sign_in_as(&mut b, &idp, "demo", "u-1", json!({})).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.header("retry-after"), Some("5"));
    assert!(r.text().contains("Service unavailable"), "{}", r.text());
    assert!(db.take().contains(&"create_user"));
    assert!(db.inner.get_user_by_account("demo", "u-1").await.unwrap().is_none());
    assert!(!b.jar.contains_key("next-auth.session-token"), "no session");

    // The database is back: the same account signs in.
    db.fail_create_user.store(false, std::sync::atomic::Ordering::SeqCst);
    sign_in_as(&mut b, &idp, "demo", "u-1", json!({})).await;
    assert_eq!(session(&mut b).await["user"]["email"], "user@example.com");
}

#[tokio::test]
async fn dangerous_linking_only_onto_verified_users() {
    let idp = idp_with(&[&rsa()]);
    let db = Arc::new(MemoryAdapter::new());
    let unverified = db
        .create_user(NewUser {
            email: Some("user@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut b = db_browser(&idp, &db, true);
    let r = sign_in_as(&mut b, &idp, "other", "x-1", json!({})).await;
    assert_error(&r, "OAuthAccountNotLinked");
    assert!(db.list_accounts(&unverified.id).await.unwrap().is_empty());

    // Verified (say, by an email sign-in): the dangerous link is made.
    let verified = db
        .create_user(NewUser {
            email: Some("v@example.com".into()),
            email_verified: Some(SystemTime::now()),
            ..Default::default()
        })
        .await
        .unwrap();
    // …but not when the IdP does not vouch for its own address: no claim (Azure AD/Entra)…
    let r = sign_in_as(&mut b, &idp, "other", "x-2", json!({"email": "V@example.com"})).await;
    assert_error(&r, "OAuthAccountNotLinked");
    // …or `email_verified: false`, whose address is dropped: a new user without an email.
    let mut unverified = db_browser(&idp, &db, true);
    let r = sign_in_as(
        &mut unverified,
        &idp,
        "other",
        "x-9",
        json!({"email": "V@example.com", "email_verified": false}),
    )
    .await;
    assert_eq!(r.location(), Some("http://localhost:3000"));
    let stranger = db.get_user_by_account("other", "x-9").await.unwrap().unwrap();
    assert_ne!(stranger.id, verified.id);
    assert_eq!(stranger.email, None);
    let r = sign_in_as(
        &mut b,
        &idp,
        "other",
        "x-2",
        json!({"email": "V@example.com", "email_verified": true}),
    )
    .await;
    assert_eq!(r.location(), Some("http://localhost:3000"));
    assert_eq!(
        db.get_user_by_account("other", "x-2").await.unwrap().unwrap().id,
        verified.id
    );
    assert_eq!(session(&mut b).await["user"]["email"], "v@example.com");

    // The provider without the opt-in never links by email, verified or not.
    let mut c = db_browser(&idp, &db, true);
    let r = sign_in_as(
        &mut c,
        &idp,
        "demo",
        "x-3",
        json!({"email": "v@example.com", "email_verified": true}),
    )
    .await;
    assert_error(&r, "OAuthAccountNotLinked");
}

#[tokio::test]
async fn configuration_is_validated_at_build() {
    let idp = idp_with(&[]);
    let build = |p: OAuthProvider| base(&idp).provider(p).build();
    assert!(build(demo("demo")).is_ok());
    let refusal = |p: OAuthProvider| match build(p) {
        Err(ConfigError::InvalidProvider { id, reason }) => (id, reason),
        other => panic!("expected InvalidProvider, got {other:?}"),
    };
    assert_eq!(
        refusal(demo("demo").client_id("")),
        ("demo".to_owned(), "client_id is empty".to_owned())
    );
    assert!(matches!(
        build(demo("bad id")),
        Err(ConfigError::InvalidProviderId(id)) if id == "bad id"
    ));
    let (id, reason) = refusal(OAuthProvider::new("x").client_id("c").client_secret("s"));
    assert_eq!(id, "x");
    assert!(reason.contains("set an issuer"), "{reason}");
    let (_, reason) = refusal(demo("demo").issuer("javascript:alert(1)"));
    assert!(
        reason.contains(r#"issuer "javascript:alert(1)" is not an absolute http(s) URL"#),
        "{reason}"
    );
    let err = build(demo("demo").client_id(" ")).unwrap_err().to_string();
    assert!(err.contains("client_id"), "{err}");
}
