//! `SmtpMailer` against a real SMTP server (aiosmtpd, started by `tests/smtp-server.sh` on
//! an ephemeral 127.0.0.1 port), driven end to end through Tessera's engine.
//!
//! If the server cannot be started (no Python, aiosmtpd not installable), the tests print a
//! loud SKIP and pass, unless `CI=true`, where they fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../tessera/tests/it/common/service.rs"]
mod service;

#[path = "common/smtp_server.rs"]
mod smtp_server;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, StatusCode};
use serde_json::{Value, json};
use tessera::Auth;
use tessera::adapter::MemoryAdapter;
use tessera::providers::EmailProvider;
use tessera::providers::email::{Mailer, MailerError, VerificationRequest};
use tessera_smtp::{SmtpMailer, SmtpMailerBuilder, Tls};

use smtp_server::SmtpServer;

const ORIGIN: &str = "http://localhost:3000";
const FROM: &str = "Tessera <no-reply@example.com>";

// ---------------------------------------------------------------------------------------
// The SMTP server.

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Plain,
    StartTls,
    Smtps,
}

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    crate_dir().join("tests/fixtures").join(name)
}

/// `smtp-server.sh`'s arguments for `mode` and `auth`.
fn args(mode: Mode, auth: Option<(&str, &str)>) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "--mode".into(),
        match mode {
            Mode::Plain => "plain",
            Mode::StartTls => "starttls",
            Mode::Smtps => "smtps",
        }
        .into(),
    ];
    if mode != Mode::Plain {
        args.extend([
            "--cert".into(),
            fixture("server.pem").into(),
            "--key".into(),
            fixture("server.key").into(),
        ]);
    }
    if let Some((user, password)) = auth {
        args.extend(["--auth".into(), format!("{user}:{password}").into()]);
    }
    args
}

/// Starts a server, or explains loudly why not: a failure under `CI=true`, else a SKIP.
fn start(mode: Mode, auth: Option<(&str, &str)>) -> Option<SmtpServer> {
    SmtpServer::start(args(mode, auth))
}

/// What these tests ask of the server beyond the shared module.
trait Received {
    fn message(&self, n: usize) -> Value;
    fn mailer(&self) -> SmtpMailerBuilder;
}

impl Received for SmtpServer {
    /// Waits (briefly) for the `n`th message.
    fn message(&self, n: usize) -> Value {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let mut all = self.mails();
            if all.len() >= n {
                return all.swap_remove(n - 1);
            }
            assert!(Instant::now() < deadline, "message {n} was not delivered");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn mailer(&self) -> SmtpMailerBuilder {
        SmtpMailer::builder("127.0.0.1")
            .port(self.port)
            .from(FROM)
            .timeout(Duration::from_secs(5))
    }
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

// ---------------------------------------------------------------------------------------
// A tiny browser: a cookie jar over `Auth::handle`.

struct Browser {
    auth: Auth,
    jar: BTreeMap<String, String>,
}

struct Reply {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
    fn location(&self) -> Option<&str> {
        self.headers.get("location").map(|v| v.to_str().unwrap())
    }
}

impl Browser {
    fn new(auth: &Auth) -> Self {
        Browser {
            auth: auth.clone(),
            jar: BTreeMap::new(),
        }
    }

    async fn send(&mut self, mut req: http::request::Builder, body: Bytes) -> Reply {
        if !self.jar.is_empty() {
            let cookie = self
                .jar
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req = req.header("cookie", cookie);
        }
        let (parts, body) = self.auth.handle(req.body(body).unwrap()).await.into_parts();
        for c in parts.headers.get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value.to_owned());
            }
        }
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    async fn get(&mut self, path: &str) -> Reply {
        self.send(Request::get(path), Bytes::new()).await
    }

    /// `POST /api/auth/signin/email` as the sign-in page's form does (with `json=true`).
    async fn request_link(&mut self, email: &str) -> Reply {
        let csrf = self.get("/api/auth/csrf").await.json()["csrfToken"]
            .as_str()
            .unwrap()
            .to_owned();
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("csrfToken", csrf.as_str()),
                ("email", email),
                ("callbackUrl", "/welcome"),
                ("json", "true"),
            ])
            .finish();
        let req = Request::post("/api/auth/signin/email").header("content-type", "application/x-www-form-urlencoded");
        self.send(req, Bytes::from(body)).await
    }
}

fn auth(mailer: impl Mailer) -> Auth {
    Auth::builder()
        .url(ORIGIN)
        .secret("a test secret value")
        .adapter(MemoryAdapter::new())
        .provider(EmailProvider::new(mailer))
        .build()
        .unwrap()
}

fn path_of(link: &str) -> &str {
    link.strip_prefix(ORIGIN).expect("a link to the site")
}

/// The magic link in a plain-text body.
fn link_in(text: &str) -> String {
    text.split_whitespace()
        .find(|w| w.starts_with(&format!("{ORIGIN}/api/auth/callback/email?")))
        .unwrap_or_else(|| panic!("no link in {text:?}"))
        .to_owned()
}

