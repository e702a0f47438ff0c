//! Demo processes on free ports, and a minimal HTTP/1.1 client for them.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../../../../crates/tessera/tests/it/common/service.rs"]
pub(crate) mod service;

/// A child process, killed when dropped.
pub(crate) struct Process(pub(crate) Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until something listens on `port`.
pub(crate) fn wait_for(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start on port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts the demo on `port` with the secret every process of a test shares, and `env`.
pub(crate) fn start_demo(port: u16, env: &[(&str, String)]) -> Process {
    let mut command = Command::new(env!("CARGO_BIN_EXE_demo"));
    command
        .env("PORT", port.to_string())
        .env("NEXTAUTH_URL", format!("http://localhost:{port}"))
        .env("NEXTAUTH_SECRET", "a secret shared by both demo processes")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (name, value) in env {
        command.env(name, value);
    }
    let demo = Process(command.spawn().expect("start the demo"));
    wait_for(port, "the demo");
    demo
}

pub(crate) struct Reply {
    pub(crate) status: u16,
    /// Every header line, as `(name, value)`.
    pub(crate) headers: Vec<(String, String)>,
    /// Each Set-Cookie's `name=value`.
    pub(crate) cookies: Vec<String>,
    pub(crate) body: String,
}

impl Reply {
    /// The first header called `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether it clears the session cookie (`next-auth.session-token=` with no value).
    pub(crate) fn clears_session(&self) -> bool {
        self.cookies.iter().any(|c| c == "next-auth.session-token=")
    }
}

pub(crate) fn http(port: u16, method: &str, path: &str, cookie: &str, form: Option<&str>) -> Reply {
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
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
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
        headers,
        cookies,
        body: body.to_owned(),
    }
}

pub(crate) fn cookie_value(cookies: &[String], name: &str) -> Option<String> {
    cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")).map(str::to_owned))
}

/// A signed-in browser: its cookie header (CSRF and session) and its CSRF token.
pub(crate) struct SignedIn {
    pub(crate) cookie: String,
    pub(crate) csrf_token: String,
    /// The session cookie's value.
    pub(crate) session: String,
}

/// Signs in as demo/demo through the credentials provider of the demo on `port`.
pub(crate) fn sign_in(port: u16) -> SignedIn {
    let r = http(port, "GET", "/api/auth/csrf", "", None);
    let csrf_cookie = cookie_value(&r.cookies, "next-auth.csrf-token").unwrap();
    let csrf: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let token = csrf["csrfToken"].as_str().unwrap().to_owned();
    let jar = format!("next-auth.csrf-token={csrf_cookie}");
    let form = format!("username=demo&password=demo&csrfToken={token}&json=true");
    let r = http(port, "POST", "/api/auth/callback/credentials", &jar, Some(&form));
    assert_eq!(r.status, 200, "{}", r.body);
    let session = cookie_value(&r.cookies, "next-auth.session-token").expect("session cookie");
    SignedIn {
        cookie: format!("{jar}; next-auth.session-token={session}"),
        csrf_token: token,
        session,
    }
}

/// Asserts that `port` sees the demo user signed in with `cookie`.
pub(crate) fn assert_signed_in(port: u16, cookie: &str) {
    let r = http(port, "GET", "/api/auth/session", cookie, None);
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["user"]["email"], "demo@example.com", "{}", r.body);
}

/// Signs out on `port`.
pub(crate) fn sign_out(port: u16, browser: &SignedIn) {
    let form = format!("csrfToken={}&json=true", browser.csrf_token);
    let r = http(port, "POST", "/api/auth/signout", &browser.cookie, Some(&form));
    assert_eq!(r.status, 200, "{}", r.body);
}
