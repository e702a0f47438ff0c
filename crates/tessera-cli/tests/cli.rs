//! The `tessera` binary, run as a user would. The `migrate` tests on PostgreSQL use
//! `postgres://postgres@127.0.0.1:5432/test` (or `TESSERA_TEST_POSTGRES_URL`), each in a
//! PostgreSQL schema of its own; when it is unreachable they fail if `CI=true` and are
//! skipped (loudly) otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../tessera/tests/it/common/service.rs"]
mod service;

use std::process::Command;
use std::time::Duration;

use tessera::Compat;

use tessera::jwt::JweCodec;
use tessera::{Secret, Token, User};
use tessera_sqlx::sqlx::{self, AssertSqlSafe, Connection, PgConnection};

fn tessera(args: &[&str]) -> (i32, String, String) {
    tessera_with(args, &[])
}

/// `tessera args…` with the environment variables `vars` (and none of the settings of the
/// environment the tests run in).
fn tessera_with(args: &[&str], vars: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .env_remove("NEXTAUTH_SECRET")
        .env_remove("AUTH_SECRET")
        .env_remove("DATABASE_URL")
        .env_remove("AUTH_DB_SCHEMA")
        .envs(vars.iter().copied())
        .output()
        .expect("run tessera");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn secret_prints_44_base64_chars() {
    let (code, out, _) = tessera(&["secret"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim().len(), 44);
    assert_ne!(out, tessera(&["secret"]).1, "random each time");
}

#[test]
fn decodes_v4_and_v5_tokens() {
    let secret = "a secret for the cli test";
    let mut claims = Token::for_user(&User::new("42").name("Ada")).into_claims();
    let v4 = JweCodec::new(Compat::NextAuthV4, &[Secret::new(secret)], "").encode_claims(&mut claims, 60, now());
    let (code, out, err) = tessera(&["jwt", "decode", &v4, "--secret", secret]);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["sub"], "42");
    assert_eq!(json["name"], "Ada");
    assert!(err.contains("valid; expires"));

    let v5 = JweCodec::new(Compat::AuthJsV5, &[Secret::new(secret)], "authjs.session-token").encode_claims(
        &mut claims,
        60,
        now(),
    );
    assert_eq!(tessera(&["jwt", "decode", &v5, "--secret", secret, "--v5"]).0, 0);
    let (code, _, err) = tessera(&["jwt", "decode", &v5, "--secret", secret]);
    assert_eq!(code, 1);
    assert!(err.contains("A256CBC-HS512"), "{err}");
}

#[test]
fn says_precisely_why_it_cannot() {
    let secret = "a secret for the cli test";
    let codec = JweCodec::new(Compat::NextAuthV4, &[Secret::new(secret)], "");
    let token = codec.encode_claims(&mut Default::default(), 60, now());
    let (code, _, err) = tessera(&["jwt", "decode", &token, "--secret", "the wrong secret"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("does not decrypt") && err.contains("wrong secret"),
        "{err}"
    );

    let expired = codec.encode_claims(&mut Default::default(), -100, now());
    let (code, out, err) = tessera(&["jwt", "decode", &expired, "--secret", secret]);
    assert_eq!(code, 1);
    assert!(err.contains("expired"), "{err}");
    assert!(out.contains("\"exp\""), "claims are still shown");

    let (code, _, err) = tessera(&["jwt", "decode", "not-a-token", "--secret", secret]);
    assert_eq!(code, 1);
    assert!(err.contains("not a compact JWE"), "{err}");

    let (code, _, err) = tessera(&["jwt", "decode", &token]);
    assert_eq!(code, 2);
    assert!(err.contains("no secret"), "{err}");
    assert_eq!(tessera(&["jwt", "decode", "--bogus"]).0, 2);
    assert_eq!(tessera(&["frobnicate"]).0, 2);
}

#[test]
fn migrate_creates_a_sqlite_database_and_is_idempotent() {
    let path = std::env::temp_dir().join(format!("tessera-cli-{}.db", std::process::id()));
    let url = path.to_str().unwrap();
    for _ in 0..2 {
        let (code, out, err) = tessera(&["migrate", url]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("up to date"));
    }
    assert!(path.exists());
    let _ = std::fs::remove_file(&path);
    let (code, _, err) = tessera(&["migrate", "postgres://nobody@127.0.0.1:1/none"]);
    assert_eq!(code, 1);
    assert!(err.contains("migration failed"), "{err}");
    let (code, _, err) = tessera(&["migrate"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn migrate_refuses_an_unknown_schema_naming_the_valid_ones() {
    let names = "(expected \"tessera\", \"pg-adapter\", \"prisma\" or \"drizzle\")";
    let (code, out, err) = tessera(&["migrate", "--schema", "mongo", "postgres://nobody@127.0.0.1:1/none"]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert_eq!(
        err.trim_end(),
        format!("tessera: --schema: unknown database schema \"mongo\" {names}")
    );
    let (code, _, err) = tessera_with(
        &["migrate", "postgres://nobody@127.0.0.1:1/none"],
        &[("AUTH_DB_SCHEMA", "pg_adapter")],
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err.trim_end(),
        format!("tessera: AUTH_DB_SCHEMA: unknown database schema \"pg_adapter\" {names}")
    );
    let (code, _, err) = tessera(&["migrate", "x.db", "--schema"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--schema needs a value") && err.contains("usage:"),
        "{err}"
    );
    // next-auth's tables are PostgreSQL only: nothing is created in an SQLite file.
    let path = std::env::temp_dir().join(format!("tessera-cli-drizzle-{}.db", std::process::id()));
    let (code, _, err) = tessera(&["migrate", "--schema", "drizzle", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("the drizzle database schema is PostgreSQL only"), "{err}");
    assert!(!path.exists());
}

/// The migration of Auth.js's documented drizzle schema, as drizzle-kit generates it (the
/// tessera-sqlx tests' fixture), its foreign keys pointing at the schema it is run in.
fn drizzle_tables() -> String {
    include_str!("../../tessera-sqlx/tests/it/drizzle/schema.sql").replace("\"public\".", "")
}

/// A PostgreSQL schema of the test's own, dropped (with its tables) on drop.
struct PgSchema {
    base: String,
    name: String,
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(f)
}

impl PgSchema {
    /// A new empty schema, or `None` (after a loud SKIP) when PostgreSQL is unreachable
    /// outside CI.
    fn new() -> Option<PgSchema> {
        let base = std::env::var("TESSERA_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let name = format!(
            "tessera_cli_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        let created = block_on(async {
            let mut conn = tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(&base))
                .await
                .map_err(|_| "no answer within 10 s".to_owned())?
                .map_err(|e| e.to_string())?;
            sqlx::raw_sql(AssertSqlSafe(format!("CREATE SCHEMA {name}")))
                .execute(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
            conn.close().await.map_err(|e| e.to_string())
        });
        match created {
            Ok(()) => Some(PgSchema { base, name }),
            Err(e) => {
                let host = base.rsplit_once('@').map_or("the test database", |(_, host)| host);
                service::unavailable(
                    "PostgreSQL (tessera migrate's tests)",
                    &format!("{host} is unreachable ({e})"),
                    "Start PostgreSQL, or set TESSERA_TEST_POSTGRES_URL to a reachable database.",
                );
                None
            }
        }
    }

    /// The test database's URL with this schema first on the `search_path`.
    fn url(&self) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{sep}options[search_path]={}", self.base, self.name)
    }

    /// Runs `sql` in this schema.
    fn run(&self, sql: &str) {
        block_on(async {
            let mut conn = PgConnection::connect(&self.url()).await.expect("connect");
            sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
                .execute(&mut conn)
                .await
                .expect(sql);
            let _ = conn.close().await;
        });
    }

    /// The tables in this schema, sorted.
    fn tables(&self) -> Vec<String> {
        block_on(async {
            let mut conn = PgConnection::connect(&self.url()).await.expect("connect");
            let found = sqlx::query_scalar(
                "SELECT table_name::TEXT FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
            )
            .bind(&self.name)
            .fetch_all(&mut conn)
            .await
            .expect("list tables");
            let _ = conn.close().await;
            found
        })
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let dropped = block_on(async {
            let mut conn = PgConnection::connect(&self.base).await?;
            sqlx::raw_sql(AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name)))
                .execute(&mut conn)
                .await?;
            conn.close().await
        });
        if let Err(e) = dropped {
            eprintln!("could not drop the test schema {}: {e}", self.name);
        }
    }
}

/// With `AUTH_DB_SCHEMA` (or `--schema`) naming tables the application owns, `migrate`
/// checks them and creates nothing: 0 when they fit, 1 with the precise mismatch when
/// not. With `tessera` it migrates.
#[test]
fn migrate_checks_next_auths_tables_and_creates_nothing() {
    let Some(schema) = PgSchema::new() else { return };
    let url = schema.url();
    let drizzle = [("AUTH_DB_SCHEMA", "drizzle")];

    let (code, out, err) = tessera_with(&["migrate", &url], &drizzle);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(
        err.starts_with(
            "tessera: next-auth's drizzle tables cannot be used: the @auth/drizzle-adapter table user is missing \
             (none on the search_path)\n(the application owns them: `tessera migrate` creates and changes nothing there)"
        ),
        "{err}"
    );
    assert_eq!(schema.tables(), Vec::<String>::new(), "nothing created");

    schema.run(&drizzle_tables());
    let drizzle_tables = ["account", "authenticator", "session", "user", "verificationToken"];
    let (code, out, err) = tessera_with(&["migrate"], &[drizzle[0], ("DATABASE_URL", &url)]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "tessera: next-auth's drizzle tables are as expected (nothing was created or changed)\n"
    );
    assert_eq!(schema.tables(), drizzle_tables, "nothing created");

    // `--schema` beats the environment.
    let (code, _, err) = tessera_with(&["migrate", "--schema", "prisma", &url], &drizzle);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(": the Prisma adapter table User is missing"), "{err}");

    schema.run("ALTER TABLE \"session\" ALTER COLUMN \"expires\" TYPE timestamptz");
    let (code, _, err) = tessera_with(&["migrate", &url], &drizzle);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(
            ": the @auth/drizzle-adapter table session has column \"expires\" of type timestamp with time zone, \
             expected TIMESTAMP, as user.\"emailVerified\": the timestamps all of one kind\n"
        ),
        "{err}"
    );
    assert_eq!(schema.tables(), drizzle_tables, "nothing changed");

    // Tessera's own tables are migrated, beside the application's.
    let (code, out, err) = tessera_with(&["migrate", "--schema=tessera", &url], &drizzle);
    assert_eq!(
        (code, out.as_str()),
        (0, "tessera: the database is up to date\n"),
        "{err}"
    );
    let tables = schema.tables();
    assert!(tables.iter().any(|t| t == "tessera_users"), "{tables:?}");
    assert!(tables.iter().any(|t| t == "verificationToken"), "{tables:?}");
}

/// `tessera serve` as a container runs it: from the environment, JSON logs, stopped by
/// SIGTERM with exit status 0.
#[test]
#[cfg(unix)]
fn serve_runs_from_the_environment_and_stops_on_sigterm() {
    use std::io::{Read, Write};
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("tessera-cli-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .arg("serve")
        .current_dir(&dir)
        .env_clear()
        .env("PORT", port.to_string())
        .env("NEXTAUTH_SECRET", "0123456789abcdef-cli-serve")
        .env("NEXTAUTH_URL", format!("http://localhost:{port}"))
        .env("TESSERA_LOG_FORMAT", "json")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut answer = String::new();
    for _ in 0..200 {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            write!(
                stream,
                "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            stream.read_to_string(&mut answer).unwrap();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with(r#"{"status":"ok"}"#), "{answer}");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let logs = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{logs}");
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["message"] == "tessera serve: listening"),
        "{logs}"
    );
    assert_eq!(lines.last().unwrap()["message"], "tessera serve: stopped", "{logs}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn serve_refuses_a_bad_file_before_anything_starts() {
    let dir = std::env::temp_dir().join(format!("tessera-cli-badconf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("tessera.toml");
    std::fs::write(
        &file,
        "url = \"https://app.example.com\"\n\n[sesion]\nstrategy = \"jwt\"\n",
    )
    .unwrap();
    let (code, out, err) = tessera(&["serve", "--config", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("tessera.toml:3: sesion: unknown field `sesion`"), "{err}");
    let (code, _, err) = tessera(&["serve", "--config", dir.join("missing.toml").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.toml: cannot read"), "{err}");
    let (code, _, err) = tessera(&["serve", "--port", "3000"]);
    assert_eq!(code, 2);
    assert!(err.contains("unexpected arguments: --port 3000"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn doctor_exits_1_when_something_must_be_fixed() {
    let run = |vars: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
        command.args(["doctor", "--config", "/dev/null"]).env_clear();
        for (k, v) in vars {
            command.env(k, v);
        }
        let out = command.output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let good = [
        ("NEXTAUTH_SECRET", "kP3v9Qx7Lm2Zt8Rw5Ys1Nb6Hc4Jd0Fg+AeUoIiEe="),
        ("NEXTAUTH_URL", "https://app.example.com"),
        ("AUTH_GITHUB_ID", "id"),
        ("AUTH_GITHUB_SECRET", "secret"),
        ("AUTH_TRUSTED_PROXIES", "127.0.0.1"),
    ];
    let (code, out) = run(&good);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.ends_with("0 error(s), 0 warning(s)\n"), "{out}");
    let (code, out) = run(&[
        good[0],
        ("NEXTAUTH_URL", "http://app.example.com"),
        good[2],
        good[3],
        good[4],
    ]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("ERROR    url: http://app.example.com/ is http, not https"),
        "{out}"
    );
    assert!(out.contains("fix: serve the site over https"), "{out}");
    let (code, _) = run(&[("PORT", "x")]);
    assert_eq!(code, Some(2), "a configuration that cannot be read");
}
