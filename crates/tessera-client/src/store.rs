//! [`SessionStore`]: the state machine of next-auth's `SessionProvider`/`useSession`
//! (spec §9.7), without a UI framework and without an async runtime.
//!
//! A UI binds to it with [`SessionStore::subscribe`] (or reads [`SessionStore::state`]),
//! calls [`SessionStore::on_focus`] on `visibilitychange` to visible and
//! [`SessionStore::on_online`] on `online`/`offline`, and spawns [`SessionStore::run`]
//! once (it fetches the session on start, polls every `refetch_interval`, and refetches
//! when another tab posts a message).
//!
//! Where it differs from next-auth, on purpose:
//! * **One request for many callers.** Concurrent `refresh()`/`load()`/focus/poll calls
//!   share the request in flight, instead of each making its own.
//! * **No signed-out flash.** A failed request (network, 5xx, bad JSON) keeps the last
//!   known session and records the error in [`SessionState::error`]; only an answer of
//!   `{}` signs the store out. next-auth turns any failure into "unauthenticated".
//!   After a failure the session counts as unknown, so the next focus or poll asks again.
//! * **The calling store is updated at once** by its own `update()`, `sign_in()` and
//!   `sign_out()`, and the other tabs are told (next-auth's `signIn(…, {redirect:false})`
//!   tells no other tab).
//! * **Fewer cross-tab messages.** A refetch on focus or poll posts a message only when the
//!   session changed (next-auth posts one on every fetch, and every other tab refetches).
//! * **No stale answer wins.** Answers of requests that started before a sign-in, sign-out,
//!   update or cross-tab message are dropped when they arrive late.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::{Either, Shared, select};
use futures_util::task::AtomicWaker;
use serde_json::Value;
use tessera_protocol::{Compat, RedirectResponse, Session};

use crate::broadcast::{Broadcast, BroadcastMessage, BroadcastSubscription, NoBroadcast, Trigger};
use crate::client::{Client, SignInOptions, SignInResponse, SignOutOptions};
use crate::error::ClientError;
use crate::transport::{BoxFuture, MaybeSend, MaybeSync};

/// `useSession().status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// The first fetch has not answered yet, or an `update()` is in flight.
    Loading,
    /// There is a session.
    Authenticated,
    /// There is none.
    Unauthenticated,
}

impl Status {
    /// `"loading"`, `"authenticated"` or `"unauthenticated"`, as next-auth spells them.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Loading => "loading",
            Status::Authenticated => "authenticated",
            Status::Unauthenticated => "unauthenticated",
        }
    }
}

/// What a UI renders: `{data, status}` of `useSession()`, plus the last error.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionState {
    /// Loading, authenticated or unauthenticated.
    pub status: Status,
    /// The session, when known. During an `update()` it keeps the previous session.
    pub data: Option<Session>,
    /// The last failed request, cleared by the next successful one.
    pub error: Option<ClientError>,
}

/// `SessionProvider`'s props.
#[derive(Clone)]
pub struct StoreOptions {
    /// `session` prop: `Some(..)` (even `Some(None)`, "known to be signed out") means the
    /// store starts with it and does not fetch on start. `None`: start loading.
    pub initial: Option<Option<Session>>,
    /// `refetchInterval`: poll this often while signed in. `None` or zero: no polling.
    pub refetch_interval: Option<Duration>,
    /// `refetchOnWindowFocus` (default `true`).
    pub refetch_on_window_focus: bool,
    /// `refetchWhenOffline` (default `true`); `false` pauses polling while offline.
    pub refetch_when_offline: bool,
    /// The channel to the other tabs (default: none). In a browser, the channel of the
    /// client's protocol: `browser::LocalStorageBroadcast` for next-auth 4,
    /// `browser::ChannelBroadcast` for next-auth 5 (`browser::tab_options` picks it).
    pub broadcast: Arc<dyn Broadcast>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            initial: None,
            refetch_interval: None,
            refetch_on_window_focus: true,
            refetch_when_offline: true,
            broadcast: Arc::new(NoBroadcast),
        }
    }
}

impl fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreOptions")
            .field("initial", &self.initial)
            .field("refetch_interval", &self.refetch_interval)
            .field("refetch_on_window_focus", &self.refetch_on_window_focus)
            .field("refetch_when_offline", &self.refetch_when_offline)
            .finish_non_exhaustive()
    }
}

impl StoreOptions {
    /// The defaults (no initial session, no polling, refetch on focus, no other tabs).
    pub fn new() -> Self {
        StoreOptions::default()
    }

