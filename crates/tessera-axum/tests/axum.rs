//! The axum integration, driven through the Router as a server would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::{Body, to_bytes};
use axum::routing::get;
use axum::{Router, middleware};
use http::{Request, StatusCode};
use tessera::providers::{Credentials, CredentialsProvider};
use tessera::{Auth, Token, User};
use tessera_axum::{AuthSession, RouterExt};
use tower::ServiceExt;

fn auth() -> Auth {
    Auth::builder()
        .url("http://localhost:3000")
        .secret("an axum test secret")
        .max_body_bytes(256)
        .provider(CredentialsProvider::new(|_c: Credentials| async {
            Ok(Some(User::new("1")))
        }))
        .build()
        .unwrap()
}

fn app(auth: &Auth) -> Router {
    Router::new()
        .route(
            "/private",
            get(|AuthSession(s): AuthSession| async move { s.user.and_then(|u| u.name).unwrap_or_default() }),
        )
        .route_layer(middleware::from_fn(tessera_axum::require_session))
        .route(
            "/me",
            get(|AuthSession(s): AuthSession| async move { s.user.and_then(|u| u.name).unwrap_or_default() }),
        )
        .route(
            "/opt",
            get(|s: Option<AuthSession>| async move { if s.is_some() { "yes" } else { "no" } }),
        )
        .merge(tessera_axum::routes(auth))
        .layer(tessera_axum::layer(auth.clone()))
}

async fn call(app: &Router, req: Request<Body>) -> (StatusCode, http::HeaderMap, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = to_bytes(res.into_body(), usize::MAX).await.unwrap();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn signed_in_cookie(auth: &Auth) -> String {
    let token = auth.encode_token(
        Token::for_user(&User::new("1").name("Ada")),
        std::time::Duration::from_secs(60),
    );
    format!("{}={token}", auth.session_cookie_name())
}

#[tokio::test]
async fn extractors_read_the_session() {
    let auth = auth();
    let app = app(&auth);
    let cookie = signed_in_cookie(&auth);
    let with = |path: &str| {
        Request::get(path)
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap()
    };
    let without = |path: &str| Request::get(path).body(Body::empty()).unwrap();

    assert_eq!(call(&app, with("/me")).await.2, "Ada");
    let (status, _, body) = call(&app, without("/me")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("Not signed in"));
    assert_eq!(call(&app, with("/opt")).await.2, "yes");
    assert_eq!(call(&app, without("/opt")).await.2, "no");
}

#[tokio::test]
async fn require_session_redirects_with_callback_url() {
    let auth = auth();
    let app = app(&auth);
    let (status, headers, _) = call(&app, Request::get("/private?tab=2").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(headers["location"], "/api/auth/signin?callbackUrl=%2Fprivate%3Ftab%3D2");
    let req = Request::get("/private")
        .header("cookie", signed_in_cookie(&auth))
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&app, req).await.2, "Ada");
}

#[tokio::test]
async fn auth_routes_are_served_under_the_base_path() {
    let auth = auth();
    let app = app(&auth);
    let (status, headers, body) = call(&app, Request::get("/api/auth/session").body(Body::empty()).unwrap()).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "{}"));
    assert_eq!(headers.get_all("set-cookie").iter().count(), 2);
    let (status, _, _) = call(&app, Request::get("/api/auth").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Bodies over the limit are refused before the engine sees them.
    let req = Request::post("/api/auth/signout")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("x".repeat(1000)))
        .unwrap();
    let (status, _, body) = call(&app, req).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains("too large"));
}

/// `with_auth` mounts the REST API and the layer in one call: a signed-in request reaches
/// the extractor behind `require_session`, and the API answers under the base path.
#[tokio::test]
async fn with_auth_mounts_routes_and_layer() {
    let auth = auth();
    let app: Router = Router::new()
        .route(
            "/private",
            get(|AuthSession(s): AuthSession| async move { s.user.and_then(|u| u.name).unwrap_or_default() }),
        )
        .route_layer(middleware::from_fn(tessera_axum::require_session))
        .with_auth(auth.clone());
    let req = Request::get("/private")
        .header("cookie", signed_in_cookie(&auth))
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = call(&app, req).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "Ada"));
    let (status, _, _) = call(&app, Request::get("/private").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::TEMPORARY_REDIRECT);
    let req = Request::get("/api/auth/session")
        .header("cookie", signed_in_cookie(&auth))
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = call(&app, req).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#""name":"Ada""#), "{body}");
}

#[tokio::test]
async fn a_missing_layer_is_explained() {
    let app: Router = Router::new().route("/me", get(|AuthSession(_): AuthSession| async { "x" }));
    let (status, _, body) = call(&app, Request::get("/me").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.contains("tessera_axum::layer"), "{body}");
}

/// M2: a client address set by an earlier middleware (from a header the app trusts) is
/// kept; before, the connection's peer always overwrote it.
#[tokio::test]
async fn m2_an_application_client_ip_is_kept() {
    use std::net::{IpAddr, SocketAddr};
    use tessera::rate_limit::{ClientIp, Limit, RateLimits};

    let auth = Auth::builder()
        .url("http://localhost:3000")
        .secret("an axum test secret")
        .provider(CredentialsProvider::new(|_c: Credentials| async { Ok(None) }))
        .rate_limits(RateLimits {
            credentials_per_client: Some(Limit::new(1, std::time::Duration::from_secs(60))),
            ..RateLimits::disabled()
        })
        .build()
        .unwrap();
    let app = app(&auth);
    let (_, headers, body) = call(&app, Request::get("/api/auth/csrf").body(Body::empty()).unwrap()).await;
    let cookie = headers
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ");
    let token = serde_json::from_str::<serde_json::Value>(&body).unwrap()["csrfToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let attempt = |client: Option<&str>| {
        let mut req = Request::post("/api/auth/callback/credentials")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &cookie)
            .body(Body::from(format!("csrfToken={token}&username=u&password=p&json=true")))
            .unwrap();
        req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        if let Some(ip) = client {
            req.extensions_mut().insert(ClientIp(ip.parse::<IpAddr>().unwrap()));
        }
        call(&app, req)
    };
    assert_eq!(attempt(Some("192.0.2.1")).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        attempt(Some("192.0.2.2")).await.0,
        StatusCode::UNAUTHORIZED,
        "its own bucket"
    );
    assert_eq!(attempt(Some("192.0.2.2")).await.0, StatusCode::TOO_MANY_REQUESTS);
    // Without one, the peer is the client.
    assert_eq!(attempt(None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(attempt(None).await.0, StatusCode::TOO_MANY_REQUESTS);
}
