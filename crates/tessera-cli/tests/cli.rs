//! The `tessera` binary, run as a user would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use tessera::Compat;

use tessera::jwt::JweCodec;
use tessera::{Secret, Token, User};

fn tessera(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .env_remove("NEXTAUTH_SECRET")
        .env_remove("AUTH_SECRET")
        .env_remove("DATABASE_URL")
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
    ];
    let (code, out) = run(&good);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.ends_with("0 error(s), 0 warning(s)\n"), "{out}");
    let (code, out) = run(&[good[0], ("NEXTAUTH_URL", "http://app.example.com"), good[2], good[3]]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("ERROR    url: http://app.example.com/ is http, not https"),
        "{out}"
    );
    assert!(out.contains("fix: serve the site over https"), "{out}");
    let (code, _) = run(&[("PORT", "x")]);
    assert_eq!(code, Some(2), "a configuration that cannot be read");
}
