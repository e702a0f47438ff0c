//! Browser glue (wasm32 only): what next-auth/react does with `window`.
//!
//! * [`LocalStorageBroadcast`]: the [`Broadcast`] of next-auth v4 (spec §9.6), so Tessera
//!   tabs and next-auth tabs of one site keep each other up to date; [`ChannelBroadcast`]:
//!   next-auth 5's (`BroadcastChannel("next-auth")`); [`tab_options`] picks one for a
//!   [`Compat`].
//! * [`client`]: a [`Client`] for the page's own origin (`fetch` with the page's cookies).
//! * [`location_href`], [`navigate`], [`follow_sign_in`]: `window.location`, with next-auth's
//!   reload when the target has a `#`.
//! * [`listen`]: `visibilitychange` → [`SessionStore::on_focus`], `online`/`offline` →
//!   [`SessionStore::on_online`]; [`start`] adds the driver ([`SessionStore::run`] with
//!   [`sleep`], a `setTimeout` future).
//!
//! ```ignore
//! use tessera_client::{SessionStore, StoreOptions, browser};
//!
//! let store = SessionStore::new(
//!     browser::client(None)?,
//!     StoreOptions::new().broadcast(browser::LocalStorageBroadcast::new()),
//! );
//! let _events = browser::start(&store); // keep it: dropping it removes the listeners
//!
//! // next-auth 5 (Auth.js v5): the client's protocol and the tabs' channel.
//! let compat = tessera_client::Compat::AuthJsV5;
//! let store = SessionStore::new(browser::client(None)?.compat(compat), browser::tab_options(compat));
//! ```

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use tessera_protocol::Compat;

use crate::broadcast::{Broadcast, BroadcastMessage, BroadcastSubscription, CHANNEL_NAME, MessageHandler, STORAGE_KEY};
use crate::client::{Client, SignInResponse};
use crate::error::ClientError;
use crate::store::{SessionStore, StoreOptions};

/// Unix seconds from `Date.now()`.
pub fn unix_seconds() -> u64 {
    crate::platform::unix_seconds()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The cross-tab channel of next-auth v4: `localStorage["nextauth.message"]` and the
/// `storage` events of the other tabs.
///
/// Posting removes the key, then sets it (so two identical messages within one second
/// still reach the other tabs; next-auth's tabs see them as well). Storage errors (private
/// mode, quota, no window) are ignored, as next-auth does.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalStorageBroadcast;

impl LocalStorageBroadcast {
    /// The channel of this page's origin.
    pub fn new() -> Self {
        LocalStorageBroadcast
    }

    /// Writes `message` (stamped with `timestamp`) the way [`Broadcast::post`] does; for
    /// tests and for hosts with their own clock.
    pub fn post_at(&self, message: BroadcastMessage, timestamp: u64) {
        if let Some(storage) = storage() {
            let _ = storage.remove_item(STORAGE_KEY);
            let _ = storage.set_item(STORAGE_KEY, &message.stamped(timestamp).to_json());
        }
    }
}

impl Broadcast for LocalStorageBroadcast {
    fn post(&self, message: BroadcastMessage) {
        self.post_at(message, unix_seconds());
    }

    fn subscribe(&self, handler: MessageHandler) -> BroadcastSubscription {
        let Some(window) = web_sys::window() else {
            return BroadcastSubscription::none();
        };
        let closure = Closure::<dyn FnMut(web_sys::StorageEvent)>::new(move |event: web_sys::StorageEvent| {
            if event.key().as_deref() != Some(STORAGE_KEY) {
                return;
            }
            if let Some(message) = BroadcastMessage::from_storage_value(event.new_value().as_deref()) {
                handler(message);
            }
        });
        listen_on(window.into(), "storage", closure)
    }
}

/// The cross-tab channel of next-auth 5: `BroadcastChannel("next-auth")`.
///
/// Posts `{event: "session", data: {trigger}}` as an object (no timestamp), exactly as
/// next-auth 5's `next-auth/react` does, and hands every message of the channel from
/// another tab to the handler (next-auth 5 refetches on any message; see
/// [`BroadcastMessage::from_channel_data`]). One channel object posts and listens, so a tab
/// does not hear itself. Without `BroadcastChannel` (no window, very old browsers) it does
/// nothing, as next-auth's stand-in does.
#[derive(Debug, Clone, Default)]
pub struct ChannelBroadcast {
    channel: Option<web_sys::BroadcastChannel>,
}

impl ChannelBroadcast {
    /// Opens `BroadcastChannel("next-auth")` of this page's origin.
    pub fn new() -> Self {
        ChannelBroadcast {
            channel: web_sys::BroadcastChannel::new(CHANNEL_NAME).ok(),
        }
    }
}

impl Broadcast for ChannelBroadcast {
    fn post(&self, message: BroadcastMessage) {
        let Some(channel) = &self.channel else { return };
        let message = BroadcastMessage {
            timestamp: None,
            ..message
        };
        if let Ok(value) = js_sys::JSON::parse(&message.to_json()) {
            let _ = channel.post_message(&value);
        }
    }

    fn subscribe(&self, handler: MessageHandler) -> BroadcastSubscription {
        let Some(channel) = &self.channel else {
            return BroadcastSubscription::none();
        };
        let closure = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let json = js_sys::JSON::stringify(&event.data())
                .ok()
                .and_then(|text| text.as_string());
            handler(BroadcastMessage::from_channel_data(json.as_deref()));
        });
        listen_on(channel.clone().into(), "message", closure)
    }
}

