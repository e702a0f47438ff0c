//! Test support: a demo-like server (the engine behind `tessera-axum`) served in process
//! on a free port, and a transport that records (and can alter or delay) the requests of
//! a client.

#[allow(dead_code)] // the client's tests need only part of the shared outbox
#[path = "../../../../tessera/tests/it/common/outbox.rs"]
mod outbox;

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;
use tessera::adapter::{Adapter, MemoryAdapter, UserUpdate};
use tessera::callbacks::{CallbackError, Callbacks, JwtTrigger, SessionArgs};
use tessera::providers::email::{CodeMode, EmailProvider};
use tessera::providers::{Credentials, CredentialsProvider, PasswordProvider};
use tessera::{Auth, Compat, Session, TwoFactor, User};
use tessera_client::{BoxFuture, Client, ClientError, HttpRequest, HttpResponse, Method, ReqwestTransport, Transport};
use tokio::sync::oneshot;

use outbox::Outbox;

/// One rustls crypto provider, installed explicitly (reqwest is built without one).
pub(crate) fn init() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The longest display name `update()` may set (as in the demo).
const MAX_NAME_CHARS: usize = 64;

/// The demo's callbacks for database sessions: `update({ name })` renames the user when
/// the name has 1 to 64 characters (and is ignored otherwise); the session shows the
/// user's id.
struct Renames(Arc<MemoryAdapter>);

#[tessera::async_trait]
impl Callbacks for Renames {
    async fn session(&self, mut args: SessionArgs<'_>) -> Result<Session, CallbackError> {
        let Some(id) = args.user.map(|u| u.id.clone()) else {
            return Ok(args.session);
        };
        let name = args
            .new_session
            .and_then(|data| data.get("name"))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|name| !name.is_empty() && name.chars().count() <= MAX_NAME_CHARS);
        if args.trigger == Some(JwtTrigger::Update)
            && let Some(name) = name
        {
            let update = UserUpdate {
                id: id.clone(),
                name: Some(Some(name.to_owned())),
                ..Default::default()
            };
            self.0
                .update_user(update)
                .await
                .map_err(|e| CallbackError::new(e.to_string()))?;
            if let Some(user) = args.session.user.as_mut() {
                user.name = Some(name.to_owned());
            }
        }
        if let Some(user) = args.session.user.as_mut() {
            user.extra.insert("id".into(), id.into());
        }
        Ok(args.session)
    }
}

/// What a demo offers beyond credentials and email links.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Features {
    /// Credentials and email links.
    Plain,
    /// The `password` provider too.
    Passwords,
    /// Passwords, two-factor sign-in, and email codes with the links.
    TwoFactor,
}

/// The demo's configuration at `url`: credentials `demo`/`demo` (user "Demo User"), email
/// sign-in into `outbox`, password accounts and two-factor sign-in as `features` say, and
/// database sessions in memory; the protocol of `compat`.
fn demo_auth(url: &str, outbox: Outbox, compat: Compat, features: Features) -> Auth {
    let credentials = CredentialsProvider::new(|c: Credentials| {
        let ok = c.get("username") == Some("demo") && c.get("password") == Some("demo");
        let user = ok.then(|| User::new("1").name("Demo User").email("demo@example.com"));
        async move { Ok(user) }
    })
    .field("username", "Username", "text")
    .field("password", "Password", "password");
    let db = Arc::new(MemoryAdapter::new());
    let mut email = EmailProvider::new(outbox);
    if features == Features::TwoFactor {
        email = email.code(CodeMode::WithLink);
    }
    let mut builder = Auth::builder()
        .url(url)
        .secret("tessera-client-tests-0123456789abcdef")
        .adapter(db.clone())
        .provider(credentials)
        .provider(email);
    if features >= Features::Passwords {
        builder = builder.provider(PasswordProvider::new());
    }
    if features == Features::TwoFactor {
        builder = builder.two_factor(TwoFactor::new().issuer("Client tests"));
    }
    builder
        .callbacks(Renames(db))
        .compat(compat)
        .build()
        .expect("the demo configuration")
}

/// The demo server, in process: the engine behind `tessera-axum` on its own runtime and
/// thread, listening on a free port of 127.0.0.1. Stopped on drop.
pub(crate) struct Demo {
    pub port: u16,
    outbox: Outbox,
    server: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Demo {
    /// Starts the server (it accepts connections when this returns).
    pub(crate) fn start() -> Demo {
        Demo::start_with(Compat::NextAuthV4)
    }

    /// Starts the server speaking `compat` (`AUTH_COMPAT` of the demo).
    pub(crate) fn start_with(compat: Compat) -> Demo {
        Demo::serve(compat, Features::Plain)
    }

    /// Starts the server speaking `compat`, with the `password` provider too (its mails
    /// go to the outbox, as the email provider's do).
    pub(crate) fn start_with_passwords(compat: Compat) -> Demo {
        Demo::serve(compat, Features::Passwords)
    }

    /// Starts the server speaking `compat`, with the `password` provider, two-factor
    /// sign-in, and email codes mailed with the links.
    pub(crate) fn start_with_two_factor(compat: Compat) -> Demo {
        Demo::serve(compat, Features::TwoFactor)
    }

    fn serve(compat: Compat, features: Features) -> Demo {
        init();
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free local port");
        listener.set_nonblocking(true).expect("a non-blocking listener");
        let port = listener.local_addr().expect("the listener's address").port();
        let outbox = Outbox::default();
        let auth = demo_auth(&format!("http://localhost:{port}"), outbox.clone(), compat, features);
        let app = axum::Router::new()
            .route("/", axum::routing::get(|| async { "home" }))
            .route("/health", axum::routing::get(|| async { "ok" }))
            .merge(tessera_axum::routes(&auth))
            .layer(tessera_axum::layer(auth));
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("the server's runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
                let serve = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>());
                tokio::select! {
                    served = serve => served.expect("the demo server"),
                    _ = stopped => {}
                }
            });
            // Dropping the runtime ends every open connection, as a killed process would.
        });
        Demo {
            port,
            outbox,
            server: Some((stop, thread)),
        }
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

    /// Stops the server and closes its connections (to simulate a network failure).
    pub(crate) fn stop(&mut self) {
        if let Some((stop, thread)) = self.server.take() {
            let _ = stop.send(());
            thread.join().expect("the server thread");
        }
    }

    /// The last sign-in link mailed to `email`.
    pub(crate) fn magic_link(&self, email: &str) -> String {
        self.last_link(email)
    }

    /// The link of the last mail to `email` (sign-in, verification, reset).
    pub(crate) fn last_link(&self, email: &str) -> String {
        self.outbox
            .sent()
            .into_iter()
            .rev()
            .find_map(|(to, link)| (to == email).then_some(link))
            .unwrap_or_else(|| panic!("no link was mailed to {email}"))
    }

    /// The one-time code of the last mail (to anyone); panics when it has none.
    pub(crate) fn last_code(&self) -> String {
        self.outbox.last_code()
    }

    /// How many mails were sent.
    pub(crate) fn mails(&self) -> usize {
        self.outbox.count()
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