const VERIFY_REQUEST: &str = "http://localhost:3000/api/auth/verify-request?provider=email&type=email";
const VERIFICATION: &str = "http://localhost:3000/api/auth/error?error=Verification";
const EMAIL_SIGNIN: &str = "http://localhost:3000/api/auth/error?error=EmailSignin";

/// A link the mailer was asked to send, and how that went.
type Sent = (String, Result<(), MailerError>);

/// Wraps the SMTP mailer to see the links it was asked to send and what came of it.
#[derive(Clone)]
struct Recording {
    inner: SmtpMailer,
    log: Arc<Mutex<Vec<Sent>>>,
}

impl Recording {
    fn new(inner: SmtpMailer) -> Self {
        Recording {
            inner,
            log: Arc::default(),
        }
    }
    fn last(&self) -> Sent {
        self.log.lock().unwrap().last().expect("a send").clone()
    }
}

#[tessera::async_trait]
impl Mailer for Recording {
    async fn send(&self, request: VerificationRequest<'_>) -> Result<(), MailerError> {
        let url = request.url.to_owned();
        let result = self.inner.send(request).await;
        self.log.lock().unwrap().push((url, result.clone()));
        result
    }
}

// ---------------------------------------------------------------------------------------
// The tests.

#[tokio::test]
async fn magic_link_end_to_end_over_real_smtp() {
    let Some(server) = start(Mode::Plain, None) else {
        return;
    };
    let mailer = server.mailer().tls(Tls::None).build().unwrap();
    let auth = auth(mailer);

    let mut b = Browser::new(&auth);
    let r = b.request_link("Bob@Example.com").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({ "url": VERIFY_REQUEST }));

    let m = server.message(1);
    assert_eq!(m["mail_from"], "no-reply@example.com");
    assert_eq!(m["rcpt_tos"], json!(["bob@example.com"]));
    assert_eq!(m["tls"], false);
    assert_eq!(m["headers"]["to"], "bob@example.com");
    assert_eq!(m["headers"]["from"], FROM);
    assert_eq!(m["headers"]["subject"], "Sign in to localhost:3000");
    assert!(m["headers"]["message-id"].as_str().unwrap().ends_with("@example.com>"));
    assert!(m["headers"]["date"].is_string());
    assert_eq!(m["content_type"], "multipart/alternative");
    // The wire has CRLF line ends; the bodies were written with LF.
    let text = m["text"].as_str().expect("a text/plain part").replace("\r\n", "\n");
    let html = m["html"].as_str().expect("a text/html part").replace("\r\n", "\n");
    assert!(text.starts_with("Sign in to localhost:3000\n"), "{text:?}");
    let link = link_in(&text);
    assert!(
        link.starts_with(
            "http://localhost:3000/api/auth/callback/email?callbackUrl=http%3A%2F%2Flocalhost%3A3000%2Fwelcome&token="
        ),
        "{link}"
    );
    assert!(link.ends_with("&email=bob%40example.com"), "{link}");
    assert!(
        html.contains(&format!(r#"href="{}""#, link.replace('&', "&amp;"))),
        "the HTML part links to the same URL: {html}"
    );
    assert!(html.contains("Sign in to <strong>localhost:3000</strong>"), "{html}");

    // Following the link signs in and lands on the callback URL.
    let mut fresh = Browser::new(&auth);
    let r = fresh.get(path_of(&link)).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("http://localhost:3000/welcome"));
    assert!(fresh.jar.contains_key("next-auth.session-token"), "{:?}", fresh.jar);
    let session = fresh.get("/api/auth/session").await.json();
    assert_eq!(session["user"]["email"], "bob@example.com");

    // The link works once.
    let r = Browser::new(&auth).get(path_of(&link)).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some(VERIFICATION));

    // A link for A used with B's address fails, and does not use up A's link.
    b.request_link("alice@example.com").await;
    let m = server.message(2);
    assert_eq!(m["rcpt_tos"], json!(["alice@example.com"]));
    let link_a = link_in(m["text"].as_str().unwrap());
    let as_b = link_a.replace("email=alice%40example.com", "email=bob%40example.com");
    assert_ne!(as_b, link_a);
    assert_eq!(
        Browser::new(&auth).get(path_of(&as_b)).await.location(),
        Some(VERIFICATION)
    );
    let mut alice = Browser::new(&auth);
    let r = alice.get(path_of(&link_a)).await;
    assert_eq!(r.location(), Some("http://localhost:3000/welcome"));
    assert_eq!(
        alice.get("/api/auth/session").await.json()["user"]["email"],
        "alice@example.com"
    );
    assert_eq!(server.mails().len(), 2);
}

