//! Leptos 0.8 bindings of [`tessera_client`]: next-auth/react's `<SessionProvider>` and
//! `useSession()` for Leptos apps talking to a NextAuth.js server (Tessera or next-auth),
//! next-auth 4 by default or next-auth 5 (Auth.js v5) with `compat=Compat::AuthJsV5`.
//!
//! * [`SessionProvider`] creates one [`SessionStore`] for the page and puts it in context.
//!   In the browser (wasm32, feature `csr`) it fetches the session on mount (unless the
//!   `session` prop gave one), polls every `refetch_interval`, refetches when the tab
//!   becomes visible, follows `online`/`offline`, and syncs with the other tabs (next-auth's
//!   own tabs included) through `localStorage["nextauth.message"]` (next-auth 4) or
//!   `BroadcastChannel("next-auth")` (next-auth 5).
//! * [`use_session`] gives `data`, `status` and `error` as signals, and `update`,
//!   `sign_in`, `sign_out` as async methods.
//! * [`use_session_required`] is `useSession({ required: true, onUnauthenticated })`.
//!
//! # Example
//!
//! ```ignore
//! use leptos::prelude::*;
//! use tessera_leptos::{SessionProvider, Status, use_session};
//!
//! #[component]
//! fn App() -> impl IntoView {
//!     // `session=Some(s)` / `session=None` start known (no loading flash, no fetch);
//!     // leaving it out starts "loading" and fetches `/api/auth/session`.
//!     view! {
//!         <SessionProvider base_path="/api/auth" refetch_interval=std::time::Duration::from_secs(300)>
//!             <Profile/>
//!         </SessionProvider>
//!     }
//! }
//!
//! #[component]
//! fn Profile() -> impl IntoView {
//!     let session = use_session();
//!     let rename = move |_| {
//!         leptos::task::spawn_local(async move {
//!             let _ = session.update(Some(serde_json::json!({ "name": "Ada" }))).await;
//!         })
//!     };
//!     move || match session.status.get() {
//!         Status::Loading => view! { <p>"Loading…"</p> }.into_any(),
//!         Status::Unauthenticated => view! { <p>"Signed out"</p> }.into_any(),
//!         Status::Authenticated => {
//!             let name = session.data.get().and_then(|s| s.user).and_then(|u| u.name);
//!             view! { <p>"Hello " {name}</p> <button on:click=rename>"Rename"</button> }.into_any()
//!         }
//!     }
//! }
//! ```

use std::time::Duration;

use leptos::prelude::*;
use serde_json::Value;
use tessera_client::SessionState;

pub use tessera_client::embed::{SESSION_SCRIPT_ID, session_script};
pub use tessera_client::{
    Client, ClientError, Compat, RedirectResponse, Session, SessionStore, SessionUser, SignInOptions, SignInResponse,
    SignOutOptions, Status, StoreOptions,
};

/// What [`SessionProvider`] puts in context. `Copy`; it lives as long as the provider.
#[derive(Debug, Clone, Copy)]
pub struct SessionContext {
    state: RwSignal<SessionState>,
    store: StoredValue<SessionStore, LocalStorage>,
}

impl SessionContext {
    /// A context for `store`, owned by the current reactive owner: the signal follows the
    /// store; in the browser (wasm32 with `csr`) the store is started
    /// (`tessera_client::browser::start`, a wasm32-only item) and
    /// stopped when the owner is cleaned up.
    pub fn new(store: SessionStore) -> SessionContext {
        let state = RwSignal::new(store.state());
        let subscription = store.subscribe(move |s: &SessionState| {
            let _ = state.try_set(s.clone());
        });
        let events = start(&store);
        // Dropped (unsubscribed, listeners removed) with the owner.
        let _ = StoredValue::new_local((subscription, events));
        SessionContext {
            state,
            store: StoredValue::new_local(store),
        }
    }

    /// The store (a clone; clones share everything).
    pub fn store(&self) -> SessionStore {
        self.store.get_value()
    }
}

#[cfg(all(target_arch = "wasm32", feature = "csr"))]
fn start(store: &SessionStore) -> Option<tessera_client::browser::BrowserEvents> {
    Some(tessera_client::browser::start(store))
}

