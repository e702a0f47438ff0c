//! A client for NextAuth.js v4 servers (Tessera or next-auth itself): the functions of
//! `next-auth/react` as a Rust API, and `SessionProvider`'s state machine without a UI
//! framework.
//!
//! * [`Client`]: `get_session`, `get_csrf_token`, `get_providers`, `sign_in`, `sign_out`,
//!   `update`, with the same requests as next-auth/react (spec §9.2–§9.5) and typed errors
//!   ([`ClientError`]) instead of logged `null`s. On native targets it is reqwest with a
//!   cookie store, so one `Client` behaves like one browser: for CLIs, tests and
//!   server-to-server calls. On wasm32 the same API runs on the browser's `fetch`
//!   (`FetchTransport`, same-origin cookies), without reqwest or the `url` crate.
//! * [`SessionStore`]: `status`/`data`/`update` of `useSession()`, initial session,
//!   `refetch_interval`, `refetch_on_window_focus`, `refetch_when_offline`, one request for
//!   many concurrent callers, and cross-tab sync in next-auth's localStorage format
//!   ([`Broadcast`], [`BroadcastMessage`]).
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
/// Browser glue: localStorage broadcast, window events, navigation, `setTimeout` sleep.
#[cfg(target_arch = "wasm32")]
pub mod browser;
mod client;
mod error;
mod platform;
mod store;
mod transport;

pub use broadcast::{
    Broadcast, BroadcastMessage, BroadcastSubscription, LocalBroadcast, LocalTab, MessageHandler, NoBroadcast,
    STORAGE_KEY, Trigger,
};
pub use client::{BaseUrl, Client, SignInOptions, SignInResponse, SignOutOptions};
pub use error::ClientError;
pub use store::{SessionState, SessionStore, Status, StoreOptions, Subscription};
#[cfg(target_arch = "wasm32")]
pub use transport::FetchTransport;
#[cfg(not(target_arch = "wasm32"))]
pub use transport::ReqwestTransport;
pub use transport::{BoxFuture, HttpRequest, HttpResponse, MaybeSend, MaybeSync, Method, Transport};

/// The session embedded in a server-rendered page (re-exported from `tessera-protocol`).
pub use tessera_protocol::embed;
pub use tessera_protocol::{
    ErrorCode, ProviderInfo, ProviderType, Providers, RedirectResponse, Session, SessionUser, SignInResult,
};
