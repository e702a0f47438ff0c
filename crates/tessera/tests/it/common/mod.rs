//! What the engine's tests share: the in-process browser (`browser.rs`, a cookie jar in
//! front of `Auth::handle`), a configuration with a credentials provider, the fakes
//! (identity provider, mail outbox, counting adapter) and the skip-or-fail helper.

mod browser;
pub(crate) mod counting;
pub(crate) mod fake_idp;
pub(crate) mod outbox;
pub(crate) mod service;

pub(crate) use browser::{Browser, Reply};

use tessera::providers::{AuthorizeError, Credentials, CredentialsProvider};
use tessera::{Auth, AuthBuilder, User};

/// The tests' server secret (16 bytes at least: `build` refuses shorter ones, and the
/// spec's `"secret"` needs `AuthBuilder::insecure_test_vector_secret`).
pub(crate) const SECRET: &str = "a tessera test secret";

/// A P-256 key of the client, for `private_key_jwt` (PKCS#8), and its public half
/// (`tests/oidc/server.mjs` registers the same public key).
pub(crate) const CLIENT_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1CGbukl6JY+mCFXL
NUWNVmkQtlURYZOlEZZB/AOOf8ehRANCAARa++zblr6c6R7Aw4gU9m8NC2q/xUEa
2l1zbpcBGLzUgDxm+tI/uiTWHFHzDwWLjNUQqdxFuaFijdi7KIo4vBxu
-----END PRIVATE KEY-----";
pub(crate) const CLIENT_KEY_X: &str = "Wvvs25a-nOkewMOIFPZvDQtqv8VBGtpdc26XARi81IA";
pub(crate) const CLIENT_KEY_Y: &str = "PGb60j-6JNYcUfMPBYuM1RCp3EW5oWKN2Lsoiji8HG4";

pub(crate) fn credentials() -> CredentialsProvider {
    CredentialsProvider::new(|c: Credentials| async move {
        match c.get("password") {
            Some("pw") => Ok(Some(User::new("1").name("Alice").email("alice@example.com"))),
            Some("throw") => Err(AuthorizeError("Bad thing".into())),
            _ => Ok(None),
        }
    })
    .field("username", "Username", "text")
    .field("password", "Password", "password")
}

pub(crate) fn builder() -> AuthBuilder {
    Auth::builder()
        .url("http://localhost:3000")
        .secret(SECRET)
        .provider(credentials())
}

pub(crate) fn auth() -> Auth {
    builder().build().expect("valid config")
}