/// The session the server embedded in the page, if any (see [`SessionProvider`]).
#[cfg(all(target_arch = "wasm32", feature = "csr"))]
#[expect(
    clippy::option_option,
    reason = "the `session` prop's meaning: absent, known signed out, or signed in"
)]
fn embedded_session() -> Option<Option<Session>> {
    tessera_client::browser::embedded_session()
}

#[cfg(not(all(target_arch = "wasm32", feature = "csr")))]
#[expect(
    clippy::option_option,
    reason = "the `session` prop's meaning: absent, known signed out, or signed in"
)]
fn embedded_session() -> Option<Option<Session>> {
    None
}

/// Off the browser the store stays as created (its initial session, or loading).
#[cfg(not(all(target_arch = "wasm32", feature = "csr")))]
fn start(_store: &SessionStore) -> Option<()> {
    None
}

/// The client of a provider: the page's origin in the browser, else `http://localhost:3000`.
fn default_client(base_path: Option<&str>) -> Result<Client, ClientError> {
    #[cfg(target_arch = "wasm32")]
    {
        tessera_client::browser::client(base_path)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let client = Client::new("http://localhost:3000")?;
        Ok(match base_path {
            Some(path) => client.base_path(path),
            None => client,
        })
    }
}

/// The store options of a tab speaking `compat`: in the browser, with that generation's
/// cross-tab channel (localStorage for next-auth 4, `BroadcastChannel` for next-auth 5).
fn default_options(compat: Compat) -> StoreOptions {
    #[cfg(target_arch = "wasm32")]
    {
        tessera_client::browser::tab_options(compat)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = compat;
        StoreOptions::new()
    }
}

/// `<SessionProvider>` of next-auth/react: makes the session available to
/// [`use_session`] below it.
#[component]
#[allow(clippy::needless_pass_by_value, reason = "Leptos passes component props by value")]
pub fn SessionProvider(
    /// The initial session. `session=Some(s)` (signed in) or `session=None` (known signed
    /// out) starts with it and does not fetch on mount. Without the prop, a session the
    /// server embedded in the page ([`session_script`]) is used the same way, so a
    /// server-rendered page never flashes "signed out"; with neither, the provider starts
    /// `Loading` and fetches.
    #[prop(optional)]
    session: Option<Option<Session>>,
    /// The API's path on this origin (default `/api/auth`).
    #[prop(optional, into)]
    base_path: Option<String>,
    /// Poll while signed in (default: never).
    #[prop(optional)]
    refetch_interval: Option<Duration>,
    /// Refetch when the window regains focus (default `true`).
    #[prop(default = true)]
    refetch_on_window_focus: bool,
    /// Keep polling while the browser is offline (default `true`).
    #[prop(default = true)]
    refetch_when_offline: bool,
    /// A client of your own (another origin, a custom transport); `base_path` and `compat`
    /// still apply when given.
    #[prop(optional)]
    client: Option<Client>,
    /// The server's protocol generation: [`Compat::NextAuthV4`] (the default, or the
    /// `client`'s) or [`Compat::AuthJsV5`] (next-auth 5 / Auth.js v5: its requests, and its
    /// `BroadcastChannel("next-auth")` to the other tabs).
    #[prop(optional)]
    compat: Option<Compat>,
    /// The views that can call [`use_session`].
    children: Children,
) -> impl IntoView {
    let client = match client {
        Some(client) => Ok(match base_path.as_deref() {
            Some(path) => client.base_path(path),
            None => client,
        }),
        None => default_client(base_path.as_deref()),
    };
    let client = match client {
        Ok(client) => client,
        // Only when there is no window.location or the origin does not parse.
        Err(error) => panic!("SessionProvider: no client for this page: {error}"),
    };
    let client = match compat {
        Some(compat) => client.compat(compat),
        None => client,
    };
    let mut options = default_options(client.compat_mode())
        .refetch_on_window_focus(refetch_on_window_focus)
        .refetch_when_offline(refetch_when_offline);
    if let Some(interval) = refetch_interval {
        options = options.refetch_interval(interval);
    }
    if let Some(session) = session.or_else(embedded_session) {
        options = options.initial(session);
    }
    provide_context(SessionContext::new(SessionStore::new(client, options)));
    children()
}

