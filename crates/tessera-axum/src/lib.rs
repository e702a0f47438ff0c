//! axum integration for [Tessera](tessera).
//!
//! * [`RouterExt::with_auth`] mounts the REST API under the base path (`/api/auth` by
//!   default) and makes the [`Auth`] available to the extractors, in one call
//!   ([`routes`] and [`layer`] are its two halves, for apps that place them apart);
//! * [`AuthSession`] (401 when signed out) and `Option<AuthSession>` read the session the
//!   way `GET /session` does: the `getServerSession` of Rust;
//! * [`require_session`] redirects signed-out visitors to the sign-in page with a
//!   `callbackUrl` back to where they were.
//!
//! ```
//! use axum::{Router, routing::get, middleware};
//! use tessera::Auth;
//! use tessera_axum::{AuthSession, RouterExt};
//!
//! async fn home(session: Option<AuthSession>) -> String {
//!     match session.and_then(|AuthSession(s)| s.user).and_then(|u| u.name) {
//!         Some(name) => format!("Hello, {name}"),
//!         None => "Hello, stranger".into(),
//!     }
//! }
//!
//! async fn dashboard(AuthSession(session): AuthSession) -> String {
//!     format!("{session:?}")
//! }
//!
//! let auth = Auth::builder().secret("0123456789abcdef").build().unwrap();
//! let app: Router = Router::new()
//!     .route("/dashboard", get(dashboard))
//!     .route_layer(middleware::from_fn(tessera_axum::require_session))
//!     .route("/", get(home))
//!     .with_auth(auth); // last: the REST API, and the Auth for every route above
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, OptionalFromRequestParts, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;
use http::request::Parts;
use tessera::Auth;

/// Mounting Tessera on an [`axum::Router`] in one call.
pub trait RouterExt<S> {
    /// Merges the REST API ([`routes`]) and then applies [`layer`] around the whole
    /// router, so every route added before it, the extractors and [`require_session`]
    /// find the [`Auth`]. Call it last: routes added after it do not get the layer.
    ///
    /// ```
    /// use axum::{Router, routing::get};
    /// use tessera_axum::{AuthSession, RouterExt};
    ///
    /// let auth = tessera::Auth::builder().secret("0123456789abcdef").build().unwrap();
    /// let app: Router = Router::new()
    ///     .route("/me", get(|AuthSession(s): AuthSession| async move { format!("{s:?}") }))
    ///     .with_auth(auth);
    /// ```
    #[must_use]
    fn with_auth(self, auth: Auth) -> Self;
}

impl<S: Clone + Send + Sync + 'static> RouterExt<S> for Router<S> {
    fn with_auth(self, auth: Auth) -> Self {
        self.merge(routes(&auth)).layer(layer(auth))
    }
}

/// The REST API under the engine's base path, as a router to merge into your app.
///
/// [`RouterExt::with_auth`] does this and [`layer`] together; call the two halves
/// yourself only to place them apart, for example to serve the API from a router
/// nested or layered differently from the one whose handlers read the session (the
/// [`layer`] must still wrap every route that uses the extractors).
pub fn routes<S: Clone + Send + Sync + 'static>(auth: &Auth) -> Router<S> {
    let base = auth.base_path().to_owned();
    let service = AuthService { auth: auth.clone() };
    // Each action's own path as a static route (`GET /session` above all), the wildcard for
    // the rest (`/signin/{provider}`, `/callback/{provider}`, unknown paths): a static match
    // has no path parameters for axum to allocate and insert into the request. The demo
    // under callgrind: 67,216 instructions per GET /api/auth/session against 67,782 (+0.8%),
    // and two allocations fewer.
    let mut router = Router::new()
        .route_service(&format!("{base}/{{*rest}}"), service.clone())
        .route_service(&base, service.clone());
    for action in tessera::protocol::Action::ALL {
        router = router.route_service(&format!("{base}/{}", action.as_str()), service.clone());
    }
    router
}

/// Puts the [`Auth`] in every request's extensions, for [`AuthSession`] and
/// [`require_session`]. Apply it with `Router::layer`, outermost (or use
/// [`RouterExt::with_auth`], which does it together with [`routes`]).
pub fn layer(auth: Auth) -> axum::Extension<Auth> {
    axum::Extension(auth)
}

/// A tower `Service` that hands requests to the engine, reading the body up to the
/// engine's limit (larger bodies get 413).
#[derive(Debug, Clone)]
pub struct AuthService {
    auth: Auth,
}

