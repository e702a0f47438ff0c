//! Test support: the real demo server in a child process, and a transport that records
//! (and can alter or delay) the requests of a client.

#[path = "../../../../tessera/tests/it/common/service.rs"]
mod service;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tessera_client::{BoxFuture, Client, ClientError, HttpRequest, HttpResponse, Method, ReqwestTransport, Transport};

/// One rustls crypto provider, installed explicitly (reqwest is built without one).
pub(crate) fn init() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn demo_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TESSERA_DEMO_BIN") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target
        .join("debug")
        .join(if cfg!(windows) { "demo.exe" } else { "demo" })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The demo server, killed on drop.
pub(crate) struct Demo {
    child: Option<Child>,
    pub port: u16,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        self.stop();
    }
}

fn health(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req = format!("GET /health HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.starts_with("HTTP/1.1 200")
}

impl Demo {
    /// Starts the demo (credentials demo/demo, email with the dev mailer, database
    /// sessions in an in-memory SQLite). `None` (after saying so) when the binary is
    /// missing and `CI` is not `true`.
    pub(crate) fn start() -> Option<Demo> {
        init();
        let binary = demo_binary();
        if !binary.exists() {
            let msg = format!("the demo binary {} is missing", binary.display());
            service::unavailable(
                "the demo server (the client's end-to-end tests)",
                &msg,
                "Run `cargo build -p demo` first, or set TESSERA_DEMO_BIN to a demo binary.",
            );
            return None;
        }
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port();
            let mut child = Command::new(&binary)
                .env("PORT", port.to_string())
                .env("NEXTAUTH_URL", format!("http://localhost:{port}"))
                .env("NEXTAUTH_SECRET", "tessera-client-tests-0123456789abcdef")
                .env("DATABASE_URL", "sqlite::memory:")
                .env("RUST_LOG", "warn")
                .env_remove("EMAIL_SERVER")
                .env_remove("DEMO_SESSION_STRATEGY")
                .env_remove("DEMO_USERNAME")
                .env_remove("DEMO_PASSWORD")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
            let stderr = Arc::new(Mutex::new(Vec::new()));
            let pipe = child.stderr.take().unwrap();
            let sink = stderr.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    sink.lock().unwrap().push(line);
                }
            });
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                if health(port) {
                    return Some(Demo {
                        child: Some(child),
                        port,
                        stderr,
                    });
                }
                if let Ok(Some(status)) = child.try_wait() {
                    last_error = format!("the demo exited with {status}: {:?}", stderr.lock().unwrap());
                    break;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_error = "the demo did not answer GET /health within 30 s".into();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("{last_error}");
    }

    /// `http://localhost:<port>`
    pub(crate) fn url(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    /// `http://localhost:<port>/api/auth`
    pub(crate) fn api(&self) -> String {
        format!("{}/api/auth", self.url())
    }

    /// A new "browser" for this demo, with its requests recorded.
    pub(crate) fn client(&self) -> (Client, Recorder) {
        let recorder = Recorder::new();
        let client = Client::with_transport(&self.url(), recorder.clone()).unwrap();
        (client, recorder)
    }

    /// Kills the server (to simulate a network failure).
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits for the dev mailer's link for `email`.
    pub(crate) fn magic_link(&self, email: &str) -> String {
        let prefix = format!("tessera dev mailer: sign-in link for {email}: ");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(link) = self
                .stderr
                .lock()
                .unwrap()
                .iter()
                .rev()
                .find_map(|l| l.strip_prefix(&prefix).map(str::to_owned))
            {
                return link;
            }
            assert!(
                Instant::now() < deadline,
                "no sign-in link for {email} on the demo's stderr"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

type Tamper = Box<dyn Fn(&mut HttpRequest) + Send + Sync>;

struct RecorderInner {
    http: ReqwestTransport,
    log: Mutex<Vec<HttpRequest>>,
    tamper: Mutex<Option<Tamper>>,
    /// Delay the answer of the next `GET …/session` by this much.
    delay_next_session: Mutex<Option<Duration>>,
}

/// A reqwest transport (with its own cookie store) that records every request, and can
/// alter requests or delay an answer.
#[derive(Clone)]
pub(crate) struct Recorder(Arc<RecorderInner>);

impl Recorder {
    pub(crate) fn new() -> Self {
        init();
        Recorder(Arc::new(RecorderInner {
            http: ReqwestTransport::new().unwrap(),
            log: Mutex::new(Vec::new()),
            tamper: Mutex::new(None),
            delay_next_session: Mutex::new(None),
        }))
    }

    /// Every request so far.
    pub(crate) fn requests(&self) -> Vec<HttpRequest> {
        self.0.log.lock().unwrap().clone()
    }

    /// How many requests had this method and a URL path ending in `suffix`.
    pub(crate) fn count(&self, method: Method, suffix: &str) -> usize {
        self.0
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.method == method && r.url.split('?').next().unwrap().ends_with(suffix))
            .count()
    }

    /// `GET …/session` requests so far.
    pub(crate) fn session_gets(&self) -> usize {
        self.count(Method::Get, "/session")
    }

    pub(crate) fn clear(&self) {
        self.0.log.lock().unwrap().clear();
    }

    pub(crate) fn tamper(&self, f: impl Fn(&mut HttpRequest) + Send + Sync + 'static) {
        *self.0.tamper.lock().unwrap() = Some(Box::new(f));
    }

    pub(crate) fn delay_next_session(&self, delay: Duration) {
        *self.0.delay_next_session.lock().unwrap() = Some(delay);
    }
}

impl Transport for Recorder {
    fn send(&self, mut request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, ClientError>> {
        if let Some(tamper) = self.0.tamper.lock().unwrap().as_ref() {
            tamper(&mut request);
        }
        self.0.log.lock().unwrap().push(request.clone());
        let delay = if request.method == Method::Get && request.url.ends_with("/session") {
            self.0.delay_next_session.lock().unwrap().take()
        } else {
            None
        };
        Box::pin(async move {
            let response = self.0.http.send(request).await;
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            response
        })
    }
}

/// Waits until `check` holds (or panics after `timeout`).
pub(crate) async fn eventually(what: &str, timeout: Duration, check: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + timeout;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A port with nothing listening.
pub(crate) fn closed_port() -> u16 {
    free_port()
}

/// Starts the demo or returns from the test (a failure under `CI=true`, else a loud skip).
macro_rules! demo_or_skip {
    () => {
        match $crate::common::Demo::start() {
            Some(demo) => demo,
            None => return,
        }
    };
}