    /// Starts from a session known already (e.g. rendered by the server): no fetch on start.
    pub fn initial(mut self, session: Option<Session>) -> Self {
        self.initial = Some(session);
        self
    }

    /// Polls every `interval` while signed in (zero turns polling off).
    pub fn refetch_interval(mut self, interval: Duration) -> Self {
        self.refetch_interval = Some(interval).filter(|d| !d.is_zero());
        self
    }

    /// Whether `on_focus` refetches.
    pub fn refetch_on_window_focus(mut self, on: bool) -> Self {
        self.refetch_on_window_focus = on;
        self
    }

    /// Whether polling goes on while offline.
    pub fn refetch_when_offline(mut self, on: bool) -> Self {
        self.refetch_when_offline = on;
        self
    }

    /// The cross-tab channel.
    pub fn broadcast(mut self, broadcast: impl Broadcast) -> Self {
        self.broadcast = Arc::new(broadcast);
        self
    }
}

#[cfg(not(target_arch = "wasm32"))]
type Listener = Arc<dyn Fn(&SessionState) + Send + Sync>;
#[cfg(target_arch = "wasm32")]
type Listener = Arc<dyn Fn(&SessionState)>;
type SharedFetch = Shared<BoxFuture<'static, Result<Option<Session>, ClientError>>>;

struct Inflight {
    seq: u64,
    epoch: u64,
    future: SharedFetch,
}

struct State {
    data: Option<Session>,
    /// A server answer has been applied (`_session !== undefined` in next-auth).
    synced: bool,
    /// The first fetch is running (no initial session).
    initial_loading: bool,
    /// An `update()` is running.
    updating: bool,
    error: Option<ClientError>,
    online: bool,
    /// Sequence number of the next request.
    next_seq: u64,
    /// Sequence number of the newest answer applied.
    applied_seq: u64,
    /// Answers of requests numbered below this are stale (started before an invalidation).
    floor_seq: u64,
    /// Bumped by invalidations; a request joins only an in-flight one of the same epoch.
    epoch: u64,
    inflight: Option<Inflight>,
}

impl State {
    fn status(&self) -> Status {
        if self.initial_loading || self.updating {
            Status::Loading
        } else if self.data.is_some() {
            Status::Authenticated
        } else {
            Status::Unauthenticated
        }
    }

    fn snapshot(&self) -> SessionState {
        SessionState {
            status: self.status(),
            data: self.data.clone(),
            error: self.error.clone(),
        }
    }

    /// Known to be signed out (`_session === null`).
    fn signed_out(&self) -> bool {
        self.synced && self.data.is_none()
    }

    fn take_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    fn invalidate(&mut self) {
        self.epoch += 1;
        self.floor_seq = self.next_seq + 1;
    }
}

/// The same session, ignoring `expires` (which moves on every fetch).
fn same_session(a: &Option<Session>, b: &Option<Session>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.user == b.user && a.extra == b.extra,
        _ => false,
    }
}

/// Wakes the driver ([`SessionStore::run`]).
#[derive(Default)]
struct Wake {
    signal: AtomicBool,
    storage: AtomicBool,
    closed: AtomicBool,
    waker: AtomicWaker,
}

impl Wake {
    fn wake(&self) {
        self.signal.store(true, Ordering::SeqCst);
        self.waker.wake();
    }
}

/// Resolves when [`Wake::wake`] was called since the last time it resolved.
struct Woken<'a>(&'a Wake);

