//! Hooks: the app's own logic (checking a password, allowing a sign-in, shaping the token
//! and the session) reached over HTTP, as NextAuth's `authorize` and callbacks would run
//! it in-process.
//!
//! [`Hooks`] is built from [`HookSettings`] and plugs into the engine twice: as the
//! [`Callbacks`](tessera::callbacks::Callbacks) (`sign_in`, `jwt`, `session`) and, through
//! [`Hooks::authorizer`], as the `authorize` of a credentials provider. A hook that is not
//! configured keeps NextAuth's default behaviour.
//!
//! # The requests
//!
//! Every call is a `POST` of a JSON object to the hook's URL, with
//! `Content-Type: application/json` and a [`Tessera-Signature`](SIGNATURE_HEADER) header
//! (see [`sign`]). The body's `hook` field names the hook, so one URL may serve them all.
//! Optional fields are left out when they have no value.
//!
//! | hook | request body | answer (2xx, JSON) |
//! |---|---|---|
//! | `authorize` | `{"hook": "authorize", "provider": id, "credentials": {…}}` | `{"user": {"id": "1", "name"?, "email"?, "image"?, …}}` signs in; `{"user": null}`: wrong credentials; `{"error": "Code"}`: refused with that code |
//! | `sign_in` | `{"hook": "sign_in", "user", "account", "profile"?, "verification_request"?}` | `{"allow": true}`, `{"allow": false}` or `{"redirect": "/path or https://…"}` |
//! | `jwt` | `{"hook": "jwt", "token", "user"?, "account"?, "profile"?, "trigger"?, "session"?, "is_new_user"?}` | `{"token": {…}}` |
//! | `session` | `{"hook": "session", "session", "token"?, "user"?, "trigger"?, "new_session"?}` | `{"session": {…}}` |
//!
//! * `credentials` is the submitted form (every field the sign-in page or `signIn()`
//!   posted, values as posted: strings for a form, any JSON for a JSON body) without the
//!   fields next-auth adds itself: `csrfToken`, `callbackUrl`, `json`, `redirect`,
//!   `redirectTo`. The `sign_in` hook never sees the credentials.
//! * `user` is `{"id", "name", "email", "image", …}`; `account` is next-auth's
//!   `{"provider", "type", "providerAccountId", …}` **without** the provider's tokens
//!   (`access_token`, `refresh_token`, `id_token` and any other field whose name contains
//!   `token`, except `token_type`, or `secret`), unless
//!   [`HookSettings::send_provider_tokens`] is on.
//! * `trigger` is `"signIn"`, `"signUp"` or `"update"`; `session` (for `jwt`) and
//!   `new_session` (for `session`) are the data of the client's `update(data)`.
//! * The `jwt` hook runs at sign-in and on every session read (`GET /api/auth/session`), as
//!   NextAuth's `jwt` callback does; the `session` hook on every session read.
//! * `authorize`'s user `id` may be a string or an integer (made a string). A `session`
//!   answer without `expires` keeps the one it was sent. An `error` code is 1 to 64 ASCII
//!   letters, digits, `_` or `-`.
//!
//! # Failures
//!
//! A hook that cannot be reached, answers late (past [`HookSettings::timeout`]), answers a
//! status other than 2xx, more than 64 KiB, or JSON of another shape **fails closed**. The
//! cause is logged at `warn` with the hook's URL (without its query), never with the
//! credentials, tokens or the answer:
//!
//! * `authorize`: wrong credentials (`CredentialsSignin`, 401).
//! * `sign_in`: refused (`AccessDenied`, 403 for credentials).
//! * `jwt` and `session`: the callback fails with the message `Configuration`, and the
//!   engine handles it as any failed callback: a sign-in ends on the error page
//!   (`?error=Configuration` with next-auth 4, `AccessDenied` with Auth.js 5); a session
//!   read answers "no session", and with JWT sessions also clears the cookie (the visitor
//!   is signed out, as next-auth does when its `jwt` callback throws).
//!
//! # `update()` without a `jwt` hook
//!
//! [`HookSettings::update_fields`] lists the fields the client's `update(data)` may change
//! by itself: with JWT sessions the claim is set in the token (`name`, `picture` for
//! `image`); with database sessions the user is updated through the adapter given to
//! [`Hooks::with_adapter`] and the returned session shows it. A value that is not a
//! string, empty or too long (or an `image` that is not an http(s) URL) is ignored, with an
//! `info` log. An app with a `jwt` hook handles `update()` there instead.
//!
//! # Verifying the signature
//!
//! In Rust, with [`verify`]. In Node (a Next.js route handler), over the raw body, before
//! parsing it:
//!
//! ```js
//! import crypto from "node:crypto";
//!
//! // true when `header` (the Tessera-Signature) signs `body` (a Buffer) under `secret`.
//! export function verifyTessera(header, body, secret, toleranceSeconds = 300) {
//!   let t = NaN;
//!   const v1 = [];
//!   for (const item of (header ?? "").split(",")) {
//!     const [key, value] = item.trim().split("=", 2);
//!     if (key === "t" && /^\d+$/.test(value)) t = Number(value);
//!     else if (key === "v1") v1.push(Buffer.from(value ?? "", "hex"));
//!   }
//!   if (!Number.isSafeInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
//!   const expected = crypto.createHmac("sha256", secret).update(`${t}.`).update(body).digest();
//!   return v1.some((sig) => sig.length === expected.length && crypto.timingSafeEqual(sig, expected));
//! }
//!
//! export async function POST(request) {
//!   const body = Buffer.from(await request.arrayBuffer());
//!   if (!verifyTessera(request.headers.get("tessera-signature"), body, process.env.TESSERA_HOOK_SECRET)) {
//!     return new Response("bad signature", { status: 401 });
//!   }
//!   const call = JSON.parse(body.toString("utf8"));
//!   if (call.hook === "authorize") {
//!     const user = await checkPassword(call.credentials.username, call.credentials.password);
//!     return Response.json({ user: user ? { id: String(user.id), name: user.name, email: user.email } : null });
//!   }
//!   return new Response("unknown hook", { status: 404 });
//! }
//! ```

