//! The provider presets against a fake `HttpClient`: for each, the exact authorization URL,
//! the token request, and the profile mapping as seen in the session (spec §7.1).

use crate::common;
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::Browser;
use crate::common::fake_idp::{FakeIdp, rsa};
use http::StatusCode;
use serde_json::{Value, json};
use tessera::Auth;
use tessera::Compat;
use tessera::jwt::JweCodec;
use tessera::providers::{OAuthProvider, presets};
use tessera::{Secret, Token};

const BASIC_CID_CSEC: &str = "Basic Y2lkOmNzZWM=";

/// A fake OpenID provider at `issuer`: its discovery document and JWKS (the RSA test key).
fn discovery(fake: &FakeIdp, issuer: &str) {
    fake.openid(issuer, &[&rsa()], &json!({}));
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// An ID token from `issuer` for client `cid`, with `claims` (and the nonce, if any).
fn id_token(issuer: &str, nonce: Option<&str>, claims: &Value) -> String {
    let mut c = json!({"iss": issuer, "aud": "cid", "iat": now(), "exp": now() + 600});
    if let Some(n) = nonce {
        c["nonce"] = json!(n);
    }
    c.as_object_mut().unwrap().extend(claims.as_object().unwrap().clone());
    rsa().sign(&c)
}

// ---------------------------------------------------------------------------------------
// One sign-in, end to end
// ---------------------------------------------------------------------------------------

/// How the client authenticates at the token endpoint.
#[derive(Clone, Copy, PartialEq)]
enum ClientAuth {
    Basic,
    Post,
}

/// What a preset should do.
struct Expect {
    id: &'static str,
    /// The authorization URL up to the check parameters (which are appended, in order).
    authorization: String,
    /// The checks: any of "state", "pkce", "nonce".
    checks: &'static [&'static str],
    token_url: String,
    client_auth: ClientAuth,
    /// Extra token-response fields (`scope` quirks, …).
    token_extra: Value,
    /// OIDC: the issuer and the ID-token claims. Else the profile comes from `userinfo`.
    id_token: Option<(String, Value)>,
    /// The userinfo URL and its answer (plain OAuth 2).
    userinfo: Option<(String, Value)>,
    /// The callback comes as a form POST (`response_mode=form_post`).
    form_post: bool,
    /// The expected `sub` and session user.
    sub: &'static str,
    user: Value,
}

fn redirect_uri(id: &str) -> String {
    format!("http%3A%2F%2Flocalhost%3A3000%2Fapi%2Fauth%2Fcallback%2F{id}")
}