impl Future for Woken<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.waker.register(cx.waker());
        if self.0.signal.swap(false, Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[derive(Default)]
struct Delivery {
    active: bool,
    dirty: bool,
}

struct Inner {
    client: Client,
    refetch_interval: Option<Duration>,
    refetch_on_window_focus: bool,
    refetch_when_offline: bool,
    broadcast: Arc<dyn Broadcast>,
    state: Mutex<State>,
    listeners: Mutex<Vec<(u64, Listener)>>,
    next_listener: Mutex<u64>,
    delivery: Mutex<Delivery>,
    wake: Arc<Wake>,
    subscription: Mutex<Option<BroadcastSubscription>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.wake.closed.store(true, Ordering::SeqCst);
        self.wake.wake();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Resets `active` if a listener panics.
struct DeliveryGuard<'a> {
    delivery: &'a Mutex<Delivery>,
    armed: bool,
}

impl Drop for DeliveryGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut d = lock(self.delivery);
            d.active = false;
            d.dirty = false;
        }
    }
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Calls the listeners with the latest state, one delivery at a time; a change made
    /// while listeners run (even by a listener) is delivered after them.
    fn notify(&self) {
        {
            let mut d = lock(&self.delivery);
            if d.active {
                d.dirty = true;
                return;
            }
            d.active = true;
        }
        let mut guard = DeliveryGuard {
            delivery: &self.delivery,
            armed: true,
        };
        loop {
            let snapshot = self.state().snapshot();
            let listeners: Vec<Listener> = lock(&self.listeners).iter().map(|(_, l)| l.clone()).collect();
            for listener in listeners {
                listener(&snapshot);
            }
            let mut d = lock(&self.delivery);
            if d.dirty {
                d.dirty = false;
            } else {
                d.active = false;
                guard.armed = false;
                return;
            }
        }
    }

    fn post(&self, trigger: Trigger) {
        self.broadcast.post(BroadcastMessage::session(trigger));
    }

    /// Applies the answer of fetch `seq`; returns the session now known (or the error).
    fn apply_fetch(
        &self,
        seq: u64,
        result: Result<Option<Session>, ClientError>,
        announce: bool,
    ) -> Result<Option<Session>, ClientError> {
        let (changed, post, out) = {
            let mut st = self.state();
            if st.inflight.as_ref().is_some_and(|f| f.seq == seq) {
                st.inflight = None;
            }
            let before = st.snapshot();
            let mut post = false;
            let out = match result {
                Ok(session) if seq >= st.floor_seq && seq > st.applied_seq => {
                    post = announce && st.synced && !same_session(&st.data, &session);
                    st.data = session;
                    st.synced = true;
                    st.applied_seq = seq;
                    st.error = None;
                    st.initial_loading = false;
                    Ok(st.data.clone())
                }
                // A newer answer was applied already, or this one is from before an invalidation.
                Ok(_) => Ok(st.data.clone()),
                Err(error) => {
                    if seq >= st.floor_seq {
                        st.error = Some(error.clone());
                        st.initial_loading = false;
                    }
                    Err(error)
                }
            };
            (st.snapshot() != before, post, out)
        };
        if changed {
            self.notify();
        }
        if post {
            self.post(Trigger::GetSession);
        }
        out
    }
}

/// The session of one tab (one `SessionProvider`): status, data, refetching, update,
/// sign-in/out and cross-tab sync. Cheap to clone; clones share everything.
///
/// It runs on any executor: nothing here spawns or sleeps; [`SessionStore::run`] takes the
/// host's sleep function.
#[derive(Clone)]
pub struct SessionStore {
    inner: Arc<Inner>,
}

impl fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionStore")
            .field("client", &self.inner.client)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

/// Keeps a [`SessionStore::subscribe`] callback registered; dropping it unsubscribes.
#[must_use = "dropping the subscription unsubscribes"]
pub struct Subscription {
    id: u64,
    inner: Weak<Inner>,
}

impl Subscription {
    /// Keeps the callback for the life of the store.
    pub fn forget(mut self) {
        self.inner = Weak::new();
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.upgrade() {
            lock(&inner.listeners).retain(|(id, _)| *id != self.id);
        }
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl SessionStore {
    /// A store for `client` (whose cookies are this tab's).
    #[cfg_attr(
        target_arch = "wasm32",
        allow(
            clippy::arc_with_non_send_sync,
            reason = "on wasm32 nothing is Send (single thread); the Arc is still needed for Weak"
        )
    )]
    pub fn new(client: Client, options: StoreOptions) -> SessionStore {
        let (data, synced) = match options.initial {
            Some(session) => (session, true),
            None => (None, false),
        };
        let inner = Arc::new(Inner {
            client,
            refetch_interval: options.refetch_interval.filter(|d| !d.is_zero()),
            refetch_on_window_focus: options.refetch_on_window_focus,
            refetch_when_offline: options.refetch_when_offline,
            broadcast: options.broadcast,
            state: Mutex::new(State {
                data,
                synced,
                initial_loading: !synced,
                updating: false,
                error: None,
                online: true,
                next_seq: 0,
                applied_seq: 0,
                floor_seq: 0,
                epoch: 0,
                inflight: None,
            }),
            listeners: Mutex::new(Vec::new()),
            next_listener: Mutex::new(0),
            delivery: Mutex::new(Delivery::default()),
            wake: Arc::new(Wake::default()),
            subscription: Mutex::new(None),
        });
        let wake = inner.wake.clone();
        let subscription = inner.broadcast.subscribe(Arc::new(move |_message: BroadcastMessage| {
            wake.storage.store(true, Ordering::SeqCst);
            wake.wake();
        }));
        *lock(&inner.subscription) = Some(subscription);
        SessionStore { inner }
    }