impl AuthService {
    /// Wraps an engine.
    pub fn new(auth: Auth) -> Self {
        AuthService { auth }
    }
}

impl tower_service::Service<Request> for AuthService {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let auth = self.auth.clone();
        Box::pin(async move {
            let (mut parts, body) = req.into_parts();
            // The peer address, for rate limits (serve with `into_make_service_with_connect_info`),
            // unless the app has put a client address there already.
            if parts.extensions.get::<tessera::rate_limit::ClientIp>().is_none()
                && let Some(ConnectInfo(addr)) = parts.extensions.get::<ConnectInfo<SocketAddr>>().copied()
            {
                parts.extensions.insert(tessera::rate_limit::ClientIp(addr.ip()));
            }
            let limit = auth.max_body_bytes();
            // GETs (most requests) have no body: skip the collecting machinery.
            let bytes = if axum::body::HttpBody::is_end_stream(&body) {
                Ok(bytes::Bytes::new())
            } else {
                axum::body::to_bytes(body, limit).await
            };
            let Ok(bytes) = bytes else {
                let msg = format!(r#"{{"message":"Request body too large (limit {limit} bytes)"}}"#);
                return Ok((
                    StatusCode::PAYLOAD_TOO_LARGE,
                    [(http::header::CONTENT_TYPE, "application/json")],
                    msg,
                )
                    .into_response());
            };
            let res = auth.handle(http::Request::from_parts(parts, bytes)).await;
            Ok(res.map(Body::from))
        })
    }
}

/// Why a session extractor refused the request.
#[derive(Debug)]
pub enum SessionRejection {
    /// Nobody is signed in: 401.
    Unauthenticated,
    /// The app forgot `.with_auth(auth)` (or `.layer(tessera_axum::layer(auth))`): 500
    /// with that advice.
    MissingLayer,
}

impl IntoResponse for SessionRejection {
    fn into_response(self) -> Response {
        match self {
            SessionRejection::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                axum::Json(serde_json::json!({ "message": "Not signed in" })),
            )
                .into_response(),
            SessionRejection::MissingLayer => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "tessera-axum: no Auth in the request extensions; end the router with `.with_auth(auth)` (tessera_axum::RouterExt), or add `.layer(tessera_axum::layer(auth))`",
            )
                .into_response(),
        }
    }
}

/// A resolved session, cached in the request extensions by [`require_session`].
#[derive(Debug, Clone)]
struct Resolved(Option<tessera::Session>);

async fn resolve(parts: &mut Parts) -> Result<Option<tessera::Session>, SessionRejection> {
    if let Some(Resolved(s)) = parts.extensions.get::<Resolved>() {
        return Ok(s.clone());
    }
    let auth = parts
        .extensions
        .get::<Auth>()
        .cloned()
        .ok_or(SessionRejection::MissingLayer)?;
    let session = auth.session(&parts.headers).await;
    parts.extensions.insert(Resolved(session.clone()));
    Ok(session)
}

/// The signed-in session; rejects with 401 when there is none.
///
/// Take `Option<AuthSession>` for "signed in or not" (never rejects for a signed-out
/// visitor), and `AuthSession` behind [`require_session`], where signed-out visitors have
/// already been redirected.
///
/// The name tells it apart from [`tessera::Session`], the session it holds.
#[derive(Debug, Clone)]
pub struct AuthSession(pub tessera::Session);

impl<S: Send + Sync> FromRequestParts<S> for AuthSession {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        resolve(parts)
            .await?
            .map(AuthSession)
            .ok_or(SessionRejection::Unauthenticated)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for AuthSession {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(resolve(parts).await?.map(AuthSession))
    }
}

/// Middleware (use with `axum::middleware::from_fn`): lets signed-in requests through
/// and redirects everyone else to the sign-in page, with a `callbackUrl` back here.
pub async fn require_session(req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    match resolve(&mut parts).await {
        Ok(Some(_)) => next.run(Request::from_parts(parts, body)).await,
        Ok(None) => {
            let Some(auth) = parts.extensions.get::<Auth>() else {
                return SessionRejection::MissingLayer.into_response();
            };
            let here = parts
                .uri
                .path_and_query()
                .map(http::uri::PathAndQuery::as_str)
                .unwrap_or("/");
            Redirect::temporary(&auth.sign_in_url(here)).into_response()
        }
        Err(rejection) => rejection.into_response(),
    }
}