fn param(url: &str, key: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

async fn run(provider: OAuthProvider, fake: &FakeIdp, e: Expect) {
    let auth = Auth::builder()
        .url("http://localhost:3000")
        .secret(common::SECRET)
        .http_client(fake.clone())
        .provider(provider)
        .build()
        .unwrap();
    let mut b = Browser::new(auth);

    // The listing names the preset.
    let providers = b.get("/api/auth/providers").await.json();
    assert_eq!(providers[e.id]["id"], e.id);
    assert_eq!(providers[e.id]["type"], "oauth");

    // A. POST /signin/:id → the exact authorization URL.
    let csrf = b.csrf().await;
    let r = b
        .post_form(&format!("/api/auth/signin/{}", e.id), &[("csrfToken", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::FOUND, "{:?}", r.location());
    let url = r.location().unwrap().to_owned();
    let mut tail = String::new();
    for check in e.checks {
        match *check {
            "state" => tail += &format!("&state={}", param(&url, "state").expect("state")),
            "pkce" => {
                tail += &format!(
                    "&code_challenge={}&code_challenge_method=S256",
                    param(&url, "code_challenge").expect("code_challenge")
                );
            }
            "nonce" => tail += &format!("&nonce={}", param(&url, "nonce").expect("nonce")),
            other => unreachable!("{other}"),
        }
    }
    assert_eq!(url, format!("{}{tail}", e.authorization));

    // B. The callback with a recorded token (and profile) response.
    let mut token = json!({
        "access_token": "at-1",
        "token_type": "Bearer",
        "expires_in": 3600,
        "refresh_token": "rt-1",
    });
    token
        .as_object_mut()
        .unwrap()
        .extend(e.token_extra.as_object().unwrap().clone());
    if let Some((issuer, claims)) = &e.id_token {
        let nonce = param(&url, "nonce");
        token["id_token"] = json!(id_token(issuer, nonce.as_deref(), claims));
    }
    fake.on("POST", &e.token_url, token);
    if let Some((url, body)) = &e.userinfo {
        fake.on("GET", url, body.clone());
    }
    let verifier = b.jar.get("next-auth.pkce.code_verifier").map(|c| {
        JweCodec::new(
            Compat::NextAuthV4,
            &[Secret::new(common::SECRET)],
            "next-auth.pkce.code_verifier",
        )
        .decode(c, now())
        .unwrap()["value"]
            .as_str()
            .unwrap()
            .to_owned()
    });
    assert_eq!(verifier.is_some(), e.checks.contains(&"pkce"));
    let mut response = vec![("code", "CODE123".to_owned())];
    if let Some(state) = param(&url, "state") {
        response.push(("state", state));
    }
    let path = format!("/api/auth/callback/{}", e.id);
    let r = if e.form_post {
        let form: Vec<(&str, &str)> = response.iter().map(|(k, v)| (*k, v.as_str())).collect();
        b.post_form(&path, &form).await
    } else {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&response)
            .finish();
        b.get(&format!("{path}?{query}")).await
    };
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("http://localhost:3000"), "{:?}", r.set_cookies());

    // The token request, exactly.
    let requests = fake.requests_to(&e.token_url);
    assert_eq!(requests.len(), 1);
    let t = &requests[0];
    assert_eq!(t.method, "POST");
    assert_eq!(t.headers["content-type"], "application/x-www-form-urlencoded");
    let mut body = format!(
        "grant_type=authorization_code&code=CODE123&redirect_uri={}",
        redirect_uri(e.id)
    );
    if let Some(v) = &verifier {
        body += &format!("&code_verifier={v}");
    }
    match e.client_auth {
        ClientAuth::Basic => assert_eq!(t.headers["authorization"], BASIC_CID_CSEC),
        ClientAuth::Post => {
            assert!(t.headers.get("authorization").is_none());
            body += "&client_id=cid&client_secret=csec";
        }
    }
    assert_eq!(t.body, body);

    // The profile request (plain OAuth 2) carries the access token.
    if let Some((url, _)) = &e.userinfo {
        let u = fake.requests_to(url);
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].headers["authorization"], "Bearer at-1");
    }

    // The mapped user.
    let session = b.get("/api/auth/session").await.json();
    assert_eq!(session["user"], e.user);
    let mut headers = http::HeaderMap::new();
    headers.insert("cookie", b.cookie_header().parse().unwrap());
    let token: Token = b.auth.token(&headers).unwrap();
    assert_eq!(token.sub(), Some(e.sub));
}

fn plain(
    id: &'static str,
    authorization: String,
    checks: &'static [&'static str],
    token_url: &str,
    userinfo: (&str, Value),
    sub: &'static str,
    user: Value,
) -> Expect {
    Expect {
        id,
        authorization,
        checks,
        token_url: token_url.to_owned(),
        client_auth: ClientAuth::Basic,
        token_extra: json!({}),
        id_token: None,
        userinfo: Some((userinfo.0.to_owned(), userinfo.1)),
        form_post: false,
        sub,
        user,
    }
}

fn oidc(
    id: &'static str,
    authorization: String,
    checks: &'static [&'static str],
    issuer: &str,
    claims: Value,
    sub: &'static str,
    user: Value,
) -> Expect {
    Expect {
        id,
        authorization,
        checks,
        token_url: format!("{}/token", issuer.trim_end_matches('/')),
        client_auth: ClientAuth::Basic,
        token_extra: json!({}),
        id_token: Some((issuer.to_owned(), claims)),
        userinfo: None,
        form_post: false,
        sub,
        user,
    }
}

/// `<endpoint>?client_id=cid&scope=<scope>&response_type=code&redirect_uri=<…/id><extra>`.
fn auth_url(endpoint: &str, scope: &str, id: &str, extra: &str) -> String {
    format!(
        "{endpoint}?client_id=cid&scope={scope}&response_type=code&redirect_uri={}{extra}",
        redirect_uri(id)
    )
}

// ---------------------------------------------------------------------------------------
// Plain OAuth 2 presets
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn github() {
    let fake = FakeIdp::default();
    let profile = json!({
        "login": "octocat", "id": 583231, "name": null, "email": "Octo@GitHub.com",
        "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4",
    });
    let e = plain(
        "github",
        auth_url(
            "https://github.com/login/oauth/authorize",
            "read%3Auser%20user%3Aemail",
            "github",
            "",
        ),
        &["state"],
        "https://github.com/login/oauth/access_token",
        ("https://api.github.com/user", profile),
        "583231",
        json!({"name": "octocat", "email": "octo@github.com", "image": "https://avatars.githubusercontent.com/u/583231?v=4"}),
    );
    run(presets::github_with("cid", "csec"), &fake, e).await;
}

