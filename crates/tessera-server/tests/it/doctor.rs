//! `tessera doctor` against real services and real mistakes: each finding's level and
//! topic, with a fix for every error.

use axum::Json;
use axum::routing::get;
use tessera_server::Config;
use tessera_server::doctor::{Level, Report, check};

use crate::pg_schema::schema_with;

const GOOD_SECRET: &str = "kP3v9Qx7Lm2Zt8Rw5Ys1Nb6Hc4Jd0Fg+AeUoIiEe=";

async fn doctor(file: &str, vars: &[(&str, &str)]) -> Report {
    let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let env = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let config = Config::parse(file, "tessera.toml", &env).expect("a valid configuration");
    let report = check(&config).await;
    for finding in report.findings() {
        assert_eq!(
            finding.level == Level::Ok,
            finding.fix.is_none(),
            "a problem comes with its fix, and only a problem: {finding:?}"
        );
    }
    report
}

/// The level of the finding on `topic` (which must be there once).
fn level(report: &Report, topic: &str) -> Level {
    let found: Vec<_> = report.findings().iter().filter(|f| f.topic == topic).collect();
    assert_eq!(found.len(), 1, "one finding on {topic}: {report}");
    found[0].level
}

fn message<'r>(report: &'r Report, topic: &str) -> &'r str {
    &report
        .findings()
        .iter()
        .find(|f| f.topic == topic)
        .expect("the finding")
        .message
}

const HTTPS: (&str, &str) = ("NEXTAUTH_URL", "https://app.example.com");

#[tokio::test]
async fn secrets_are_judged_by_length_and_guessability() {
    for (secret, expected) in [
        (GOOD_SECRET, Level::Ok),
        ("Xq9!fT2#bL7@wR4$", Level::Warning),
        ("changeme-please-now-1234567890123", Level::Error),
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Level::Error),
    ] {
        let report = doctor("", &[("NEXTAUTH_SECRET", secret), HTTPS]).await;
        assert_eq!(level(&report, "secret"), expected, "{secret}: {report}");
        assert!(
            !report.to_string().contains(secret),
            "the report never shows the secret"
        );
    }
    let report = doctor("", &[HTTPS]).await;
    assert_eq!(level(&report, "secret"), Level::Error);
    assert!(report.has_errors());
    let rotated = doctor(
        "",
        &[
            ("NEXTAUTH_SECRET", GOOD_SECRET),
            ("AUTH_SECRET_1", "Qz8!mV3#kP9@tL5$x"),
            HTTPS,
        ],
    )
    .await;
    assert_eq!(level(&rotated, "secret #1 (older)"), Level::Warning, "{rotated}");
}

#[tokio::test]
async fn urls_and_cookies() {
    let secret = ("NEXTAUTH_SECRET", GOOD_SECRET);
    for (file, vars, expected_topic, expected) in [
        ("", vec![secret, HTTPS], "url", Level::Ok),
        (
            "",
            vec![secret, ("NEXTAUTH_URL", "http://app.example.com")],
            "url",
            Level::Error,
        ),
        (
            "",
            vec![secret, ("NEXTAUTH_URL", "http://localhost:3000")],
            "url",
            Level::Warning,
        ),
        ("", vec![secret], "url", Level::Error),
        ("trust_host = true", vec![secret], "url", Level::Warning),
        (
            "trust_host = true\nallowed_hosts = [\"app.example.com\"]",
            vec![secret],
            "url",
            Level::Ok,
        ),
        (
            "use_secure_cookies = true",
            vec![secret, ("NEXTAUTH_URL", "http://localhost:3000")],
            "cookies",
            Level::Error,
        ),
        (
            "use_secure_cookies = false",
            vec![secret, HTTPS],
            "cookies",
            Level::Warning,
        ),
    ] {
        let report = doctor(file, &vars).await;
        assert_eq!(level(&report, expected_topic), expected, "{file} {vars:?}: {report}");
    }
}

#[tokio::test]
async fn what_the_engine_refuses_is_an_error() {
    let file = "[pages]\nsign_in = \"javascript:alert(1)\"\n";
    let report = doctor(file, &[("NEXTAUTH_SECRET", GOOD_SECRET), HTTPS]).await;
    assert_eq!(level(&report, "settings"), Level::Error, "{report}");
    assert!(message(&report, "settings").contains("javascript:alert(1)"), "{report}");
}

#[tokio::test]
async fn the_database_is_reached_and_its_tables_inspected_without_writing() {
    let secret = ("NEXTAUTH_SECRET", GOOD_SECRET);
    let closed = doctor(
        "",
        &[secret, HTTPS, ("DATABASE_URL", "postgres://postgres@127.0.0.1:1/test")],
    )
    .await;
    assert_eq!(level(&closed, "database"), Level::Error, "{closed}");
    assert!(message(&closed, "database").contains("cannot connect"));

    let Some(schema) = schema_with("").await else { return };
    let url = schema.url();
    let empty = doctor("", &[secret, HTTPS, ("DATABASE_URL", &url)]).await;
    assert_eq!(
        level(&empty, "database"),
        Level::Warning,
        "Tessera's tables are created at start: {empty}"
    );
    let pg_adapter = doctor(
        "",
        &[secret, HTTPS, ("DATABASE_URL", &url), ("AUTH_DB_SCHEMA", "pg-adapter")],
    )
    .await;
    assert_eq!(level(&pg_adapter, "database"), Level::Error, "{pg_adapter}");
    assert!(message(&pg_adapter, "database").contains("users"), "{pg_adapter}");

    assert_eq!(
        crate::serve::tables_in(&schema).await,
        0,
        "the doctor wrote to the database"
    );

    tessera_sqlx::connect(&url).await.expect("Tessera's migrations");
    let migrated = doctor("", &[secret, HTTPS, ("DATABASE_URL", &url)]).await;
    assert_eq!(level(&migrated, "database"), Level::Ok, "{migrated}");
}

