//! `AUTH_COMPAT` read through `AuthBuilder::from_env()`: the demo speaks Auth.js v5 with
//! `v5`, and refuses to start, saying why, with anything but `v4` or `v5`.

use std::process::{Command, Stdio};

use crate::common::{free_port, http, start_demo};

#[test]
fn auth_compat_v5_switches_the_demo_to_auth_js_v5() {
    let port = free_port();
    let env = [
        ("AUTH_COMPAT", "v5".to_owned()),
        ("DATABASE_URL", "sqlite::memory:".to_owned()),
    ];
    let _demo = start_demo(port, &env);
    let r = http(port, "GET", "/api/auth/session", "", None);
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, "null"),
        "v5 answers null for no session"
    );
    assert!(
        r.cookies.iter().any(|c| c.starts_with("authjs.csrf-token=")),
        "{:?}",
        r.cookies
    );
}

#[test]
fn an_unknown_auth_compat_stops_the_demo_with_the_reason() {
    let output = Command::new(env!("CARGO_BIN_EXE_demo"))
        .env("PORT", free_port().to_string())
        .env("NEXTAUTH_SECRET", "a secret shared by both demo processes")
        .env("DATABASE_URL", "sqlite::memory:")
        .env("AUTH_COMPAT", "v6")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run the demo");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            r#"configuration error: invalid AUTH_COMPAT "v6": use v4 (next-auth 4, the default) or v5 (Auth.js v5, next-auth 5)"#
        ),
        "{stderr}"
    );
}
