//! End to end against a real OpenID Connect provider on loopback: `oidc-provider` from npm
//! (`tests/oidc/server.mjs`), with Tessera's default reqwest client for the back channel
//! (discovery, JWKS, token) and a small HTTP driver playing the browser at the provider
//! (its development login and consent forms). Tessera itself runs in-process.
//!
//! Needs `node` and `npm ci --prefix tests/oidc`. Without them the tests are skipped
//! (loudly), unless `CI=true`, where they fail.

use crate::common;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use crate::common::{Browser, Reply};
use http::StatusCode;
use tessera::adapter::{Adapter, MemoryAdapter};
use tessera::providers::oauth::Algorithm;
use tessera::providers::{ClientKey, OAuthProvider, TokenAuthMethod};
use tessera::{Auth, AuthBuilder, SessionStrategy};

const APP: &str = "http://localhost:3000";

// ---------------------------------------------------------------------------------------
// The provider process
// ---------------------------------------------------------------------------------------

struct OidcServer {
    child: Child,
    issuer: String,
    stderr: Arc<Mutex<String>>,
}

impl Drop for OidcServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- oidc-provider output ---\n{}", self.stderr.lock().unwrap());
        }
    }
}

fn oidc_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc")
}

/// Why the provider cannot run here, if it cannot.
fn missing() -> Option<String> {
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Some("`node` is not on PATH".into());
    }
    if !oidc_dir().join("node_modules/oidc-provider/package.json").exists() {
        return Some("oidc-provider is not installed in tests/oidc/node_modules".into());
    }
    None
}

impl OidcServer {
    /// Starts the provider, or `None` (the test skips) when Node or the package is missing
    /// outside CI.
    fn start() -> Option<OidcServer> {
        if let Some(why) = missing() {
            common::service::unavailable(
                "Node with oidc-provider (the OpenID Connect end-to-end tests)",
                &why,
                "Install Node >= 20 and run `npm ci --prefix tests/oidc` from the repository root.",
            );
            return None;
        }
        let redirects = ["oidc", "oidc2", "oidc3"]
            .map(|id| format!("{APP}/api/auth/callback/{id}"))
            .join(",");
        let mut child = Command::new("node")
            .arg("server.mjs")
            .current_dir(oidc_dir())
            .env("REDIRECT_URIS", redirects)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn node server.mjs");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = String::new();
            let _ = err_pipe.read_to_string(&mut buf);
            sink.lock().unwrap().push_str(&buf);
        });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            // The first line is the issuer; the rest is kept for diagnostics (and the pipe
            // stays drained: node dies with EPIPE if it is closed).
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next().and_then(Result::ok).unwrap_or_default());
            for line in lines.map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut server = OidcServer {
            child,
            issuer: String::new(),
            stderr,
        };
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("oidc-provider did not report its issuer within 30 s");
        let v: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("oidc-provider printed {line:?} ({e})"));
        server.issuer = v["issuer"].as_str().unwrap().to_owned();
        Some(server)
    }
}

// ---------------------------------------------------------------------------------------
// The browser at the provider
// ---------------------------------------------------------------------------------------

fn attr_after(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(
        html[start..start + end]
            .replace("&amp;", "&")
            .replace("&#x2F;", "/")
            .replace("&#47;", "/")
            .replace("&quot;", "\"")
            .replace("&#39;", "'"),
    )
}

/// Follows the provider's redirects and submits its login (as `login`) and consent forms
/// with a fresh cookie jar, until it redirects back to the app. Returns that URL.
async fn authorize(authorization_url: &str, login: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut jar: BTreeMap<String, String> = BTreeMap::new();
    let mut url = authorization_url.to_owned();
    let mut form: Option<String> = None;
    for _ in 0..20 {
        let mut req = match &form {
            Some(body) => client
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.clone()),
            None => client.get(&url),
        };
        if !jar.is_empty() {
            let cookies: Vec<String> = jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
            req = req.header("cookie", cookies.join("; "));
        }
        let res = req.send().await.unwrap();
        for c in res.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let pair = c.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let expired = c.to_ascii_lowercase().contains("expires=thu, 01 jan 1970");
            if value.is_empty() || expired {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = res.status();
        if status.is_redirection() {
            let location = res.headers()["location"].to_str().unwrap();
            let next = url::Url::parse(&url).unwrap().join(location).unwrap().to_string();
            if next.starts_with(APP) {
                return next;
            }
            url = next;
            form = None;
            continue;
        }
        let html = res.text().await.unwrap();
        assert_eq!(status, 200, "unexpected page at {url}: {html}");
        let action = attr_after(&html, "action=\"").unwrap_or_else(|| panic!("no form at {url}: {html}"));
        let prompt = attr_after(&html, "name=\"prompt\" value=\"").unwrap_or_default();
        let mut fields = form_urlencoded::Serializer::new(String::new());
        fields.append_pair("prompt", &prompt);
        if prompt == "login" {
            fields.append_pair("login", login);
            fields.append_pair("password", "any password");
        }
        form = Some(fields.finish());
        url = url::Url::parse(&url).unwrap().join(&action).unwrap().to_string();
    }
    panic!("no redirect back to the app after 20 steps");
}