#[tokio::test]
async fn github_without_a_public_email() {
    let fake = FakeIdp::default();
    let profile = json!({"login": "octocat", "id": 1, "name": "The Octocat", "email": null, "avatar_url": null});
    let e = plain(
        "github",
        auth_url(
            "https://github.com/login/oauth/authorize",
            "read%3Auser%20user%3Aemail",
            "github",
            "",
        ),
        &["state"],
        "https://github.com/login/oauth/access_token",
        ("https://api.github.com/user", profile),
        "1",
        json!({"name": "The Octocat", "email": null, "image": null}),
    );
    run(presets::github_with("cid", "csec"), &fake, e).await;
}

#[tokio::test]
async fn github_takes_the_primary_verified_address_from_user_emails() {
    let emails = "https://api.github.com/user/emails";
    let profile = json!({"login": "octocat", "id": 1, "name": null, "email": null, "avatar_url": null});
    let expect = |email: Value| {
        plain(
            "github",
            auth_url(
                "https://github.com/login/oauth/authorize",
                "read%3Auser%20user%3Aemail",
                "github",
                "",
            ),
            &["state"],
            "https://github.com/login/oauth/access_token",
            ("https://api.github.com/user", profile.clone()),
            "1",
            json!({"name": "octocat", "email": email, "image": null}),
        )
    };

    let fake = FakeIdp::default();
    fake.on(
        "GET",
        emails,
        json!([
            {"email": "old@example.com", "primary": false, "verified": true},
            {"email": "Octo@Example.com", "primary": true, "verified": true},
        ]),
    );
    run(
        presets::github_with("cid", "csec"),
        &fake,
        expect(json!("octo@example.com")),
    )
    .await;
    let requests = fake.requests_to(emails);
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].headers["authorization"], "Bearer at-1");

    // An unverified primary address is not taken.
    let fake = FakeIdp::default();
    fake.on(
        "GET",
        emails,
        json!([{"email": "octo@example.com", "primary": true, "verified": false}]),
    );
    run(presets::github_with("cid", "csec"), &fake, expect(Value::Null)).await;
}

#[tokio::test]
async fn discord() {
    let fake = FakeIdp::default();
    let profile = json!({
        "id": "80351110224678912", "username": "nelly", "discriminator": "1337",
        "avatar": "a_8342729096ea3675442027381ff50dfe", "email": "nelly@discord.com",
    });
    let e = plain(
        "discord",
        auth_url(
            "https://discord.com/api/oauth2/authorize",
            "identify%20email",
            "discord",
            "",
        ),
        &["state"],
        "https://discord.com/api/oauth2/token",
        ("https://discord.com/api/users/@me", profile),
        "80351110224678912",
        json!({
            "name": "nelly",
            "email": "nelly@discord.com",
            "image": "https://cdn.discordapp.com/avatars/80351110224678912/a_8342729096ea3675442027381ff50dfe.gif",
        }),
    );
    run(presets::discord_with("cid", "csec"), &fake, e).await;

    // Without an avatar: the default one, by discriminator.
    let fake = FakeIdp::default();
    let profile = json!({"id": "7", "username": "plain", "discriminator": "0007", "avatar": null, "email": null});
    let e = plain(
        "discord",
        auth_url(
            "https://discord.com/api/oauth2/authorize",
            "identify%20email",
            "discord",
            "",
        ),
        &["state"],
        "https://discord.com/api/oauth2/token",
        ("https://discord.com/api/users/@me", profile),
        "7",
        json!({"name": "plain", "email": null, "image": "https://cdn.discordapp.com/embed/avatars/2.png"}),
    );
    run(presets::discord_with("cid", "csec"), &fake, e).await;
}

#[tokio::test]
async fn gitlab() {
    let fake = FakeIdp::default();
    let profile = json!({
        "id": 42, "username": "jdoe", "name": "", "email": "jdoe@example.com",
        "avatar_url": "https://gitlab.com/uploads/a.png",
    });
    let e = plain(
        "gitlab",
        auth_url("https://gitlab.com/oauth/authorize", "read_user", "gitlab", ""),
        &["state", "pkce"],
        "https://gitlab.com/oauth/token",
        ("https://gitlab.com/api/v4/user", profile),
        "42",
        json!({"name": "jdoe", "email": "jdoe@example.com", "image": "https://gitlab.com/uploads/a.png"}),
    );
    run(presets::gitlab_with("cid", "csec"), &fake, e).await;
}

