//! The Tessera demo: a small axum site with credentials sign-in and JWT sessions.
//!
//! `cargo run -p demo`, then open <http://localhost:3000>. Environment:
//! `PORT` (3000), `NEXTAUTH_URL`/`AUTH_URL`, `NEXTAUTH_SECRET`/`AUTH_SECRET` (generated
//! when unset), `DEMO_USERNAME`/`DEMO_PASSWORD` (`demo`/`demo`).

mod pages;

use std::net::{Ipv4Addr, SocketAddr};

use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router, middleware};
use subtle::ConstantTimeEq;
use tessera::callbacks::{CallbackError, Callbacks, JwtArgs, JwtTrigger, SessionArgs};
use tessera::providers::{Credentials, CredentialsProvider};
use tessera::{Auth, Secret, Session, Token, User};
use tessera_axum::MaybeSession;

/// Applies a `name` sent by `update()` after validating it, and exposes the user id.
struct DemoCallbacks;

/// The longest display name `update()` may set.
const MAX_NAME_CHARS: usize = 64;

#[tessera::async_trait]
impl Callbacks for DemoCallbacks {
    async fn jwt(&self, mut args: JwtArgs<'_>) -> Result<Token, CallbackError> {
        if args.trigger == Some(JwtTrigger::Update) {
            let name = args
                .session
                .and_then(|s| s.get("name"))
                .and_then(|n| n.as_str())
                .map(str::trim);
            match name {
                Some(n) if !n.is_empty() && n.chars().count() <= MAX_NAME_CHARS => args.token.set("name", n),
                Some(_) => tracing::info!("update() ignored: name must be 1 to {MAX_NAME_CHARS} characters"),
                None => {}
            }
        }
        Ok(args.token)
    }

    async fn session(&self, mut args: SessionArgs<'_>) -> Result<Session, CallbackError> {
        if let (Some(user), Some(sub)) = (args.session.user.as_mut(), args.token.and_then(Token::sub)) {
            user.extra.insert("id".into(), sub.into());
        }
        Ok(args.session)
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn build_auth(port: u16) -> Result<Auth, tessera::ConfigError> {
    let username = env("DEMO_USERNAME").unwrap_or_else(|| "demo".into());
    let password = env("DEMO_PASSWORD").unwrap_or_else(|| "demo".into());
    let mut builder = Auth::builder().from_env();
    if env("NEXTAUTH_URL").or_else(|| env("AUTH_URL")).is_none() {
        builder = builder.url(format!("http://localhost:{port}"));
    }
    if env("NEXTAUTH_SECRET").or_else(|| env("AUTH_SECRET")).is_none() {
        eprintln!("demo: no NEXTAUTH_SECRET set; generated a secret for this run (sessions end when the demo stops)");
        builder = builder.secret(Secret::generate());
    }
    let credentials = CredentialsProvider::new(move |c: Credentials| {
        let ok = c
            .get("username")
            .is_some_and(|u| bool::from(u.as_bytes().ct_eq(username.as_bytes())))
            & c.get("password")
                .is_some_and(|p| bool::from(p.as_bytes().ct_eq(password.as_bytes())));
        let user = ok.then(|| User::new("1").name("Demo User").email("demo@example.com"));
        async move { Ok(user) }
    })
    .field("username", "Username", "text")
    .field("password", "Password", "password");
    builder.provider(credentials).callbacks(DemoCallbacks).build()
}

fn app(auth: Auth) -> Router {
    let base = auth.base_path().to_owned();
    let demo_user = env("DEMO_USERNAME").unwrap_or_else(|| "demo".into());
    let demo_password = env("DEMO_PASSWORD").unwrap_or_else(|| "demo".into());
    let home_base = base.clone();
    Router::new()
        .route(
            "/protected",
            get(move |MaybeSession(s): MaybeSession| async move { Html(pages::protected(&base, s.as_ref())) }),
        )
        .route_layer(middleware::from_fn(tessera_axum::require_session))
        .route(
            "/",
            get(move |MaybeSession(s): MaybeSession| async move {
                Html(pages::home(&home_base, s.as_ref(), &demo_user, &demo_password))
            }),
        )
        .route(
            "/api/me",
            get(|tessera_axum::Session(s): tessera_axum::Session| async move { Json(s) }),
        )
        .route("/health", get(|| async { "ok" }))
        .merge(tessera_axum::routes(&auth))
        .layer(tessera_axum::layer(auth))
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let port: u16 = env("PORT").and_then(|p| p.parse().ok()).unwrap_or(3000);
    let auth = match build_auth(port) {
        Ok(auth) => auth,
        Err(e) => {
            eprintln!("demo: configuration error: {e}");
            std::process::exit(2);
        }
    };
    let addr = SocketAddr::from((Ipv4Addr::UNSPECIFIED, port));
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("demo: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    eprintln!(
        "demo: listening on http://localhost:{port} (auth at {}{})",
        auth.origin(),
        auth.base_path()
    );
    let shutdown = async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
            tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
    };
    if let Err(e) = axum::serve(listener, app(auth).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("demo: server error: {e}");
        std::process::exit(1);
    }
}