mod authorize;
mod callbacks;
mod client;
mod endpoint;
mod signature;
mod update;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tessera::Secret;
use tessera::adapter::Adapter;

pub use authorize::HookAuthorize;
pub use signature::{DEFAULT_TOLERANCE, SIGNATURE_HEADER, VerifyError, sign, verify};

use client::HookClient;
use endpoint::Endpoint;
use update::UpdatePolicy;

/// The default [`HookSettings::timeout`]: 5 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The shortest hook secret accepted, in bytes (as for the server secret).
pub const MIN_SECRET_BYTES: usize = 16;

/// What the hooks are and how they are called. [`Hooks::new`] checks it.
///
/// ```
/// use tessera_server::hooks::{HookSettings, Hooks, UpdateField};
///
/// let mut settings = HookSettings::new("a long random hook secret");
/// settings.authorize = Some("http://127.0.0.1:3000/api/tessera-hooks".into());
/// settings.update_fields = vec![UpdateField::new("name", 64)];
/// let hooks = Hooks::new(settings).expect("valid settings");
/// assert!(hooks.authorizer("credentials").is_some());
/// ```
#[derive(Debug, Clone)]
pub struct HookSettings {
    /// The HMAC-SHA256 key shared with the hook server (at least [`MIN_SECRET_BYTES`]).
    pub secret: Secret,
    /// The longest a call may take, connecting and reading the answer included (default
    /// [`DEFAULT_TIMEOUT`]).
    pub timeout: Duration,
    /// The `authorize` hook of credentials providers (an http or https URL).
    pub authorize: Option<String>,
    /// The `sign_in` hook.
    pub sign_in: Option<String>,
    /// The `jwt` hook.
    pub jwt: Option<String>,
    /// The `session` hook.
    pub session: Option<String>,
    /// The `update(data)` fields the client may change when no `jwt` hook is configured
    /// (`name`, `image`). Empty: `update()` changes nothing by itself.
    pub update_fields: Vec<UpdateField>,
    /// Whether the `account` sent to hooks keeps the provider's tokens (`access_token`,
    /// `refresh_token`, `id_token`, …). Off by default: turn it on only for a `jwt` hook
    /// that keeps them (to call the provider's API) and a hook server you trust with them.
    pub send_provider_tokens: bool,
}

impl HookSettings {
    /// Settings with this secret, no hooks, the default timeout and no update fields.
    pub fn new(secret: impl Into<Secret>) -> Self {
        HookSettings {
            secret: secret.into(),
            timeout: DEFAULT_TIMEOUT,
            authorize: None,
            sign_in: None,
            jwt: None,
            session: None,
            update_fields: Vec::new(),
            send_provider_tokens: false,
        }
    }
}

/// A field the client's `update(data)` may change without a `jwt` hook: its top-level
/// `name` in `data` and the longest value, in characters.
///
/// ```
/// let field = tessera_server::hooks::UpdateField::new("name", 64);
/// assert_eq!(field.max_chars, 64);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateField {
    /// `name` or `image`.
    pub name: String,
    /// The longest value accepted, in characters (at least 1).
    pub max_chars: usize,
}

impl UpdateField {
    /// A field and its longest value.
    pub fn new(name: impl Into<String>, max_chars: usize) -> Self {
        UpdateField {
            name: name.into(),
            max_chars,
        }
    }
}