#[tokio::test]
async fn facebook() {
    let fake = FakeIdp::default();
    let profile = json!({
        "id": "10158", "name": "Face Book", "email": "fb@example.com",
        "picture": {"data": {"height": 50, "is_silhouette": false, "url": "https://platform-lookaside.fbsbx.com/p.jpg", "width": 50}},
    });
    let e = plain(
        "facebook",
        auth_url("https://www.facebook.com/v11.0/dialog/oauth", "email", "facebook", ""),
        &["state"],
        "https://graph.facebook.com/oauth/access_token",
        (
            "https://graph.facebook.com/me?fields=id%2Cname%2Cemail%2Cpicture",
            profile,
        ),
        "10158",
        json!({"name": "Face Book", "email": "fb@example.com", "image": "https://platform-lookaside.fbsbx.com/p.jpg"}),
    );
    run(presets::facebook_with("cid", "csec"), &fake, e).await;
}

#[tokio::test]
async fn twitter() {
    let fake = FakeIdp::default();
    let profile = json!({"data": {
        "id": "2244994945", "name": "X Dev", "username": "XDevelopers",
        "profile_image_url": "https://pbs.twimg.com/profile_images/x_normal.jpg",
    }});
    let e = plain(
        "twitter",
        auth_url(
            "https://twitter.com/i/oauth2/authorize",
            "users.read%20tweet.read%20offline.access",
            "twitter",
            "",
        ),
        &["state", "pkce"],
        "https://api.twitter.com/2/oauth2/token",
        (
            "https://api.twitter.com/2/users/me?user.fields=profile_image_url",
            profile,
        ),
        "2244994945",
        json!({"name": "X Dev", "email": null, "image": "https://pbs.twimg.com/profile_images/x_normal.jpg"}),
    );
    run(presets::twitter_with("cid", "csec"), &fake, e).await;
}

#[tokio::test]
async fn spotify() {
    let fake = FakeIdp::default();
    let profile = json!({
        "id": "wizzler", "display_name": "Wizzler", "email": "wizzler@example.com",
        "images": [{"url": "https://i.scdn.co/image/1", "height": 300, "width": 300}, {"url": "https://i.scdn.co/image/2"}],
    });
    let e = plain(
        "spotify",
        auth_url(
            "https://accounts.spotify.com/authorize",
            "user-read-email",
            "spotify",
            "",
        ),
        &["state"],
        "https://accounts.spotify.com/api/token",
        ("https://api.spotify.com/v1/me", profile),
        "wizzler",
        json!({"name": "Wizzler", "email": "wizzler@example.com", "image": "https://i.scdn.co/image/1"}),
    );
    run(presets::spotify_with("cid", "csec"), &fake, e).await;
}

#[tokio::test]
async fn bitbucket_has_no_email() {
    let fake = FakeIdp::default();
    let profile = json!({
        "type": "user", "display_name": "Bit Bucket", "username": "bbucket",
        "uuid": "{0b2c4c3e-6f5a-4a7e-9d43-2f6e1c2d9b7a}",
        "account_id": "557058:0b2c4c3e-6f5a-4a7e-9d43-2f6e1c2d9b7a",
        "links": {"avatar": {"href": "https://secure.gravatar.com/avatar/bb.png"}, "html": {"href": "https://bitbucket.org/bbucket/"}},
    });
    let e = plain(
        "bitbucket",
        auth_url(
            "https://bitbucket.org/site/oauth2/authorize",
            "account%20email",
            "bitbucket",
            "",
        ),
        &["state"],
        "https://bitbucket.org/site/oauth2/access_token",
        ("https://api.bitbucket.org/2.0/user", profile),
        "557058:0b2c4c3e-6f5a-4a7e-9d43-2f6e1c2d9b7a",
        json!({"name": "Bit Bucket", "email": null, "image": "https://secure.gravatar.com/avatar/bb.png"}),
    );
    run(presets::bitbucket_with("cid", "csec"), &fake, e).await;
}