#[tokio::test]
async fn a_send_failure_is_email_signin_and_leaves_no_usable_token() {
    // No server needed: nothing listens on the port.
    let port = closed_port();
    let mailer = SmtpMailer::builder("127.0.0.1")
        .port(port)
        .tls(Tls::None)
        .credentials("user", "closed-port-password")
        .from(FROM)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let started = Instant::now();
    assert!(mailer.check_connection().await.is_err());
    let recording = Recording::new(mailer);
    let auth = auth(recording.clone());
    let mut b = Browser::new(&auth);
    let r = b.request_link("bob@example.com").await;
    assert_eq!(r.json(), json!({ "url": EMAIL_SIGNIN }));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a refused connection fails fast"
    );

    let (link, result) = recording.last();
    let err = result.unwrap_err().to_string();
    assert!(err.contains(&format!("SMTP 127.0.0.1:{port}")), "{err}");
    assert!(!err.contains("closed-port-password"), "{err}");
    // The token in the unsent link was deleted.
    let r = Browser::new(&auth).get(path_of(&link)).await;
    assert_eq!(r.location(), Some(VERIFICATION));
}

#[tokio::test]
async fn starttls_with_credentials() {
    let Some(server) = start(Mode::StartTls, Some(("mailer", "correct horse"))) else {
        return;
    };
    let ca = std::fs::read(fixture("ca.pem")).unwrap();
    let mailer = server
        .mailer()
        .tls(Tls::StartTls)
        .add_root_certificate(ca.clone())
        .credentials("mailer", "correct horse")
        .build()
        .unwrap();
    mailer.check_connection().await.unwrap();
    let mut b = Browser::new(&auth(mailer));
    assert_eq!(
        b.request_link("bob@example.com").await.json(),
        json!({ "url": VERIFY_REQUEST })
    );
    let m = server.message(1);
    assert_eq!(m["tls"], true);
    assert_eq!(m["auth_user"], "mailer");
    assert_eq!(m["rcpt_tos"], json!(["bob@example.com"]));

    // A wrong password: EmailSignin, and the error does not repeat it.
    let wrong = Recording::new(
        server
            .mailer()
            .add_root_certificate(ca)
            .credentials("mailer", "wrong battery staple")
            .build()
            .unwrap(),
    );
    let mut b = Browser::new(&auth(wrong.clone()));
    assert_eq!(
        b.request_link("bob@example.com").await.json(),
        json!({ "url": EMAIL_SIGNIN })
    );
    let err = wrong.last().1.unwrap_err().to_string();
    assert!(err.contains("535"), "{err}");
    assert!(!err.contains("battery"), "{err}");
    assert_eq!(server.mails().len(), 1);
}

#[tokio::test]
async fn tls_wrapper_with_credentials() {
    let Some(server) = start(Mode::Smtps, Some(("mailer", "p@ss:w0rd"))) else {
        return;
    };
    let url = format!("smtps://mailer:p%40ss%3Aw0rd@127.0.0.1:{}", server.port);
    let mailer = SmtpMailer::from_url(&url)
        .unwrap()
        .add_root_certificate(std::fs::read(fixture("ca.pem")).unwrap())
        .from(FROM)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    assert_eq!(mailer.tls(), Tls::Wrapper);
    let mut b = Browser::new(&auth(mailer));
    assert_eq!(
        b.request_link("bob@example.com").await.json(),
        json!({ "url": VERIFY_REQUEST })
    );
    let m = server.message(1);
    assert_eq!(m["tls"], true);
    assert_eq!(m["auth_user"], "mailer");
}

#[tokio::test]
async fn starttls_never_falls_back_to_plain_text() {
    // The server offers no STARTTLS: with Tls::StartTls nothing may be sent.
    let Some(server) = start(Mode::Plain, None) else {
        return;
    };
    let recording = Recording::new(server.mailer().tls(Tls::StartTls).build().unwrap());
    let mut b = Browser::new(&auth(recording.clone()));
    assert_eq!(
        b.request_link("bob@example.com").await.json(),
        json!({ "url": EMAIL_SIGNIN })
    );
    let err = recording.last().1.unwrap_err().to_string();
    assert!(err.to_lowercase().contains("starttls"), "{err}");
    assert!(server.mails().is_empty());
}

#[tokio::test]
async fn untrusted_certificates_are_refused() {
    let Some(server) = start(Mode::StartTls, None) else {
        return;
    };
    // The test CA is not added: the server's certificate must not be accepted.
    let recording = Recording::new(server.mailer().build().unwrap());
    let mut b = Browser::new(&auth(recording.clone()));
    assert_eq!(
        b.request_link("bob@example.com").await.json(),
        json!({ "url": EMAIL_SIGNIN })
    );
    let err = recording.last().1.unwrap_err().to_string();
    assert!(err.contains("tls") || err.contains("certificate"), "{err}");
    assert!(server.mails().is_empty());
}

#[tokio::test]
async fn check_connection_against_the_server() {
    let Some(server) = start(Mode::Plain, None) else {
        return;
    };
    let mailer = server.mailer().tls(Tls::None).build().unwrap();
    mailer.check_connection().await.unwrap();
    assert!(server.mails().is_empty());
}