/// Why [`Hooks::new`] refused the settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HookConfigError {
    /// The secret is shorter than [`MIN_SECRET_BYTES`].
    #[error("the hook secret is too short ({0} bytes); use at least 16 (`tessera secret` prints a good one)")]
    SecretTooShort(usize),
    /// The timeout is zero.
    #[error("the hook timeout must be longer than zero")]
    ZeroTimeout,
    /// A hook URL is not usable (the URL itself is not repeated: it may hold a password).
    #[error("the {hook} hook URL {reason}")]
    InvalidUrl {
        /// `authorize`, `sign_in`, `jwt` or `session`.
        hook: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An update field other than `name` and `image`.
    #[error("update field `{0}` cannot be changed by update(); only `name` and `image` can")]
    UnknownUpdateField(String),
    /// An update field listed twice.
    #[error("update field `{0}` is listed twice")]
    DuplicateUpdateField(String),
    /// An update field whose `max_chars` is zero.
    #[error("update field `{0}` needs a max_chars of at least 1")]
    ZeroMaxChars(String),
    /// Update fields beside a `jwt` hook, which handles `update()` itself.
    #[error(
        "update fields cannot be used with a jwt hook: the hook handles update() itself (it gets the data as `session`)"
    )]
    UpdateFieldsWithJwtHook,
    /// The HTTP client could not be built.
    #[error("the hooks' HTTP client could not be built: {0}")]
    Client(String),
}

/// The hooks, ready to call: the engine's [`Callbacks`](tessera::callbacks::Callbacks) and,
/// through [`Hooks::authorizer`], credentials providers' `authorize`. Cheap to clone (the
/// client is shared).
///
/// ```
/// use tessera::providers::CredentialsProvider;
/// use tessera_server::hooks::{HookSettings, Hooks};
///
/// let mut settings = HookSettings::new("a long random hook secret");
/// settings.authorize = Some("https://app.example/api/auth-hooks".into());
/// settings.jwt = Some("https://app.example/api/auth-hooks".into());
/// let hooks = Hooks::new(settings).expect("valid settings");
/// let provider = CredentialsProvider::new(hooks.authorizer("credentials").expect("an authorize hook"));
/// let auth = tessera::Auth::builder()
///     .secret("0123456789abcdef")
///     .provider(provider)
///     .callbacks(hooks)
///     .build();
/// assert!(auth.is_ok());
/// ```
#[derive(Clone)]
pub struct Hooks {
    inner: Arc<Inner>,
    adapter: Option<Arc<dyn Adapter>>,
}

/// What every clone of a [`Hooks`] shares.
#[derive(Debug)]
struct Inner {
    client: HookClient,
    authorize: Option<Endpoint>,
    sign_in: Option<Endpoint>,
    jwt: Option<Endpoint>,
    session: Option<Endpoint>,
    update: UpdatePolicy,
    send_provider_tokens: bool,
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("inner", &self.inner)
            .field("adapter", &self.adapter.is_some())
            .finish()
    }
}

impl Hooks {
    /// Checks the settings and builds the HTTP client.
    ///
    /// ```
    /// use tessera_server::hooks::{HookConfigError, HookSettings, Hooks};
    ///
    /// let mut settings = HookSettings::new("a long random hook secret");
    /// settings.jwt = Some("ftp://app.example/hooks".into());
    /// let err = Hooks::new(settings).unwrap_err();
    /// assert!(matches!(err, HookConfigError::InvalidUrl { hook: "jwt", .. }));
    /// ```
    pub fn new(settings: HookSettings) -> Result<Self, HookConfigError> {
        let HookSettings {
            secret,
            timeout,
            authorize,
            sign_in,
            jwt,
            session,
            update_fields,
            send_provider_tokens,
        } = settings;
        if secret.expose().len() < MIN_SECRET_BYTES {
            return Err(HookConfigError::SecretTooShort(secret.expose().len()));
        }
        if timeout.is_zero() {
            return Err(HookConfigError::ZeroTimeout);
        }
        let endpoint = |hook, url: Option<String>| url.as_deref().map(|url| Endpoint::new(hook, url)).transpose();
        let inner = Inner {
            authorize: endpoint("authorize", authorize)?,
            sign_in: endpoint("sign_in", sign_in)?,
            jwt: endpoint("jwt", jwt)?,
            session: endpoint("session", session)?,
            update: UpdatePolicy::new(&update_fields)?,
            send_provider_tokens,
            client: HookClient::new(secret, timeout).map_err(|e| HookConfigError::Client(e.to_string()))?,
        };
        if inner.jwt.is_some() && !inner.update.is_empty() {
            return Err(HookConfigError::UpdateFieldsWithJwtHook);
        }
        Ok(Hooks {
            inner: Arc::new(inner),
            adapter: None,
        })
    }

    /// The adapter of database sessions, which applies
    /// [`update_fields`](HookSettings::update_fields) to the stored user. Without it, an
    /// `update()` of a database session changes nothing (with a warning in the log).
    pub fn with_adapter(mut self, adapter: Arc<dyn Adapter>) -> Self {
        self.adapter = Some(adapter);
        self
    }

    /// The `authorize` of the credentials provider `provider_id` (sent to the hook as
    /// `provider`), or `None` when no `authorize` hook is configured.
    pub fn authorizer(&self, provider_id: impl Into<String>) -> Option<HookAuthorize> {
        self.inner.authorize.as_ref()?;
        Some(HookAuthorize::new(Arc::clone(&self.inner), provider_id.into()))
    }
}