#[tokio::test]
async fn reddit_asks_for_a_permanent_token_and_strips_the_icon_query() {
    let fake = FakeIdp::default();
    // Reddit HTML-escapes the `&`s of `icon_img` (no `raw_json=1`).
    let profile = json!({
        "id": "1w72", "name": "spez", "is_employee": true,
        "icon_img": "https://styles.redditmedia.com/t5_3k30p/styles/profileIcon_snoo.png?width=256&amp;height=256&amp;crop=256:256,smart&amp;s=abc",
    });
    let e = plain(
        "reddit",
        auth_url(
            "https://www.reddit.com/api/v1/authorize",
            "identity",
            "reddit",
            "&duration=permanent",
        ),
        &["state"],
        "https://www.reddit.com/api/v1/access_token",
        ("https://oauth.reddit.com/api/v1/me", profile),
        "1w72",
        json!({"name": "spez", "email": null, "image": "https://styles.redditmedia.com/t5_3k30p/styles/profileIcon_snoo.png"}),
    );
    run(presets::reddit_with("cid", "csec"), &fake, e).await;
}

// ---------------------------------------------------------------------------------------
// OpenID Connect presets (discovery document and JWKS from the fake)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn google() {
    let issuer = "https://accounts.google.com";
    let fake = FakeIdp::default();
    discovery(&fake, issuer);
    let claims = json!({
        "sub": "110169484474386276334", "email": "Jane@Gmail.com", "email_verified": true,
        "name": "Jane Doe", "picture": "https://lh3.googleusercontent.com/a/x",
    });
    let e = oidc(
        "google",
        auth_url(
            "https://accounts.google.com/authorize",
            "openid%20email%20profile",
            "google",
            "",
        ),
        &["state", "pkce"],
        issuer,
        claims,
        "110169484474386276334",
        json!({"name": "Jane Doe", "email": "jane@gmail.com", "image": "https://lh3.googleusercontent.com/a/x"}),
    );
    run(presets::google_with("cid", "csec"), &fake, e).await;
}

