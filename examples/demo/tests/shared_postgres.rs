//! Two demo processes sharing one PostgreSQL database: a session made on one is valid on
//! the other, and signing out on one ends it on the other.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../crates/tessera/tests/it/common/service.rs"]
mod service;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PG: &str = "127.0.0.1:5432";

struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Reply {
    status: u16,
    cookies: Vec<String>,
    body: String,
}

fn http(port: u16, method: &str, path: &str, cookie: &str, form: Option<&str>) -> Reply {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let body = form.unwrap_or("");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n");
    if !cookie.is_empty() {
        req.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if form.is_some() {
        req.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let cookies = head
        .lines()
        .filter_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .map(|c| c.split(';').next().unwrap().to_owned())
        .collect();
    Reply {
        status,
        cookies,
        body: body.to_owned(),
    }
}

fn start(port: u16) -> Demo {
    let child = Command::new(env!("CARGO_BIN_EXE_demo"))
        .env("PORT", port.to_string())
        .env("NEXTAUTH_URL", format!("http://localhost:{port}"))
        .env("NEXTAUTH_SECRET", "a secret shared by both demo processes")
        .env("DATABASE_URL", format!("postgres://postgres@{PG}/test"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the demo");
    let demo = Demo(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the demo did not start on port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    demo
}

fn cookie_value(cookies: &[String], name: &str) -> Option<String> {
    cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")).map(str::to_owned))
}

#[test]
fn two_processes_share_sessions_through_postgres() {
    if let Err(e) = TcpStream::connect(PG) {
        service::unavailable(
            "PostgreSQL (two demo processes sharing sessions)",
            &format!("nothing answers at {PG} ({e})"),
            "Start PostgreSQL on 127.0.0.1:5432 with a database `test`.",
        );
        return;
    }
    let (pa, pb) = (free_port(), free_port());
    let _a = start(pa);
    let _b = start(pb);

    // Sign in on A.
    let r = http(pa, "GET", "/api/auth/csrf", "", None);
    let csrf_cookie = cookie_value(&r.cookies, "next-auth.csrf-token").unwrap();
    let csrf: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let token = csrf["csrfToken"].as_str().unwrap();
    let jar = format!("next-auth.csrf-token={csrf_cookie}");
    let form = format!("username=demo&password=demo&csrfToken={token}&json=true");
    let r = http(pa, "POST", "/api/auth/callback/credentials", &jar, Some(&form));
    assert_eq!(r.status, 200, "{}", r.body);
    let session = cookie_value(&r.cookies, "next-auth.session-token").expect("session cookie");
    assert_eq!(session.len(), 36, "a database session token");

    // Valid on B.
    let cookie = format!("{jar}; next-auth.session-token={session}");
    let r = http(pb, "GET", "/api/auth/session", &cookie, None);
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["user"]["email"], "demo@example.com", "{}", r.body);

    // Sign out on A: gone on B.
    let r = http(
        pa,
        "POST",
        "/api/auth/signout",
        &cookie,
        Some(&format!("csrfToken={token}&json=true")),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = http(pb, "GET", "/api/auth/session", &cookie, None);
    assert_eq!(r.body, "{}");
}