// ---------------------------------------------------------------------------------------
// The app
// ---------------------------------------------------------------------------------------

fn provider(id: &str, issuer: &str) -> OAuthProvider {
    OAuthProvider::new(id)
        .name("Loopback OIDC")
        .issuer(issuer)
        .client_id("tessera")
        .client_secret("tessera-secret")
        .scope("openid email profile")
}

fn builder(server: &OidcServer) -> AuthBuilder {
    Auth::builder()
        .url(APP)
        .secret(common::SECRET)
        .provider(provider("oidc", &server.issuer))
        // The second provider reads the userinfo endpoint as well.
        .provider(provider("oidc2", &server.issuer).fetch_userinfo(true))
        // The third authenticates with a signed client assertion instead of a secret.
        .provider(
            provider("oidc3", &server.issuer)
                .client_id("tessera-pkjwt")
                .client_secret("")
                .token_auth_method(TokenAuthMethod::PrivateKeyJwt(
                    ClientKey::from_pem(Algorithm::ES256, common::CLIENT_KEY_PEM.as_bytes())
                        .unwrap()
                        .kid("client-1"),
                )),
        )
}

/// Signs in through provider `id` as `login` at the provider, the way next-auth/react
/// does (`json=true`), and returns the reply of Tessera's callback.
async fn sign_in(b: &mut Browser, id: &str, login: &str, query: &str) -> Reply {
    let csrf = b.csrf().await;
    let r = b
        .post_form(
            &format!("/api/auth/signin/{id}{query}"),
            &[("csrfToken", &csrf), ("callbackUrl", "/dashboard"), ("json", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let url = r.json()["url"].as_str().unwrap().to_owned();
    let back = authorize(&url, login).await;
    let path = back.strip_prefix(APP).unwrap();
    assert!(path.starts_with(&format!("/api/auth/callback/{id}?code=")), "{back}");
    assert!(path.contains("&iss="), "RFC 9207 iss is sent: {back}");
    b.get(path).await
}

async fn session(b: &mut Browser) -> serde_json::Value {
    b.get("/api/auth/session").await.json()
}

#[tokio::test]
async fn jwt_sign_in_without_an_adapter() {
    let Some(server) = OidcServer::start() else {
        return;
    };
    let mut b = Browser::new(builder(&server).build().unwrap());
    let r = sign_in(&mut b, "oidc", "alice", "").await;
    assert_eq!(r.location(), Some("http://localhost:3000/dashboard"), "{r:?}");
    let cookies = r.set_cookies();
    for name in ["next-auth.state", "next-auth.pkce.code_verifier", "next-auth.nonce"] {
        assert!(cookies.contains(&format!("{name}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")));
    }
    let s = session(&mut b).await;
    assert_eq!(
        s["user"],
        serde_json::json!({"name": "Alice Liddell", "email": "alice@example.com", "image": "https://img.example/alice.png"})
    );

    // The userinfo variant, with authorization parameters from the sign-in request.
    let mut b = Browser::new(builder(&server).build().unwrap());
    let r = sign_in(&mut b, "oidc2", "carol", "?prompt=login").await;
    assert_eq!(r.location(), Some("http://localhost:3000/dashboard"), "{r:?}");
    assert_eq!(session(&mut b).await["user"]["email"], "carol@example.com");

    // private_key_jwt: the provider verifies the client assertion against the client's key.
    let mut b = Browser::new(builder(&server).build().unwrap());
    let r = sign_in(&mut b, "oidc3", "alice", "").await;
    assert_eq!(r.location(), Some("http://localhost:3000/dashboard"), "{r:?}");
    assert_eq!(session(&mut b).await["user"]["email"], "alice@example.com");

    // The same with a key the provider does not know: refused at the token endpoint.
    const STRANGER: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjpQgM3vy48Q4Esav
rzcrtRARFajgtrXaTUo79EMOlBOhRANCAAR99HgKzCCgo0PJCNPtYUq55jmwzB5F
AFh/+JJvsv7l8PD/2L7DoVa8n24b1JsVoPCYNASQ+yIzPpvy2zw8BZdV
-----END PRIVATE KEY-----";
    let stranger = ClientKey::from_pem(Algorithm::ES256, STRANGER.as_bytes())
        .unwrap()
        .kid("client-1");
    let auth = Auth::builder()
        .url(APP)
        .secret(common::SECRET)
        .provider(
            provider("oidc3", &server.issuer)
                .client_id("tessera-pkjwt")
                .client_secret("")
                .token_auth_method(TokenAuthMethod::PrivateKeyJwt(stranger)),
        )
        .build()
        .unwrap();
    let mut b = Browser::new(auth);
    let r = sign_in(&mut b, "oidc3", "alice", "").await;
    assert_eq!(
        r.location(),
        Some("http://localhost:3000/api/auth/error?error=OAuthCallback"),
        "{r:?}"
    );
    assert_eq!(session(&mut b).await, serde_json::json!({}));
}

#[tokio::test]
async fn accounts_with_jwt_and_database_sessions() {
    let Some(server) = OidcServer::start() else {
        return;
    };
    for strategy in [SessionStrategy::Jwt, SessionStrategy::Database] {
        let db = Arc::new(MemoryAdapter::new());
        let auth = builder(&server)
            .adapter(db.clone())
            .session_strategy(strategy)
            .build()
            .unwrap();

        // A first sign-in creates the user and the account, with the tokens.
        let mut b = Browser::new(auth.clone());
        let r = sign_in(&mut b, "oidc", "alice", "").await;
        assert_eq!(
            r.location(),
            Some("http://localhost:3000/dashboard"),
            "{strategy:?}: {r:?}"
        );
        let alice = db.get_user_by_account("oidc", "alice").await.unwrap().unwrap();
        assert_eq!(alice.email.as_deref(), Some("alice@example.com"));
        let accounts = db.list_accounts(&alice.id).await.unwrap();
        assert_eq!(accounts.len(), 1);
        for field in ["access_token", "id_token", "expires_at", "token_type", "scope"] {
            assert!(accounts[0].extra.contains_key(field), "{strategy:?}: {field}");
        }
        assert_eq!(session(&mut b).await["user"]["email"], "alice@example.com");
        if strategy == SessionStrategy::Database {
            assert_eq!(db.list_sessions(&alice.id).await.unwrap().len(), 1);
        }

        // Signed in, another provider account (carol's) is linked to alice.
        let r = sign_in(&mut b, "oidc2", "carol", "?prompt=login").await;
        assert_eq!(
            r.location(),
            Some("http://localhost:3000/dashboard"),
            "{strategy:?}: {r:?}"
        );
        let owner = db.get_user_by_account("oidc2", "carol").await.unwrap().unwrap();
        assert_eq!(owner.id, alice.id);
        assert_eq!(db.list_accounts(&alice.id).await.unwrap().len(), 2);
        assert_eq!(session(&mut b).await["user"]["email"], "alice@example.com");

        // Bob has alice's address at the provider: not linked, not signed in.
        let mut other = Browser::new(auth.clone());
        let r = sign_in(&mut other, "oidc", "bob", "").await;
        assert_eq!(
            r.location(),
            Some("http://localhost:3000/api/auth/error?error=OAuthAccountNotLinked"),
            "{strategy:?}"
        );
        assert!(db.get_user_by_account("oidc", "bob").await.unwrap().is_none());
        assert_eq!(session(&mut other).await, serde_json::json!({}));

        // Alice again, in a fresh browser: the same user.
        let mut again = Browser::new(auth);
        let r = sign_in(&mut again, "oidc", "alice", "").await;
        assert_eq!(r.location(), Some("http://localhost:3000/dashboard"));
        assert_eq!(session(&mut again).await["user"]["name"], "Alice Liddell");
        assert_eq!(db.list_accounts(&alice.id).await.unwrap().len(), 2);
    }
}
