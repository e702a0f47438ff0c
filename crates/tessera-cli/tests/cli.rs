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
