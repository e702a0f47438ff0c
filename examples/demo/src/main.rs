//! The Tessera demo: a small axum site with credentials, email and password sign-in
//! (accounts with sign-up, a verification mail, forgotten passwords and changes),
//! two-factor sign-in (TOTP and recovery codes), and
//! database sessions in SQLite (no set-up) or PostgreSQL.
//!
//! `cargo run -p demo`, then open <http://localhost:3000>. Environment:
//! `PORT` (3000), `NEXTAUTH_URL`/`AUTH_URL`, `NEXTAUTH_SECRET`/`AUTH_SECRET` (generated
//! when unset), `DEMO_USERNAME`/`DEMO_PASSWORD` (`demo`/`demo`), `DATABASE_URL` (default
//! `tessera-demo.db`, a SQLite file in the working directory; `postgres://…` for
//! PostgreSQL; `AUTH_DB_SCHEMA=pg-adapter`, `prisma` or `drizzle` to use next-auth's
//! `@auth/pg-adapter`, `@auth/prisma-adapter` or `@auth/drizzle-adapter` tables there instead of Tessera's), `DEMO_SESSION_STRATEGY=jwt` for JWT cookies, `EMAIL_SERVER`/`EMAIL_FROM`
//! for real email (otherwise sign-in links are printed on stderr), and
//! `DEMO_OIDC_ISSUER`/`DEMO_OIDC_CLIENT_ID`/`DEMO_OIDC_CLIENT_SECRET` for OpenID Connect sign-in,
//! `AUTH_<PROVIDER>_ID`/`AUTH_<PROVIDER>_SECRET` for any of the provider presets (GitHub, Google, …),
//! and `REDIS_URL` (`redis://host:6379`) to share rate limits, revocations and the
//! database-session cache with the other instances ([`tessera_redis::Redis`], key prefix
//! `REDIS_PREFIX`, default `tessera:`).

mod pages;

/// mimalloc rather than glibc's allocator. Measured with the demo under callgrind
/// (`GET /api/auth/session` with a JWT, instructions per request over 1,000 requests):
/// the allocator's share fell from about 17,000 (glibc malloc, free, realloc) to 5,800,
/// the whole request from 83,000 to 71,000; `/health` from 15,400 to 14,300. The
/// `no_thp` feature keeps the idle RSS within 0.5 MiB of glibc's (19 MiB with
/// transparent huge pages).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router, middleware};
use subtle::ConstantTimeEq;
use tessera::adapter::{Adapter, UserUpdate};
use tessera::callbacks::{CallbackError, Callbacks, JwtArgs, JwtTrigger, SessionArgs};
use tessera::providers::email::{CodeMode, DevMailer, EmailProvider};
use tessera::providers::{Credentials, CredentialsProvider, OAuthProvider, PasswordProvider};
use tessera::{Auth, Secret, Session, SessionStrategy, Token, TwoFactor, User};
use tessera_axum::{AuthSession, RouterExt};

/// Applies a `name` sent by `update()` after validating it (in the JWT, or in the
/// database for database sessions), and exposes the user id.
struct DemoCallbacks {
    adapter: Arc<dyn Adapter>,
}

/// The longest display name `update()` may set.
const MAX_NAME_CHARS: usize = 64;

/// The `name` of an `update()` payload, when it is valid.
fn requested_name(data: Option<&serde_json::Value>) -> Option<&str> {
    let name = data?.get("name")?.as_str()?.trim();
    if !name.is_empty() && name.chars().count() <= MAX_NAME_CHARS {
        Some(name)
    } else {
        tracing::info!("update() ignored: name must be 1 to {MAX_NAME_CHARS} characters");
        None
    }
}

#[tessera::async_trait]
impl Callbacks for DemoCallbacks {
    async fn jwt(&self, mut args: JwtArgs<'_>) -> Result<Token, CallbackError> {
        if args.trigger == Some(JwtTrigger::Update)
            && let Some(name) = requested_name(args.session)
        {
            args.token.set("name", name);
        }
        Ok(args.token)
    }

