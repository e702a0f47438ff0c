//! Two demo processes with JWT sessions sharing revocations through Redis (`REDIS_URL`): a
//! sign-out on one ends the session on the other, a kept copy of the cookie included,
//! within 200 ms. The Redis is a `redis-server` of the test's own, on a free port.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../crates/tessera/tests/it/common/service.rs"]
mod service;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process, killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start on port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
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

fn start_demo(port: u16, redis_port: u16) -> Process {
    let child = Command::new(env!("CARGO_BIN_EXE_demo"))
        .env("PORT", port.to_string())
        .env("NEXTAUTH_URL", format!("http://localhost:{port}"))
        .env("NEXTAUTH_SECRET", "a secret shared by both demo processes")
        .env("DATABASE_URL", "sqlite::memory:")
        .env("DEMO_SESSION_STRATEGY", "jwt")
        .env("REDIS_URL", format!("redis://127.0.0.1:{redis_port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the demo");
    let demo = Process(child);
    wait_for(port, "the demo");
    demo
}

fn cookie_value(cookies: &[String], name: &str) -> Option<String> {
    cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")).map(str::to_owned))
}

#[test]
fn sign_out_on_one_process_ends_the_jwt_session_on_the_other() {
    let redis_port = free_port();
    let redis = Command::new("redis-server")
        .args([
            "--port",
            &redis_port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .spawn();
    let _redis = match redis {
        Ok(child) => Process(child),
        Err(e) => {
            service::unavailable(
                "redis-server (two demo processes sharing revocations)",
                &format!("cannot start it ({e})"),
                "Install Debian's redis-server.",
            );
            return;
        }
    };
    wait_for(redis_port, "redis-server");
    let (pa, pb) = (free_port(), free_port());
    let _a = start_demo(pa, redis_port);
    let _b = start_demo(pb, redis_port);

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
    assert!(session.len() > 100, "a JWT session cookie");

    // Valid on B.
    let cookie = format!("{jar}; next-auth.session-token={session}");
    let r = http(pb, "GET", "/api/auth/session", &cookie, None);
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["user"]["email"], "demo@example.com", "{}", r.body);

    // Sign out on A: this copy of the cookie is refused on B within 200 ms.
    let since = Instant::now();
    let r = http(
        pa,
        "POST",
        "/api/auth/signout",
        &cookie,
        Some(&format!("csrfToken={token}&json=true")),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    loop {
        let r = http(pb, "GET", "/api/auth/session", &cookie, None);
        if r.body == "{}" {
            break;
        }
        assert!(
            since.elapsed() < Duration::from_millis(200),
            "still signed in on B after {:?}",
            since.elapsed()
        );
    }
    let latency = since.elapsed();
    let _ = writeln!(
        std::io::stderr().lock(),
        "demo: sign-out on process A reached process B in {latency:?} (HTTP round trips included)"
    );
}