#[tokio::test]
async fn redis_smtp_and_hooks_that_do_not_answer_are_errors() {
    let hooks = crate::hook_server::HookServer::start().await;
    let file = format!(
        r#"
[redis]
url = "redis://127.0.0.1:1"

[[providers]]
id = "email"
type = "email"
server = "smtp+insecure://127.0.0.1:1"
from = "noreply@example.com"

[[providers]]
id = "login"
type = "credentials"

[hooks]
secret = "{}"
authorize = "{}"
jwt = "http://127.0.0.1:1/jwt"
"#,
        crate::hook_server::HOOK_SECRET,
        hooks.url("/authorize")
    );
    let report = doctor(
        &file,
        &[
            ("NEXTAUTH_SECRET", GOOD_SECRET),
            HTTPS,
            ("DATABASE_URL", "sqlite::memory:"),
        ],
    )
    .await;
    assert_eq!(level(&report, "redis"), Level::Error, "{report}");
    assert_eq!(level(&report, "providers.email"), Level::Error, "{report}");
    assert_eq!(level(&report, "hooks.authorize"), Level::Ok, "{report}");
    assert_eq!(level(&report, "hooks.jwt"), Level::Error, "{report}");
    assert!(
        hooks.received().is_empty(),
        "the doctor reaches a hook's host, it calls no hook"
    );
}

#[tokio::test]
async fn openid_connect_discovery_is_fetched_and_checked() {
    // An issuer of the test's own: `/good` serves a right document, `/wrong` one naming
    // another issuer, `/missing` none.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let good = base.clone();
    let app = axum::Router::new()
        .route(
            "/good/.well-known/openid-configuration",
            get(move || async move {
                Json(serde_json::json!({
                    "issuer": format!("{good}/good"),
                    "authorization_endpoint": format!("{good}/good/auth"),
                    "token_endpoint": format!("{good}/good/token"),
                    "jwks_uri": format!("{good}/good/jwks"),
                }))
            }),
        )
        .route(
            "/wrong/.well-known/openid-configuration",
            get(|| async { Json(serde_json::json!({"issuer": "https://elsewhere.example.com"})) }),
        );
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    for (path, expected) in [("good", Level::Ok), ("wrong", Level::Error), ("missing", Level::Error)] {
        let file = format!(
            "[[providers]]\nid = \"corp\"\ntype = \"oidc\"\nissuer = \"{base}/{path}\"\nclient_id = \"c\"\nclient_secret = \"s\"\n"
        );
        let report = doctor(&file, &[("NEXTAUTH_SECRET", GOOD_SECRET), HTTPS]).await;
        assert_eq!(level(&report, "providers.corp"), expected, "{path}: {report}");
    }
    server.abort();
}

#[tokio::test]
async fn redis_that_answers_is_fine() {
    let url = std::env::var("TESSERA_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    if tessera_redis::Redis::connect(&url, "doctor-test:").await.is_err() {
        crate::service::unavailable(
            "Redis",
            &format!("{url} is unreachable"),
            "Start redis-server, or set TESSERA_TEST_REDIS_URL.",
        );
        return;
    }
    let report = doctor("", &[("NEXTAUTH_SECRET", GOOD_SECRET), HTTPS, ("REDIS_URL", &url)]).await;
    assert_eq!(level(&report, "redis"), Level::Ok, "{report}");
}

/// `next start`'s rewrites add no X-Forwarded-For and pass on the browser's own (seen in
/// tests/e2e/switch/nextjs-front.test.mjs's setup): the advice to trust the Next.js server
/// says it holds only with a proxy in front that sets the header, never for browsers
/// reaching `next start` directly, where every visitor would pick its own address.
#[tokio::test]
async fn trusting_the_nextjs_server_is_advised_only_behind_a_proxy_that_sets_x_forwarded_for() {
    let report = doctor("", &[("NEXTAUTH_SECRET", GOOD_SECRET), HTTPS]).await;
    assert_eq!(level(&report, "trusted_proxies"), Level::Warning);
    let finding = report
        .findings()
        .iter()
        .find(|f| f.topic == "trusted_proxies")
        .expect("the finding");
    let fix = finding.fix.as_deref().expect("a fix");
    assert!(
        fix.contains("when a proxy in front of the app sets X-Forwarded-For"),
        "{fix}"
    );
    assert!(fix.contains("not when browsers reach `next start` directly"), "{fix}");

    let trusted = doctor(
        r#"trusted_proxies = ["127.0.0.1"]"#,
        &[("NEXTAUTH_SECRET", GOOD_SECRET), HTTPS],
    )
    .await;
    assert_eq!(level(&trusted, "trusted_proxies"), Level::Ok);
    assert!(
        message(&trusted, "trusted_proxies").contains("which must set it themselves or get it from a proxy that does"),
        "{trusted}"
    );
}