/// The default [`StoreOptions`] of a browser tab speaking `compat`: the same as
/// [`StoreOptions::new`], with the cross-tab channel of that generation
/// ([`LocalStorageBroadcast`] for next-auth 4, [`ChannelBroadcast`] for next-auth 5).
pub fn tab_options(compat: Compat) -> StoreOptions {
    match compat {
        Compat::NextAuthV4 => StoreOptions::new().broadcast(LocalStorageBroadcast::new()),
        Compat::AuthJsV5 => StoreOptions::new().broadcast(ChannelBroadcast::new()),
    }
}

/// Adds `listener` for `event` on `target`; the subscription removes it and frees the
/// closure (and whatever it holds, e.g. a store clone).
fn listen_on<T: ?Sized + 'static>(
    target: web_sys::EventTarget,
    event: &'static str,
    listener: Closure<T>,
) -> BroadcastSubscription {
    if target
        .add_event_listener_with_callback(event, listener.as_ref().unchecked_ref())
        .is_err()
    {
        return BroadcastSubscription::none();
    }
    BroadcastSubscription::new(move || {
        let _ = target.remove_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
        drop(listener);
    })
}

/// `window.location.href`.
pub fn location_href() -> Option<String> {
    crate::platform::location_href()
}

/// `window.location.origin`.
pub fn location_origin() -> Option<String> {
    web_sys::window()?.location().origin().ok()
}

/// `window.location.href = url`, then a reload when `url` has a `#` (a hash change alone
/// does not load the page), as next-auth does after `signIn`/`signOut`.
pub fn navigate(url: &str) {
    let Some(window) = web_sys::window() else { return };
    let location = window.location();
    let _ = location.set_href(url);
    if url.contains('#') {
        let _ = location.reload();
    }
}

/// Navigates for [`SignInResponse::Redirect`]; returns whether it did.
pub fn follow_sign_in(response: &SignInResponse) -> bool {
    match response {
        SignInResponse::Redirect(url) => {
            navigate(url);
            true
        }
        SignInResponse::Complete(_) => false,
    }
}

/// A [`Client`] for this page's origin (the browser's `fetch`, same-origin cookies), with
/// `base_path` (default `/api/auth`). Its default callback URL is the page's current
/// `window.location.href`, read at each call.
pub fn client(base_path: Option<&str>) -> Result<Client, ClientError> {
    let origin = location_origin().ok_or_else(|| ClientError::invalid_url("", "no window.location"))?;
    let client = Client::with_transport(&origin, crate::transport::FetchTransport)?;
    Ok(match base_path {
        Some(path) => client.base_path(path),
        None => client,
    })
}