    async fn session(&self, mut args: SessionArgs<'_>) -> Result<Session, CallbackError> {
        let id = args
            .token
            .and_then(Token::sub)
            .or(args.user.map(|u| u.id.as_str()))
            .map(str::to_owned);
        if args.trigger == Some(JwtTrigger::Update)
            && let (Some(id), Some(name)) = (&id, requested_name(args.new_session))
        {
            let update = UserUpdate {
                id: id.clone(),
                name: Some(Some(name.to_owned())),
                ..Default::default()
            };
            self.adapter
                .update_user(update)
                .await
                .map_err(|e| CallbackError::new(e.to_string()))?;
            if let Some(user) = args.session.user.as_mut() {
                user.name = Some(name.to_owned());
            }
        }
        if let (Some(user), Some(id)) = (args.session.user.as_mut(), id) {
            user.extra.insert("id".into(), id.into());
        }
        Ok(args.session)
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The database: `DATABASE_URL`, or a SQLite file in the working directory, with the
/// tables `AUTH_DB_SCHEMA` names (`tessera` by default, `pg-adapter`, `prisma` or `drizzle`).
async fn open_adapter() -> Result<Arc<dyn Adapter>, String> {
    let url = env("DATABASE_URL").unwrap_or_else(|| "tessera-demo.db".into());
    let shown = if url.contains('@') {
        "(DATABASE_URL)".to_owned()
    } else {
        url.clone()
    };
    let schema = match env(tessera_sqlx::Schema::ENV) {
        Some(name) => name
            .parse::<tessera_sqlx::Schema>()
            .map_err(|e| format!("{}: {e}", tessera_sqlx::Schema::ENV))?,
        None => tessera_sqlx::Schema::Tessera,
    };
    let adapter = tessera_sqlx::connect_with_schema(&url, schema)
        .await
        .map_err(|e| format!("cannot open the database {shown}: {e}"))?;
    eprintln!("demo: database {shown} ({schema} tables)");
    Ok(adapter)
}

/// When `REDIS_URL` is set, Redis, shared with the other instances under `REDIS_PREFIX`
/// (default `tessera:`): rate limits, revocations and the database-session cache.
/// Otherwise each process keeps them alone.
async fn connect_redis() -> Result<Option<tessera_redis::Redis>, String> {
    let Some(url) = env("REDIS_URL") else {
        return Ok(None);
    };
    let shown = if url.contains('@') { "(REDIS_URL)" } else { url.as_str() };
    let prefix = env("REDIS_PREFIX").unwrap_or_else(|| "tessera:".into());
    let redis = tessera_redis::Redis::connect(&url, &prefix)
        .await
        .map_err(|e| format!("cannot connect to Redis {shown}: {e}"))?;
    eprintln!(
        "demo: Redis {shown}: rate limits, revocations and the session cache shared with the other instances (key prefix {prefix})"
    );
    Ok(Some(redis))
}

/// SMTP when `EMAIL_SERVER` is set, else a mailer that prints the link; a one-time code
/// with the link by default (`DEMO_EMAIL_CODE=with-link`), instead of it with `only`, or
/// none with `off`.
fn email_provider() -> Result<EmailProvider, String> {
    let code = match env("DEMO_EMAIL_CODE").as_deref() {
        Some("off") => CodeMode::Off,
        None | Some("with-link") => CodeMode::WithLink,
        Some("only") => CodeMode::Only,
        Some(other) => return Err(format!("DEMO_EMAIL_CODE={other:?}: use off, with-link or only")),
    };
    if env("EMAIL_SERVER").is_some() {
        let mailer = tessera_smtp::SmtpMailer::from_env().map_err(|e| format!("EMAIL_SERVER: {e}"))?;
        return Ok(EmailProvider::new(mailer).code(code));
    }
    eprintln!("demo: no EMAIL_SERVER set; email sign-in links and codes are printed here");
    Ok(EmailProvider::new(DevMailer).code(code))
}

/// A generic OpenID Connect provider when `DEMO_OIDC_ISSUER`, `DEMO_OIDC_CLIENT_ID` and
/// `DEMO_OIDC_CLIENT_SECRET` are set (name from `DEMO_OIDC_NAME`). Register
/// `<NEXTAUTH_URL>/api/auth/callback/oidc` as its redirect URI.
fn oidc_provider() -> Option<OAuthProvider> {
    let (issuer, id, secret) = (
        env("DEMO_OIDC_ISSUER")?,
        env("DEMO_OIDC_CLIENT_ID")?,
        env("DEMO_OIDC_CLIENT_SECRET")?,
    );
    let name = env("DEMO_OIDC_NAME").unwrap_or_else(|| "OpenID Connect".into());
    eprintln!("demo: OpenID Connect sign-in with {issuer}");
    Some(
        OAuthProvider::new("oidc")
            .name(name)
            .issuer(issuer)
            .client_id(id)
            .client_secret(secret)
            .scope("openid email profile"),
    )
}

async fn build_auth(port: u16, redis: Option<&tessera_redis::Redis>) -> Result<Auth, String> {
    let adapter = open_adapter().await?;
    let username = env("DEMO_USERNAME").unwrap_or_else(|| "demo".into());
    let password = env("DEMO_PASSWORD").unwrap_or_else(|| "demo".into());
    let mut builder = Auth::builder().from_env();
    // Without a URL the demo names itself, unless it is told to take the origin from the
    // request (AUTH_TRUST_HOST, with AUTH_ALLOWED_HOSTS for its email links).
    let trust_host = env("AUTH_TRUST_HOST").is_some() || env("VERCEL").is_some();
    if env("NEXTAUTH_URL").or_else(|| env("AUTH_URL")).is_none() && !trust_host {
        builder = builder.url(format!("http://localhost:{port}"));
    }
    if env("NEXTAUTH_SECRET").or_else(|| env("AUTH_SECRET")).is_none() {
        eprintln!(
            "demo: no NEXTAUTH_SECRET set; generated a secret for this run (sign-in links and JWT cookies stop working when the demo stops)"
        );
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
    if env("DEMO_SESSION_STRATEGY").is_some_and(|s| s.eq_ignore_ascii_case("jwt")) {
        builder = builder.session_strategy(SessionStrategy::Jwt);
    }
    if let Some(oidc) = oidc_provider() {
        builder = builder.provider(oidc);
    }
    // Every preset whose AUTH_<PROVIDER>_ID / _SECRET (and issuer or tenant) are set.
    for preset in tessera::providers::presets::from_env() {
        eprintln!("demo: sign-in with {}", preset.display_name());
        builder = builder.provider(preset);
    }
    if let Some(redis) = redis {
        builder = builder.rate_limit_store(redis.rate_limits());
    }
    // Password accounts (sign-up at {base}/signup/password), where the tables can hold the
    // hashes: Tessera's own. next-auth's app-owned tables cannot (the reason is printed).
    match adapter.password_support() {
        Ok(()) => builder = builder.provider(PasswordProvider::new()),
        Err(e) => eprintln!("demo: no password accounts: {e}"),
    }
    // Two-factor sign-in (TOTP and recovery codes, set up at {base}/two-factor/setup) where
    // the tables can hold the set-ups: Tessera's own.
    match adapter.two_factor_support() {
        Ok(()) => builder = builder.two_factor(TwoFactor::new().issuer("Tessera demo")),
        Err(e) => eprintln!("demo: no two-factor sign-in: {e}"),
    }
    builder
        .adapter(adapter.clone())
        .provider(credentials)
        .provider(email_provider()?)
        .callbacks(DemoCallbacks { adapter })
        .build()
        .map_err(|e| format!("configuration error: {e}"))
}

fn app(auth: Auth) -> Router {
    let base = auth.base_path().to_owned();
    let demo_user = env("DEMO_USERNAME").unwrap_or_else(|| "demo".into());
    let demo_password = env("DEMO_PASSWORD").unwrap_or_else(|| "demo".into());
    let home_base = base.clone();
    Router::new()
        .route(
            "/protected",
            get(move |AuthSession(s): AuthSession| async move { Html(pages::protected(&base, &s)) }),
        )
        .route_layer(middleware::from_fn(tessera_axum::require_session))
        .route(
            "/",
            get(move |s: Option<AuthSession>| async move {
                let s = s.map(|AuthSession(s)| s);
                Html(pages::home(&home_base, s.as_ref(), &demo_user, &demo_password))
            }),
        )
        .route("/api/me", get(|AuthSession(s): AuthSession| async move { Json(s) }))
        // A bare route answering `{}`: the baseline of `scripts/load.sh`.
        .route(
            "/health",
            get(|| async { ([(axum::http::header::CONTENT_TYPE, "application/json")], "{}") }),
        )
        .route(
            "/leptos",
            get(|| async { axum::response::Redirect::permanent("/leptos/") }),
        )
        .route("/leptos/", get(leptos_index))
        .route(
            "/leptos/{file}",
            get(|axum::extract::Path(file): axum::extract::Path<String>| leptos_file_owned(file)),
        )
        .with_auth(auth)
}

/// Where the Leptos example app's files are (`bash scripts/build-leptos-app.sh` builds
/// them): `LEPTOS_APP_DIR`, or `examples/leptos-app/dist` next to this crate.
fn leptos_dir() -> std::path::PathBuf {
    env("LEPTOS_APP_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../leptos-app/dist"))
}

/// One of the Leptos app's static files.
async fn leptos_file(name: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    let content_type = match name {
        "leptos_app.js" => "text/javascript",
        "leptos_app_bg.wasm" => "application/wasm",
        _ => return axum::http::StatusCode::NOT_FOUND.into_response(),
    };
    match tokio::fs::read(leptos_dir().join(name)).await {
        Ok(bytes) => ([(axum::http::header::CONTENT_TYPE, content_type)], bytes).into_response(),
        Err(_) => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}

/// The Leptos app's page with the visitor's session embedded
/// ([`tessera::protocol::embed::session_script`]): the app starts signed in or out at
/// once, without a loading state or a first `GET /session`.
async fn leptos_index(session: Option<AuthSession>) -> axum::response::Response {
    let session = session.map(|AuthSession(s)| s);
    use axum::response::IntoResponse;
    let Ok(html) = tokio::fs::read_to_string(leptos_dir().join("index.html")).await else {
        return Html(pages::leptos_missing()).into_response();
    };
    let script = tessera::protocol::embed::session_script(session.as_ref());
    let html = match html.find("</head>") {
        Some(at) => format!("{}{script}{}", &html[..at], &html[at..]),
        None => format!("{script}{html}"),
    };
    // The page carries this visitor's session: never cache it.
    ([(axum::http::header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

async fn leptos_file_owned(name: String) -> axum::response::Response {
    leptos_file(&name).await
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let port: u16 = env("PORT").and_then(|p| p.parse().ok()).unwrap_or(3000);
    let started = async {
        let redis = connect_redis().await?;
        let auth = build_auth(port, redis.as_ref()).await?;
        if let Some(redis) = redis {
            redis
                .attach(&auth)
                .await
                .map_err(|e| format!("cannot share revocations and invalidations through Redis: {e}"))?;
        }
        Ok::<_, String>(auth)
    };
    let auth = match started.await {
        Ok(auth) => auth,
        Err(e) => {
            eprintln!("demo: {e}");
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
            let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
                return std::future::pending().await;
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
