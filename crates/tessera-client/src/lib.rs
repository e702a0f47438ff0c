//! A client for NextAuth.js servers (Tessera or next-auth itself): the functions of
//! `next-auth/react` as a Rust API, and `SessionProvider`'s state machine without a UI
//! framework. It speaks next-auth 4's client protocol by default, and next-auth 5's
//! (Auth.js v5) with [`Client::compat`]`(`[`Compat::AuthJsV5`]`)`.
//!
//! * [`Client`]: `get_session`, `get_csrf_token`, `get_providers`, `sign_in`, `sign_out`,
//!   `update`, with the same requests as next-auth/react (spec §9.2–§9.5) and typed errors
//!   ([`ClientError`]) instead of logged `null`s. On native targets it is reqwest with a
//!   cookie store, so one `Client` behaves like one browser: for CLIs, tests and
//!   server-to-server calls. On wasm32 the same API runs on the browser's `fetch`
//!   (`FetchTransport`, same-origin cookies), without reqwest or the `url` crate.
//! * Password accounts (a server with Tessera's `password` provider): [`Client::sign_up`],
//!   [`Client::request_password_reset`], [`Client::reset_password`],
//!   [`Client::change_password`]; a refusal is [`ClientError::Refused`] with its
//!   [`Refusal`] (`PasswordCommon`, `InvalidToken`, `WrongPassword`, …). Signing in is
//!   `sign_in("password", …)` with the fields `email` and `password`.
//! * Two-factor sign-in (a server with Tessera's `TwoFactor`): [`Client::two_factor_setup`]
//!   (the secret, its `otpauth://` URI, a QR code), [`Client::enable_two_factor`] (the
//!   recovery codes), [`Client::disable_two_factor`]; a first factor's result has
//!   `error: "TwoFactorRequired"`, and `sign_in("two-factor", …)` with the field `code`
//!   finishes it. One-time email codes: [`Client::sign_in_with_email_code`].
//! * [`SessionStore`]: `status`/`data`/`update` of `useSession()`, initial session,
//!   `refetch_interval`, `refetch_on_window_focus`, `refetch_when_offline`, one request for
//!   many concurrent callers, and cross-tab sync in next-auth's formats ([`Broadcast`],
//!   [`BroadcastMessage`]): next-auth 4's `localStorage["nextauth.message"]`, next-auth 5's
//!   `BroadcastChannel("next-auth")` (browser implementations in `browser`, wasm32).
//!
//! # next-auth 5 (Auth.js v5)
//!
//! [`Compat`] (from `tessera-protocol`, the type the server's `AUTH_COMPAT` sets) selects
//! the generation. With [`Compat::AuthJsV5`]:
//!
//! * `sign_in`/`sign_out` send `X-Auth-Return-Redirect: 1` instead of `json=true` and read
//!   `{url}` from the (200) answer; a failed sign-in is a [`SignInResult`] with `error` and
//!   `code`, e.g. `{error: "CredentialsSignin", code: "credentials", status: 200, ok: true}`;
//! * `get_session` reads `null` as signed out (it reads `{}` as well, in both modes);
//! * `update(None)` is a plain `GET /session`;
//! * a [`SessionStore`] follows its client's mode; give it next-auth 5's channel
//!   (`browser::ChannelBroadcast`, or `browser::tab_options(compat)` in a browser).
//!
//! ```no_run
//! use tessera_client::{Client, Compat, SignInOptions};
//!
//! # async fn demo() -> Result<(), tessera_client::ClientError> {
//! let client = Client::new("http://localhost:3000")?.compat(Compat::AuthJsV5);
//! let options = SignInOptions::new().redirect(false).field("username", "demo").field("password", "nope");
//! let result = client.sign_in("credentials", options, &[]).await?;
//! let result = result.result().expect("redirect: false");
//! assert_eq!(result.error.as_deref(), Some("CredentialsSignin"));
//! assert_eq!(result.code.as_deref(), Some("credentials"));
//! # Ok(())
//! # }
//! ```
//!
//! # Example
//!
//! ```no_run
//! use tessera_client::{Client, SignInOptions, SignInResponse, SignOutOptions};
//!
//! # async fn demo() -> Result<(), tessera_client::ClientError> {
//! // Base path `/api/auth` unless the URL has a path (or `.base_path(..)` is called).
//! let client = Client::new("http://localhost:3000")?;
//! assert_eq!(client.get_session().await?, None);
//!
//! let response = client
//!     .sign_in(
//!         "credentials",
//!         SignInOptions::new()
//!             .redirect(false)
//!             .field("username", "demo")
//!             .field("password", "demo"),
//!         &[],
//!     )
//!     .await?;
//! if let SignInResponse::Complete(result) = response {
//!     assert!(result.ok && result.error.is_none());
//! }
//! let session = client.get_session().await?.expect("signed in");
//! println!("hello {:?}", session.user.and_then(|u| u.name));
//!
//! client.update(Some(serde_json::json!({ "name": "Ada" }))).await?;
//! let bye = client.sign_out(SignOutOptions::new().redirect(false)).await?;
//! println!("signed out, go to {}", bye.url);
//! # Ok(())
//! # }
//! ```
//!
//! A store, driven by tokio (any executor works: [`SessionStore::run`] only needs a sleep
//! function):
//!
//! ```no_run
//! use std::time::Duration;
//! use tessera_client::{Client, SessionStore, StoreOptions};
//!
//! # async fn demo() -> Result<(), tessera_client::ClientError> {
//! let store = SessionStore::new(
//!     Client::new("http://localhost:3000")?,
//!     StoreOptions::new().refetch_interval(Duration::from_secs(300)),
//! );
//! let _subscription = store.subscribe(|state| println!("{}", state.status.as_str()));
//! tokio::spawn(store.run(tokio::time::sleep));
//! // Ten callers, one request:
//! let _ = futures_util::future::join_all((0..10).map(|_| store.refresh())).await;
//! # Ok(())
//! # }
//! ```

mod broadcast;
/// Browser glue: localStorage and `BroadcastChannel` broadcasts, window events, navigation,
/// `setTimeout` sleep.
#[cfg(target_arch = "wasm32")]
pub mod browser;
mod client;
mod email_code;
mod error;
mod password;
mod platform;
mod refusal;
mod store;
mod transport;
mod two_factor;

pub use broadcast::{
    Broadcast, BroadcastMessage, BroadcastSubscription, CHANNEL_NAME, LocalBroadcast, LocalTab, MessageHandler,
    NoBroadcast, STORAGE_KEY, Trigger,
};
pub use client::{BaseUrl, Client, SignInOptions, SignInResponse, SignOutOptions};
pub use error::ClientError;
pub use password::{PasswordReset, SignUp};
pub use refusal::Refusal;
pub use store::{SessionState, SessionStore, Status, StoreOptions, Subscription};
#[cfg(target_arch = "wasm32")]
pub use transport::FetchTransport;
#[cfg(not(target_arch = "wasm32"))]
pub use transport::ReqwestTransport;
pub use transport::{BoxFuture, HttpRequest, HttpResponse, MaybeSend, MaybeSync, Method, Transport};
pub use two_factor::{TwoFactorProof, TwoFactorSetup};

/// The session embedded in a server-rendered page (re-exported from `tessera-protocol`).
pub use tessera_protocol::embed;
pub use tessera_protocol::{
    Compat, ErrorCode, ProviderInfo, ProviderType, Providers, RedirectResponse, Session, SessionUser, SignInResult,
};