/// The session the server embedded in this page
/// ([`crate::embed::session_script`]): `Some(Some(session))`, `Some(None)` for
/// "known signed out", or `None` when the page has no such element or it does not parse
/// (then the store starts loading and fetches, as without it).
pub fn embedded_session() -> Option<Option<crate::Session>> {
    let element = web_sys::window()?
        .document()?
        .get_element_by_id(tessera_protocol::embed::SESSION_SCRIPT_ID)?;
    tessera_protocol::embed::parse_embedded(&element.text_content()?).ok()
}

/// `navigator.onLine` (true when unknown).
pub fn is_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// A `setTimeout` future; dropping it clears the timer.
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    shared: Rc<SleepState>,
    handle: Option<i32>,
    _callback: Option<Closure<dyn FnMut()>>,
}

#[derive(Default)]
struct SleepState {
    done: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("done", &self.shared.done.get())
            .finish_non_exhaustive()
    }
}

/// Sleeps `duration` with `setTimeout` (for [`SessionStore::run`]). Without a window it
/// resolves at once.
pub fn sleep(duration: Duration) -> Sleep {
    let shared = Rc::new(SleepState::default());
    let state = shared.clone();
    let callback = Closure::<dyn FnMut()>::new(move || {
        state.done.set(true);
        if let Some(waker) = state.waker.borrow_mut().take() {
            waker.wake();
        }
    });
    let millis = i32::try_from(duration.as_millis()).unwrap_or(i32::MAX);
    let handle = web_sys::window().and_then(|w| {
        w.set_timeout_with_callback_and_timeout_and_arguments_0(callback.as_ref().unchecked_ref(), millis)
            .ok()
    });
    if handle.is_none() {
        shared.done.set(true);
    }
    Sleep {
        shared,
        handle,
        _callback: Some(callback),
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.shared.done.get() {
            return Poll::Ready(());
        }
        *self.shared.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let (Some(handle), false) = (self.handle, self.shared.done.get())
            && let Some(window) = web_sys::window()
        {
            window.clear_timeout_with_handle(handle);
        }
    }
}

/// The window listeners of a store; dropping this removes them.
#[must_use = "dropping it removes the listeners"]
pub struct BrowserEvents {
    _subscriptions: Vec<BroadcastSubscription>,
}

impl fmt::Debug for BrowserEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BrowserEvents")
            .field("listeners", &self._subscriptions.len())
            .finish()
    }
}

/// Connects `store` to the window: `visibilitychange` to visible → [`SessionStore::on_focus`]
/// (the store checks `refetch_on_window_focus`), `online`/`offline` →
/// [`SessionStore::on_online`] (and the current `navigator.onLine` now).
pub fn listen(store: &SessionStore) -> BrowserEvents {
    let mut subscriptions = Vec::new();
    let Some(window) = web_sys::window() else {
        return BrowserEvents {
            _subscriptions: subscriptions,
        };
    };
    store.on_online(is_online());
    if let Some(document) = window.document() {
        let s = store.clone();
        let doc = document.clone();
        let on_visibility = Closure::<dyn FnMut()>::new(move || {
            if doc.visibility_state() == web_sys::VisibilityState::Visible {
                let s = s.clone();
                wasm_bindgen_futures::spawn_local(async move { s.on_focus().await });
            }
        });
        subscriptions.push(listen_on(document.into(), "visibilitychange", on_visibility));
    }
    for (event, online) in [("online", true), ("offline", false)] {
        let s = store.clone();
        let on_change = Closure::<dyn FnMut()>::new(move || s.on_online(online));
        subscriptions.push(listen_on(window.clone().into(), event, on_change));
    }
    BrowserEvents {
        _subscriptions: subscriptions,
    }
}

/// [`listen`], and spawns the driver ([`SessionStore::run`] with [`sleep`]) on the
/// browser's microtask queue. The driver ends when every clone of the store is dropped
/// (the listeners hold clones: drop the returned value too).
pub fn start(store: &SessionStore) -> BrowserEvents {
    let events = listen(store);
    wasm_bindgen_futures::spawn_local(store.run(sleep));
    events
}
