//! The engine under test: a `tessera::Auth` whose credentials provider and callbacks are
//! `Hooks` pointed at the tests' hook server, and the browser requests the tests make.

use std::time::Duration;

use serde_json::json;
use tessera::providers::CredentialsProvider;
use tessera::{Auth, AuthBuilder};
use tessera_server::hooks::{HookSettings, Hooks};

use crate::browser::{Browser, Reply};
use crate::hook_server::HOOK_SECRET;

/// The engine's own secret.
const SECRET: &str = "a tessera-server test secret";

/// The error page's URL for `code` (next-auth 4).
pub(crate) fn error_url(code: &str) -> String {
    format!("http://localhost:3000/api/auth/error?error={code}")
}

/// `CredentialsSignin`'s URL (next-auth 4 names the provider).
pub(crate) const WRONG_CREDENTIALS: &str =
    "http://localhost:3000/api/auth/error?error=CredentialsSignin&provider=credentials";

/// Hook settings with the shared secret and a 2 s timeout (no hooks yet).
pub(crate) fn settings() -> HookSettings {
    let mut settings = HookSettings::new(HOOK_SECRET);
    settings.timeout = Duration::from_secs(2);
    settings
}

/// An engine with a credentials provider whose `authorize` is the hook (when configured),
/// the hooks as callbacks, and what `configure` adds.
pub(crate) fn engine(hooks: &Hooks, configure: impl FnOnce(AuthBuilder) -> AuthBuilder) -> Auth {
    let mut builder = Auth::builder().url("http://localhost:3000").secret(SECRET);
    if let Some(authorize) = hooks.authorizer("credentials") {
        let provider = CredentialsProvider::new(authorize)
            .field("username", "Username", "text")
            .field("password", "Password", "password");
        builder = builder.provider(provider);
    }
    configure(builder.callbacks(hooks.clone()))
        .build()
        .expect("valid config")
}

/// A browser on an engine built from `settings`.
pub(crate) fn browser(settings: HookSettings) -> Browser {
    let hooks = Hooks::new(settings).expect("valid hook settings");
    Browser::new(engine(&hooks, |b| b))
}

/// Signs in with the credentials provider as `signIn("credentials", {redirect: false})` does.
pub(crate) async fn sign_in(b: &mut Browser, username: &str, password: &str) -> Reply {
    let csrf = b.csrf().await;
    b.post_form(
        "/api/auth/callback/credentials",
        &[
            ("username", username),
            ("password", password),
            ("csrfToken", &csrf),
            ("callbackUrl", "/dashboard"),
            ("json", "true"),
        ],
    )
    .await
}

/// The client's `update(data)`.
pub(crate) async fn update(b: &mut Browser, data: serde_json::Value) -> Reply {
    let csrf = b.csrf().await;
    b.post_json("/api/auth/session", json!({"csrfToken": csrf, "data": data}))
        .await
}

/// Whether the browser holds a session cookie.
pub(crate) fn signed_in(b: &Browser) -> bool {
    b.jar.contains_key("next-auth.session-token")
}