#[tokio::test]
async fn azure_ad_and_microsoft_entra_id() {
    let tenant = "9188040d-6c67-4c5b-b112-36a304b66dad";
    let issuer = format!("https://login.microsoftonline.com/{tenant}/v2.0");
    for (id, provider) in [
        ("azure-ad", presets::azure_ad_with(tenant, "cid", "csec")),
        (
            "microsoft-entra-id",
            presets::microsoft_entra_id_with(tenant, "cid", "csec"),
        ),
    ] {
        let fake = FakeIdp::default();
        discovery(&fake, &issuer);
        let claims = json!({"sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "name": "Megan Bowen", "email": "megan@contoso.com", "tid": tenant});
        let e = oidc(
            id,
            auth_url(&format!("{issuer}/authorize"), "openid%20profile%20email", id, ""),
            &["state"],
            &issuer,
            claims,
            "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
            json!({"name": "Megan Bowen", "email": "megan@contoso.com", "image": null}),
        );
        run(provider, &fake, e).await;
    }
}

#[tokio::test]
async fn apple_uses_form_post_and_pkce_only() {
    let issuer = "https://appleid.apple.com";
    let fake = FakeIdp::default();
    discovery(&fake, issuer);
    let claims = json!({"sub": "001234.abcdef.1234", "email": "x7@privaterelay.appleid.com", "email_verified": "true", "is_private_email": "true"});
    let mut e = oidc(
        "apple",
        auth_url(
            "https://appleid.apple.com/authorize",
            "name%20email",
            "apple",
            "&response_mode=form_post",
        ),
        &["pkce"],
        issuer,
        claims,
        "001234.abcdef.1234",
        json!({"name": null, "email": "x7@privaterelay.appleid.com", "image": null}),
    );
    e.form_post = true;
    run(presets::apple_with("cid", "csec"), &fake, e).await;
}

#[tokio::test]
async fn auth0() {
    // Auth0's issuer has a trailing slash; the preset takes it either way.
    let issuer = "https://tenant.eu.auth0.com/";
    let fake = FakeIdp::default();
    discovery(&fake, issuer);
    let claims = json!({"sub": "auth0|5f7c8ec7c33c6c004bbafe82", "nickname": "jdoe", "name": "jdoe@example.com", "email": "jdoe@example.com", "picture": "https://s.gravatar.com/avatar/x.png"});
    let e = oidc(
        "auth0",
        auth_url(
            "https://tenant.eu.auth0.com/authorize",
            "openid%20email%20profile",
            "auth0",
            "",
        ),
        &["state", "pkce"],
        issuer,
        claims,
        "auth0|5f7c8ec7c33c6c004bbafe82",
        json!({"name": "jdoe", "email": "jdoe@example.com", "image": "https://s.gravatar.com/avatar/x.png"}),
    );
    run(presets::auth0_with(issuer, "cid", "csec"), &fake, e).await;
}

#[tokio::test]
async fn okta() {
    let issuer = "https://example.okta.com/oauth2/default";
    let fake = FakeIdp::default();
    discovery(&fake, issuer);
    let claims = json!({"sub": "00uid4BxXw6I6TV4m0g3", "preferred_username": "john.doe@example.com", "email": "john.doe@example.com"});
    let e = oidc(
        "okta",
        auth_url(&format!("{issuer}/authorize"), "openid%20email%20profile", "okta", ""),
        &["state"],
        issuer,
        claims,
        "00uid4BxXw6I6TV4m0g3",
        json!({"name": "john.doe@example.com", "email": "john.doe@example.com", "image": null}),
    );
    run(presets::okta_with(issuer, "cid", "csec"), &fake, e).await;
}

#[tokio::test]
async fn keycloak() {
    let issuer = "https://sso.example.com/realms/main";
    let fake = FakeIdp::default();
    discovery(&fake, issuer);
    let claims = json!({"sub": "f:1b6d:alice", "name": "Alice Liddell", "preferred_username": "alice", "email": "alice@example.com"});
    let e = oidc(
        "keycloak",
        auth_url(
            &format!("{issuer}/authorize"),
            "openid%20email%20profile",
            "keycloak",
            "",
        ),
        &["state", "pkce"],
        issuer,
        claims,
        "f:1b6d:alice",
        json!({"name": "Alice Liddell", "email": "alice@example.com", "image": null}),
    );
    run(presets::keycloak_with(format!("{issuer}/"), "cid", "csec"), &fake, e).await;
}

#[tokio::test]
async fn slack() {
    let issuer = "https://slack.com";
    let fake = FakeIdp::default();
    discovery(&fake, issuer);
    let claims = json!({"sub": "U0R7JM", "https://slack.com/team_id": "T0R7GR", "name": "Jane Slack", "email": "jane@slack.example", "picture": "https://secure.gravatar.com/avatar/x.jpg"});
    let e = oidc(
        "slack",
        auth_url("https://slack.com/authorize", "openid%20profile%20email", "slack", ""),
        &["state"],
        issuer,
        claims,
        "U0R7JM",
        json!({"name": "Jane Slack", "email": "jane@slack.example", "image": "https://secure.gravatar.com/avatar/x.jpg"}),
    );
    run(presets::slack_with("cid", "csec"), &fake, e).await;
}

#[tokio::test]
async fn twitch_asks_for_claims_and_posts_credentials() {
    let issuer = "https://id.twitch.tv/oauth2";
    let fake = FakeIdp::default();
    discovery(&fake, issuer);
    let claims = json!({"sub": "713936733", "preferred_username": "TwitchDev", "email": "dev@twitch.example", "picture": "https://static-cdn.jtvnw.net/p.png"});
    let mut e = oidc(
        "twitch",
        auth_url(
            "https://id.twitch.tv/oauth2/authorize",
            "openid%20user%3Aread%3Aemail",
            "twitch",
            "&claims=%7B%22id_token%22%3A%7B%22email%22%3Anull%2C%22picture%22%3Anull%2C%22preferred_username%22%3Anull%7D%7D",
        ),
        &["state"],
        issuer,
        claims,
        "713936733",
        json!({"name": "TwitchDev", "email": "dev@twitch.example", "image": "https://static-cdn.jtvnw.net/p.png"}),
    );
    e.client_auth = ClientAuth::Post;
    // Twitch answers `scope` as a list.
    e.token_extra = json!({"scope": ["openid", "user:read:email"]});
    run(presets::twitch_with("cid", "csec"), &fake, e).await;
}

#[tokio::test]
async fn linkedin_has_static_oidc_endpoints() {
    let issuer = "https://www.linkedin.com/oauth";
    let fake = FakeIdp::default();
    fake.jwks("https://www.linkedin.com/oauth/openid/jwks", &[&rsa()]);
    let claims = json!({"sub": "782bbtaQ", "name": "John Doe", "given_name": "John", "email": "doe@linkedin.example", "email_verified": true, "picture": "https://media.licdn.com/p.jpg"});
    let mut e = oidc(
        "linkedin",
        auth_url(
            "https://www.linkedin.com/oauth/v2/authorization",
            "openid%20profile%20email",
            "linkedin",
            "",
        ),
        &["state"],
        issuer,
        claims,
        "782bbtaQ",
        json!({"name": "John Doe", "email": "doe@linkedin.example", "image": "https://media.licdn.com/p.jpg"}),
    );
    e.token_url = "https://www.linkedin.com/oauth/v2/accessToken".to_owned();
    e.client_auth = ClientAuth::Post;
    run(presets::linkedin_with("cid", "csec"), &fake, e).await;
    assert!(
        fake.requests_to("https://www.linkedin.com/oauth/.well-known/openid-configuration")
            .is_empty(),
        "no discovery"
    );
}

#[tokio::test]
async fn zitadel_merges_userinfo_over_a_bare_id_token() {
    // ZITADEL's default: the ID token carries no profile claims ("User Info inside ID Token" off).
    let issuer = "https://example-abc123.zitadel.cloud";
    let fake = FakeIdp::default();
    discovery(&fake, issuer);
    let claims = json!({"sub": "263171962358310915", "azp": "cid", "amr": ["pwd"]});
    let mut e = oidc(
        "zitadel",
        auth_url(
            &format!("{issuer}/authorize"),
            "openid%20email%20profile",
            "zitadel",
            "",
        ),
        &["state", "pkce"],
        issuer,
        claims,
        "263171962358310915",
        json!({"name": "Zita Del", "email": "zita@example.com", "image": "https://example-abc123.zitadel.cloud/assets/v1/avatar.png"}),
    );
    e.userinfo = Some((
        format!("{issuer}/userinfo"),
        json!({
            "sub": "263171962358310915", "name": "Zita Del", "given_name": "Zita",
            "preferred_username": "zita@example.zitadel.cloud", "email": "Zita@Example.com",
            "email_verified": true, "picture": "https://example-abc123.zitadel.cloud/assets/v1/avatar.png",
        }),
    ));
    run(presets::zitadel_with(issuer, "cid", "csec"), &fake, e).await;
}

#[tokio::test]
async fn authentik() {
    // The application's issuer ends with a slash.
    let issuer = "https://auth.example.com/application/o/tessera/";
    let fake = FakeIdp::default();
    discovery(&fake, issuer);
    let claims = json!({
        "sub": "5a8b1d2c3e4f", "preferred_username": "akadmin", "nickname": "akadmin",
        "email": "admin@example.com", "email_verified": true, "groups": ["authentik Admins"],
    });
    let e = oidc(
        "authentik",
        auth_url(
            "https://auth.example.com/application/o/tessera/authorize",
            "openid%20email%20profile",
            "authentik",
            "",
        ),
        &["state", "pkce"],
        issuer,
        claims,
        "5a8b1d2c3e4f",
        json!({"name": "akadmin", "email": "admin@example.com", "image": null}),
    );
    run(presets::authentik_with(issuer, "cid", "csec"), &fake, e).await;
}

#[tokio::test]
async fn cognito() {
    let issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI";
    let fake = FakeIdp::default();
    discovery(&fake, issuer);
    let claims = json!({
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "cognito:username": "jdoe",
        "name": "Jane Doe", "email": "jane@example.com", "email_verified": true, "token_use": "id",
    });
    let e = oidc(
        "cognito",
        auth_url(
            &format!("{issuer}/authorize"),
            "openid%20profile%20email",
            "cognito",
            "",
        ),
        &["state"],
        issuer,
        claims,
        "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        json!({"name": "Jane Doe", "email": "jane@example.com", "image": null}),
    );
    run(presets::cognito_with(issuer, "cid", "csec"), &fake, e).await;
}

// ---------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------

#[test]
fn from_vars_takes_the_presets_whose_variables_are_set() {
    let vars = HashMap::from([
        ("AUTH_GITHUB_ID", "gh-id"),
        ("AUTH_GITHUB_SECRET", "gh-secret"),
        ("AUTH_GOOGLE_ID", "g-id"), // no secret: left out
        ("AUTH_KEYCLOAK_ID", "kc-id"),
        ("AUTH_KEYCLOAK_SECRET", "kc-secret"),
        ("AUTH_KEYCLOAK_ISSUER", "https://sso.example.com/realms/main"),
        ("AUTH_OKTA_ID", "okta-id"), // no issuer: left out
        ("AUTH_OKTA_SECRET", "okta-secret"),
        ("AUTH_AZURE_AD_ID", "az-id"),
        ("AUTH_AZURE_AD_SECRET", "az-secret"),
        ("AUTH_AZURE_AD_TENANT_ID", "tenant-1"),
        ("AUTH_SPOTIFY_ID", "  "), // blank: left out
        ("AUTH_SPOTIFY_SECRET", "s"),
        ("AUTH_ZITADEL_ID", "z-id"),
        ("AUTH_ZITADEL_SECRET", "z-secret"),
        ("AUTH_ZITADEL_ISSUER", "https://example-abc123.zitadel.cloud"),
        ("AUTH_AUTHENTIK_ID", "ak-id"), // no issuer: left out
        ("AUTH_AUTHENTIK_SECRET", "ak-secret"),
        ("AUTH_COGNITO_ID", "co-id"),
        ("AUTH_COGNITO_SECRET", "co-secret"),
        (
            "AUTH_COGNITO_ISSUER",
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC",
        ),
        ("AUTH_BITBUCKET_ID", "bb-id"),
        ("AUTH_BITBUCKET_SECRET", "bb-secret"),
        ("AUTH_REDDIT_ID", "rd-id"), // no secret: left out
    ]);
    let providers = presets::from_vars(|k| vars.get(k).map(|v| (*v).to_owned()));
    let ids: Vec<String> = providers
        .iter()
        .map(|p| format!("{p:?}").split('"').nth(1).unwrap().to_owned())
        .collect();
    assert_eq!(
        ids,
        ["github", "azure-ad", "keycloak", "zitadel", "cognito", "bitbucket"]
    );
    let debug = format!("{:?}", providers[2]);
    assert!(debug.contains(r#"client_id: "kc-id""#), "{debug}");
    assert!(
        debug.contains(r#"issuer: Some("https://sso.example.com/realms/main")"#),
        "{debug}"
    );
    assert!(!debug.contains("kc-secret"), "the secret is redacted: {debug}");
    // They all make a valid configuration.
    let mut builder = Auth::builder().secret(common::SECRET);
    for p in providers {
        builder = builder.provider(p);
    }
    assert!(builder.build().is_ok());

    assert!(presets::from_vars(|_| None).is_empty());
    assert_eq!(presets::ENV_PREFIXES.len(), 21);
}

#[test]
fn every_preset_builds_with_credentials_and_lists_its_id() {
    let all = [
        ("github", presets::github_with("c", "s")),
        ("google", presets::google_with("c", "s")),
        ("discord", presets::discord_with("c", "s")),
        ("gitlab", presets::gitlab_with("c", "s")),
        ("azure-ad", presets::azure_ad_with("t", "c", "s")),
        ("microsoft-entra-id", presets::microsoft_entra_id_with("t", "c", "s")),
        ("apple", presets::apple_with("c", "s")),
        ("auth0", presets::auth0_with("https://t.auth0.com/", "c", "s")),
        ("okta", presets::okta_with("https://t.okta.com", "c", "s")),
        (
            "keycloak",
            presets::keycloak_with("https://kc.example/realms/r", "c", "s"),
        ),
        ("slack", presets::slack_with("c", "s")),
        ("twitch", presets::twitch_with("c", "s")),
        ("linkedin", presets::linkedin_with("c", "s")),
        ("facebook", presets::facebook_with("c", "s")),
        ("twitter", presets::twitter_with("c", "s")),
        ("spotify", presets::spotify_with("c", "s")),
        ("zitadel", presets::zitadel_with("https://z.zitadel.cloud", "c", "s")),
        (
            "authentik",
            presets::authentik_with("https://ak.example/application/o/app/", "c", "s"),
        ),
        (
            "cognito",
            presets::cognito_with("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab", "c", "s"),
        ),
        ("bitbucket", presets::bitbucket_with("c", "s")),
        ("reddit", presets::reddit_with("c", "s")),
    ];
    // One per entry of the `from_env` table, so a new preset is not left out here.
    assert_eq!(all.len(), presets::ENV_PREFIXES.len());
    let mut builder = Auth::builder().secret(common::SECRET);
    for (id, p) in all {
        assert!(format!("{p:?}").starts_with(&format!("OAuthProvider {{ id: \"{id}\"")));
        builder = builder.provider(p);
    }
    let auth = builder.build().unwrap();
    drop(auth);
    // Without credentials the configuration is refused, naming the provider.
    let err = Auth::builder()
        .secret(common::SECRET)
        .provider(presets::github_with("", ""))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("github"), "{err}");
}