    /// The client (same cookies).
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The current state.
    pub fn state(&self) -> SessionState {
        self.inner.state().snapshot()
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.inner.state().status()
    }

    /// The current session.
    pub fn data(&self) -> Option<Session> {
        self.inner.state().data.clone()
    }

    /// Calls `listener` after every change of the state (not with the current state: read
    /// [`SessionStore::state`] for that). Listeners run one at a time, always see the
    /// latest state, and may call the store.
    pub fn subscribe(&self, listener: impl Fn(&SessionState) + MaybeSend + MaybeSync + 'static) -> Subscription {
        let id = {
            let mut next = lock(&self.inner.next_listener);
            *next += 1;
            *next
        };
        lock(&self.inner.listeners).push((id, Arc::new(listener)));
        Subscription {
            id,
            inner: Arc::downgrade(&self.inner),
        }
    }

    /// `GET /session`, shared with the request in flight when there is one of the same
    /// epoch. `invalidate` first makes every earlier request stale. `announce`: tell the
    /// other tabs when the session changed.
    fn fetch(&self, invalidate: bool, announce: bool) -> SharedFetch {
        let mut st = self.inner.state();
        if invalidate {
            st.invalidate();
        }
        if let Some(inflight) = st.inflight.as_ref().filter(|f| f.epoch == st.epoch) {
            return inflight.future.clone();
        }
        let seq = st.take_seq();
        let client = self.inner.client.clone();
        let weak = Arc::downgrade(&self.inner);
        let request: BoxFuture<'static, Result<Option<Session>, ClientError>> = Box::pin(async move {
            let result = client.get_session().await;
            match weak.upgrade() {
                Some(inner) => inner.apply_fetch(seq, result, announce),
                None => result,
            }
        });
        let future = request.shared();
        st.inflight = Some(Inflight {
            seq,
            epoch: st.epoch,
            future: future.clone(),
        });
        future
    }

    /// Mount (`_getSession()` with no event): fetches unless the session is known already
    /// (an initial session was given, or a fetch has answered).
    pub async fn load(&self) -> Result<Option<Session>, ClientError> {
        let known = {
            let st = self.inner.state();
            st.synced.then(|| st.data.clone())
        };
        match known {
            Some(data) => Ok(data),
            None => self.fetch(false, true).await,
        }
    }

    /// Fetches the session now ("a component asks"). Concurrent calls share one request.
    pub async fn refresh(&self) -> Result<Option<Session>, ClientError> {
        self.fetch(false, true).await
    }

    /// The window became visible (`visibilitychange`). Refetches when
    /// `refetch_on_window_focus` is on, unless the store knows it is signed out.
    pub async fn on_focus(&self) {
        if !self.inner.refetch_on_window_focus || self.inner.state().signed_out() {
            return;
        }
        let _ = self.fetch(false, true).await;
    }

    /// One polling tick: refetches unless signed out, or offline with
    /// `refetch_when_offline: false`. [`SessionStore::run`] calls it every
    /// `refetch_interval`; hosts with their own timer may call it instead.
    pub async fn poll(&self) {
        {
            let st = self.inner.state();
            if st.signed_out() || (!st.online && !self.inner.refetch_when_offline) {
                return;
            }
        }
        let _ = self.fetch(false, true).await;
    }

    /// `online`/`offline` events (`navigator.onLine`).
    pub fn on_online(&self, online: bool) {
        self.inner.state().online = online;
        self.inner.wake.wake();
    }

    /// A message from another tab: refetch with a request started after it, without
    /// posting a message back. [`SessionStore::run`] does this for messages of the
    /// configured [`Broadcast`]; hosts without the driver may call it.
    pub async fn handle_message(&self, _message: &BroadcastMessage) -> Result<Option<Session>, ClientError> {
        self.fetch(true, false).await
    }

    /// `update(data)` of `useSession()`. Does nothing (returns `Ok(None)` without a request)
    /// while loading, or while signed out with next-auth 4's protocol (next-auth 5 updates
    /// a signed-out session too: `update()` then picks up a session made elsewhere).
    /// Otherwise the status turns `Loading` (the data stays), then [`Client::update`]
    /// (`GET /csrf` + `POST /session`; next-auth 5's `update()` without data: `GET
    /// /session`); the answer is applied to this store at once and the other tabs are
    /// told. `Ok(None)` from the server means the session is gone: the store signs out
    /// (next-auth would keep showing the old session). A failure keeps the session and is
    /// returned (and recorded in [`SessionState::error`]).
    pub async fn update(&self, data: Option<Value>) -> Result<Option<Session>, ClientError> {
        let v4 = self.inner.client.compat_mode() == Compat::NextAuthV4;
        {
            let mut st = self.inner.state();
            if st.initial_loading || st.updating || (v4 && st.data.is_none()) {
                return Ok(None);
            }
            st.updating = true;
        }
        let mut guard = UpdateGuard {
            inner: &self.inner,
            armed: true,
        };
        self.inner.notify();
        let result = self.inner.client.update(data).await;
        guard.armed = false;
        {
            let mut st = self.inner.state();
            st.updating = false;
            match &result {
                Ok(session) => {
                    // Numbered now, so that any GET still in flight is older and loses.
                    let seq = st.take_seq();
                    st.data = session.clone();
                    st.synced = true;
                    st.applied_seq = seq;
                    st.error = None;
                }
                Err(error) => st.error = Some(error.clone()),
            }
        }
        self.inner.notify();
        if result.is_ok() {
            self.inner.post(Trigger::GetSession);
        }
        result
    }

    /// [`Client::sign_in`], then (when the server accepted it) a fresh `GET /session`
    /// applied to this store, and a message to the other tabs when the session changed.
    pub async fn sign_in<'a>(
        &self,
        provider: impl Into<Option<&'a str>>,
        options: SignInOptions,
        authorization_params: &[(&str, &str)],
    ) -> Result<SignInResponse, ClientError> {
        let response = self
            .inner
            .client
            .sign_in(provider, options, authorization_params)
            .await?;
        let refetch = match &response {
            SignInResponse::Complete(result) => result.ok,
            // A browser leaves the page; a native host stays, and cookies may have changed.
            SignInResponse::Redirect(_) => cfg!(not(target_arch = "wasm32")),
        };
        if refetch {
            let _ = self.fetch(true, true).await;
        }
        Ok(response)
    }

    /// [`Client::sign_out`], a `signout` message to the other tabs, then a fresh
    /// `GET /session` applied to this store (on native targets also with `redirect: true`,
    /// since no page reload will do it).
    pub async fn sign_out(&self, options: SignOutOptions) -> Result<RedirectResponse, ClientError> {
        let redirect = options.redirect;
        let response = self.inner.client.sign_out(options).await?;
        self.inner.post(Trigger::Signout);
        if !redirect || cfg!(not(target_arch = "wasm32")) {
            let _ = self.fetch(true, false).await;
        }
        Ok(response)
    }

    /// The driver: fetches the session on start (unless known), then, until every clone
    /// of the store is dropped, refetches when another tab posts a message, and polls every
    /// `refetch_interval` (paused while offline when `refetch_when_offline` is off).
    ///
    /// `sleep` is the host's timer: `tokio::time::sleep`, or a `setTimeout` future in a
    /// browser. Spawn the returned future once (`tokio::spawn`, `spawn_local`); it holds
    /// only a weak reference to the store.
    pub fn run<S, F>(&self, sleep: S) -> impl Future<Output = ()> + use<S, F>
    where
        S: Fn(Duration) -> F,
        F: Future<Output = ()>,
    {
        let weak = Arc::downgrade(&self.inner);
        let wake = self.inner.wake.clone();
        async move {
            match weak.upgrade() {
                Some(inner) => {
                    let _ = SessionStore { inner }.load().await;
                }
                None => return,
            }
            let mut timer: Option<Pin<Box<F>>> = None;
            loop {
                let polling = match weak.upgrade() {
                    Some(inner) => {
                        let online = inner.state().online;
                        inner.refetch_interval.filter(|_| online || inner.refetch_when_offline)
                    }
                    None => return,
                };
                match polling {
                    None => timer = None,
                    Some(interval) if timer.is_none() => timer = Some(Box::pin(sleep(interval))),
                    Some(_) => {}
                }
                let fired = match timer.as_mut() {
                    Some(t) => matches!(select(Woken(&wake), t.as_mut()).await, Either::Right(_)),
                    None => {
                        Woken(&wake).await;
                        false
                    }
                };
                if fired {
                    timer = None;
                }
                if wake.closed.load(Ordering::SeqCst) {
                    return;
                }
                let Some(inner) = weak.upgrade() else { return };
                let store = SessionStore { inner };
                if wake.storage.swap(false, Ordering::SeqCst) {
                    let _ = store.fetch(true, false).await;
                }
                if fired {
                    store.poll().await;
                }
            }
        }
    }
}

/// Ends the `Loading` of an `update()` whose future was dropped half-way.
struct UpdateGuard<'a> {
    inner: &'a Inner,
    armed: bool,
}

impl Drop for UpdateGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.inner.state().updating = false;
            self.inner.notify();
        }
    }
}