/// `useSession()`: the value of the nearest [`SessionProvider`]. `Copy`.
#[derive(Debug, Clone, Copy)]
pub struct UseSession {
    /// The session, when known (kept during an `update`).
    pub data: Signal<Option<Session>>,
    /// Loading, authenticated or unauthenticated.
    pub status: Signal<Status>,
    /// The last failed request (a failure keeps the last known session).
    pub error: Signal<Option<ClientError>>,
    context: SessionContext,
}

impl UseSession {
    /// `update(data)`: `POST <base>/session`; the status is `Loading` meanwhile and the
    /// other tabs are told. Does nothing (`Ok(None)`) while loading or signed out.
    pub async fn update(&self, data: Option<Value>) -> Result<Option<Session>, ClientError> {
        self.context.store().update(data).await
    }

    /// Refetches the session now.
    pub async fn refresh(&self) -> Result<Option<Session>, ClientError> {
        self.context.store().refresh().await
    }

    /// `signIn(provider, options)`: in the browser a [`SignInResponse::Redirect`] is followed
    /// (`window.location`); a completed credentials/email sign-in updates every tab.
    pub async fn sign_in(&self, provider: Option<&str>, options: SignInOptions) -> Result<SignInResponse, ClientError> {
        let response = self.context.store().sign_in(provider, options, &[]).await?;
        #[cfg(target_arch = "wasm32")]
        tessera_client::browser::follow_sign_in(&response);
        Ok(response)
    }

    /// `signOut(options)`: with `redirect` (the default) the browser goes to the answer's URL.
    pub async fn sign_out(&self, options: SignOutOptions) -> Result<RedirectResponse, ClientError> {
        #[cfg(target_arch = "wasm32")]
        let redirect = options.redirect;
        let response = self.context.store().sign_out(options).await?;
        #[cfg(target_arch = "wasm32")]
        if redirect {
            tessera_client::browser::navigate(&response.url);
        }
        Ok(response)
    }

    /// The store behind it.
    pub fn store(&self) -> SessionStore {
        self.context.store()
    }
}

/// `useSession()`. Panics outside a [`SessionProvider`] (next-auth throws too).
pub fn use_session() -> UseSession {
    let context = use_context::<SessionContext>()
        .expect("use_session() must be called below a <SessionProvider> (tessera-leptos)");
    let state = context.state;
    UseSession {
        data: Memo::new(move |_| state.with(|s| s.data.clone())).into(),
        status: Memo::new(move |_| state.with(|s| s.status)).into(),
        error: Memo::new(move |_| state.with(|s| s.error.clone())).into(),
        context,
    }
}

/// `useSession({ required: true, onUnauthenticated })`: `status` is never
/// `Unauthenticated` (it stays `Loading`); when the session turns out to be missing,
/// `on_unauthenticated` runs, or by default the browser goes to
/// [`sign_in_required_url`] (`<base_path>/signin?error=SessionRequired&callbackUrl=<href>`).
pub fn use_session_required(on_unauthenticated: Option<Callback<()>>) -> UseSession {
    let session = use_session();
    let status = session.status;
    let api_path = session.context.store().client().api_path().to_owned();
    Effect::new(move |_| {
        if status.get() == Status::Unauthenticated {
            match on_unauthenticated {
                Some(callback) => callback.run(()),
                None => redirect_to_sign_in(&api_path),
            }
        }
    });
    UseSession {
        status: Signal::derive(move || match status.get() {
            Status::Unauthenticated => Status::Loading,
            other => other,
        }),
        ..session
    }
}

fn redirect_to_sign_in(api_path: &str) {
    #[cfg(target_arch = "wasm32")]
    if let Some(href) = tessera_client::browser::location_href() {
        tessera_client::browser::navigate(&sign_in_required_url(api_path, &href));
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = api_path;
}

/// `<api_path>/signin?error=SessionRequired&callbackUrl=<href, URLSearchParams-encoded>`.
/// (next-auth hard-codes `/api/auth` here; the provider's base path is used instead.)
pub fn sign_in_required_url(api_path: &str, href: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("error", tessera_client::ErrorCode::SessionRequired.as_str())
        .append_pair("callbackUrl", href)
        .finish();
    format!("{api_path}/signin?{query}")
}
