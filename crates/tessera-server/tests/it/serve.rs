//! The server on a real socket: from the environment alone, on PostgreSQL, refusing a
//! database whose tables are not what the file says, and stopping gracefully.

use std::time::{Duration, SystemTime};

use tessera::adapter::{AdapterSession, NewUser};
use tessera_server::{Config, StartError};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::pg_schema::schema_with;

const SECRET: &str = "0123456789abcdef-serve-test";

/// A server started by [`start`]; stopped (gracefully) by [`Running::stop`].
struct Running {
    base: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), StartError>>,
}

impl Running {
    async fn get(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut request = client().get(format!("{}{path}", self.base));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.expect("the server answers")
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let result = tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the server stops within 10 s");
        result.expect("the server task").expect("the server ran cleanly");
    }
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Runs `file` with the environment `vars` (plus `PORT`, and `NEXTAUTH_URL` unless given)
/// until it answers `/healthz`.
async fn start(file: &str, vars: &[(&str, &str)]) -> Running {
    let port = free_port();
    let mut vars: Vec<(String, String)> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    vars.push(("PORT".into(), port.to_string()));
    if !vars.iter().any(|(k, _)| k == "NEXTAUTH_URL") {
        vars.push(("NEXTAUTH_URL".into(), format!("http://localhost:{port}")));
    }
    let env = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let config = Config::parse(file, "test.toml", &env).expect("a valid configuration");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(tessera_server::serve_until(config, async {
        let _ = stopped.await;
    }));
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if let Ok(r) = client().get(format!("{base}/healthz")).send().await {
            assert_eq!(r.status(), 200);
            assert_eq!(r.text().await.unwrap(), r#"{"status":"ok"}"#);
            return Running { base, stop, task };
        }
        assert!(!task.is_finished(), "the server stopped: {:?}", task.await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not answer /healthz within 10 s");
}

fn set_cookie_names(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split('=').next().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn from_the_environment_alone_it_speaks_next_auth_4_and_5() {
    let vars = [
        ("NEXTAUTH_SECRET", SECRET),
        ("AUTH_GITHUB_ID", "gh-id"),
        ("AUTH_GITHUB_SECRET", "gh-secret"),
    ];
    let server = start("", &vars).await;
    let providers: serde_json::Value = server.get("/api/auth/providers", None).await.json().await.unwrap();
    assert_eq!(providers["github"]["type"], "oauth");
    assert!(
        providers["github"]["signinUrl"]
            .as_str()
            .unwrap()
            .ends_with("/api/auth/signin/github")
    );
    let csrf = server.get("/api/auth/csrf", None).await;
    assert_eq!(
        set_cookie_names(&csrf),
        ["next-auth.csrf-token", "next-auth.callback-url"]
    );
    assert_eq!(server.get("/api/auth/session", None).await.text().await.unwrap(), "{}");
    server.stop().await;

    let v5 = [("AUTH_SECRET", SECRET), ("AUTH_COMPAT", "v5")];
    let server = start("", &v5).await;
    assert_eq!(
        server.get("/api/auth/session", None).await.text().await.unwrap(),
        "null"
    );
    let csrf = server.get("/api/auth/csrf", None).await;
    assert_eq!(set_cookie_names(&csrf), ["authjs.csrf-token", "authjs.callback-url"]);
    server.stop().await;
}

#[tokio::test]
async fn database_sessions_on_postgres_are_read_by_the_server() {
    let Some(schema) = schema_with("").await else { return };
    let file = format!("[database]\nurl = \"{}\"\n", schema.url());
    let server = start(&file, &[("NEXTAUTH_SECRET", SECRET)]).await;

    // A session as the app (or next-auth) left it in the database.
    let db = tessera_sqlx::connect(&schema.url()).await.unwrap();
    let user = db
        .create_user(NewUser {
            name: Some("Ada".into()),
            email: Some("ada@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let token = format!("serve-test-{}", uuid::Uuid::new_v4());
    db.create_session(AdapterSession {
        session_token: token.clone(),
        user_id: user.id.clone(),
        expires: SystemTime::now() + Duration::from_secs(3600),
    })
    .await
    .unwrap();

    let cookie = format!("next-auth.session-token={token}");
    let session: serde_json::Value = server
        .get("/api/auth/session", Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(session["user"]["email"], "ada@example.com", "{session}");
    assert_eq!(session["user"]["name"], "Ada");
    let forged: serde_json::Value = server
        .get("/api/auth/session", Some("next-auth.session-token=not-a-session"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(forged, serde_json::json!({}));
    server.stop().await;
}

#[tokio::test]
async fn tables_that_are_not_what_the_file_says_are_refused_and_nothing_is_written() {
    let Some(schema) = schema_with("").await else { return };
    let file = format!("[database]\nurl = \"{}\"\nschema = \"pg-adapter\"\n", schema.url());
    let env = |name: &str| (name == "NEXTAUTH_SECRET").then(|| SECRET.to_owned());
    let config = Config::parse(&file, "test.toml", &env).unwrap();
    let error = tessera_server::serve_until(config, std::future::pending())
        .await
        .unwrap_err();
    assert!(matches!(error, StartError::Database(_)), "{error:?}");
    assert!(error.to_string().contains("users"), "{error}");

    assert_eq!(
        tables_in(&schema).await,
        0,
        "nothing may be created in the app's database"
    );
}

/// How many tables the test's schema holds.
pub(crate) async fn tables_in(schema: &crate::pg_schema::PgSchema) -> i64 {
    let mut conn = schema.conn().await;
    tessera_sqlx::sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn requests_in_flight_finish_and_then_it_stops() {
    use crate::hook_server::{HOOK_SECRET, HookServer, SLOW};

    // A sign-in whose `authorize` hook takes SLOW to answer is in flight when the stop comes.
    let hooks = HookServer::start().await;
    let file = format!(
        "[[providers]]\nid = \"credentials\"\ntype = \"credentials\"\n\n[hooks]\nsecret = \"{HOOK_SECRET}\"\nauthorize = \"{}\"\n",
        hooks.url("/authorize/slow")
    );
    let server = start(&file, &[("NEXTAUTH_SECRET", SECRET)]).await;
    let base = server.base.clone();
    let csrf = server.get("/api/auth/csrf", None).await;
    let cookie = csrf
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("; ");
    let token = csrf.json::<serde_json::Value>().await.unwrap()["csrfToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let origin = server.base.replace("127.0.0.1", "localhost");
    let sign_in = tokio::spawn(
        client()
            .post(format!("{base}/api/auth/callback/credentials"))
            .header("cookie", cookie)
            .header("origin", origin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs([
                        ("username", "alice"),
                        ("password", "pw"),
                        ("csrfToken", &token),
                        ("json", "true"),
                    ])
                    .finish(),
            )
            .send(),
    );
    tokio::time::sleep(SLOW / 4).await;
    let stopping = std::time::Instant::now();
    server.stop().await;
    let answer = sign_in.await.unwrap().expect("the request in flight is answered");
    assert_eq!(answer.status(), 200, "{:?}", answer.text().await);
    assert!(
        stopping.elapsed() >= SLOW / 2,
        "the stop waited for the request in flight"
    );
    assert!(
        client().get(format!("{base}/healthz")).send().await.is_err(),
        "nothing listens after the stop"
    );
}

/// The file's credentials provider, `[hooks]` and `[session] update`, wired as
/// `tessera serve` wires them: a password checked by the app's `authorize` hook, and a
/// `name` that `update()` may change.
#[tokio::test]
async fn the_files_credentials_provider_signs_in_through_the_authorize_hook() {
    use crate::harness::{sign_in, signed_in, update};
    use crate::hook_server::{HOOK_SECRET, HookServer};

    let hooks = HookServer::start().await;
    let file = format!(
        r#"
[session]
strategy = "jwt"
update = {{ name = 8 }}

[[providers]]
id = "credentials"
type = "credentials"
name = "Password"

[hooks]
secret = "{HOOK_SECRET}"
authorize = "{}"
"#,
        hooks.url("/authorize")
    );
    let env = |name: &str| match name {
        "NEXTAUTH_SECRET" => Some(SECRET.to_owned()),
        "NEXTAUTH_URL" => Some("http://localhost:3000".to_owned()),
        _ => None,
    };
    let config = Config::parse(&file, "test.toml", &env).unwrap();
    let app = tessera_server::App::start(&config).await.unwrap();
    let mut browser = crate::browser::Browser::new(app.auth().clone());

    let wrong = sign_in(&mut browser, "alice", "guess").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.text().contains("error=CredentialsSignin"), "{}", wrong.text());
    assert!(!signed_in(&browser));

    let right = sign_in(&mut browser, "alice", "pw").await;
    assert_eq!(right.status, 200, "{}", right.text());
    assert!(signed_in(&browser));
    let session: serde_json::Value = serde_json::from_str(browser.get("/api/auth/session").await.text()).unwrap();
    assert_eq!(session["user"]["email"], "alice@example.com");
    assert!(hooks.received().iter().all(|r| r.verified), "every hook call is signed");

    update(&mut browser, serde_json::json!({"name": "Ada"})).await;
    update(&mut browser, serde_json::json!({"name": "Far too long"})).await;
    let session: serde_json::Value = serde_json::from_str(browser.get("/api/auth/session").await.text()).unwrap();
    assert_eq!(
        session["user"]["name"], "Ada",
        "the 8-character limit of the file holds: {session}"
    );
}

/// The file's password provider, as `tessera serve` runs it: on a real socket, accounts in
/// SQLite (Tessera's tables), mails through the file's email provider to the SMTP test
/// server. An app's Rust client signs up, opens the mailed verification link, signs in,
/// and resets a forgotten password, which ends its session.
#[tokio::test]
async fn the_files_password_provider_signs_up_verifies_and_signs_in() {
    use tessera_client::{Client, PasswordReset, SignInOptions, SignUp};

    use crate::mailbox::Mailbox;

    let Some(mailbox) = Mailbox::start() else { return };
    let file = format!(
        r#"
[database]
url = "sqlite::memory:"

[[providers]]
id = "email"
type = "email"
server = "{}"
from = "Tessera <no-reply@example.com>"

[[providers]]
id = "password"
type = "password"
name = "Email and password"
reset_link_max_age = "15m"
"#,
        mailbox.url()
    );
    let server = start(&file, &[("NEXTAUTH_SECRET", SECRET)]).await;
    let origin = server.base.replace("127.0.0.1", "localhost");
    let providers: serde_json::Value = server.get("/api/auth/providers", None).await.json().await.unwrap();
    assert_eq!(providers["password"]["type"], "credentials", "{providers}");
    assert_eq!(providers["password"]["name"], "Email and password");

    let client = Client::new(&origin).unwrap();
    let password = "violet-anvil-sings-42";
    let sign_in = |password: &str| {
        SignInOptions::new()
            .redirect(false)
            .field("email", "ada@example.com")
            .field("password", password)
    };
    client
        .sign_up("password", SignUp::new("ada@example.com", password))
        .await
        .unwrap();
    let early = client.sign_in("password", sign_in(password), &[]).await.unwrap();
    assert_eq!(
        early.result().unwrap().error.as_deref(),
        Some("CredentialsSignin"),
        "sign-in waits for the verification"
    );
    let verify = mailbox.link("ada@example.com", "/api/auth/password/verify?").await;
    assert!(verify.starts_with(&origin), "{verify}");
    let page = client
        .transport()
        .send(tessera_client::HttpRequest {
            method: tessera_client::Method::Get,
            url: verify,
            headers: Vec::new(),
            body: None,
        })
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    let signed_in = client.sign_in("password", sign_in(password), &[]).await.unwrap();
    assert!(signed_in.result().unwrap().ok, "{signed_in:?}");
    let session = client.get_session().await.unwrap().expect("signed in");
    assert_eq!(session.user.unwrap().email.as_deref(), Some("ada@example.com"));

    client.request_password_reset("ada@example.com").await.unwrap();
    let link = mailbox.link("ada@example.com", "/api/auth/password/reset?").await;
    client
        .reset_password(&PasswordReset::from_link(&link).unwrap(), "a-new-long-password-1")
        .await
        .unwrap();
    assert_eq!(client.get_session().await.unwrap(), None);
    let again = client
        .sign_in("password", sign_in("a-new-long-password-1"), &[])
        .await
        .unwrap();
    assert!(again.result().unwrap().ok, "{again:?}");
    server.stop().await;
}
