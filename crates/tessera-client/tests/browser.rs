//! In a real browser (`scripts/wasm-test.sh`: headless Chromium through chromedriver):
//! `LocalStorageBroadcast` against next-auth's wire format and `storage` events,
//! `ChannelBroadcast` against next-auth 5's `BroadcastChannel("next-auth")`, the
//! `setTimeout` sleep, and `SessionStore` with a fake transport, driven by `browser::start`.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::arc_with_non_send_sync)]

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use tessera_client::browser::{self, ChannelBroadcast, LocalStorageBroadcast};
use tessera_client::{
    BoxFuture, Broadcast, BroadcastMessage, CHANNEL_NAME, Client, ClientError, Compat, HttpRequest, HttpResponse,
    Method, STORAGE_KEY, SessionStore, Status, StoreOptions, Trigger,
};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

/// What another tab's write looks like to this one.
fn foreign_write(key: &str, new_value: Option<&str>) {
    let init = web_sys::StorageEventInit::new();
    init.set_key(Some(key));
    init.set_new_value(new_value);
    let event = web_sys::StorageEvent::new_with_event_init_dict("storage", &init).unwrap();
    web_sys::window().unwrap().dispatch_event(&event).unwrap();
}

#[wasm_bindgen_test]
fn posts_next_auth_format() {
    storage().remove_item(STORAGE_KEY).unwrap();
    LocalStorageBroadcast::new().post_at(BroadcastMessage::session(Trigger::GetSession), 1_795_346_707);
    assert_eq!(
        storage().get_item(STORAGE_KEY).unwrap().as_deref(),
        Some(r#"{"event":"session","data":{"trigger":"getSession"},"timestamp":1795346707}"#)
    );

    let now = (js_sys::Date::now() / 1000.0) as u64;
    LocalStorageBroadcast::new().post(BroadcastMessage::session(Trigger::Signout));
    let raw = storage().get_item(STORAGE_KEY).unwrap().unwrap();
    let m = BroadcastMessage::from_storage_value(Some(&raw)).unwrap();
    assert_eq!(m.trigger(), Some("signout"));
    assert!(m.timestamp.unwrap().abs_diff(now) <= 1, "{raw}");
}

#[wasm_bindgen_test]
fn hears_only_valid_messages_on_its_key_until_dropped() {
    let heard = Rc::new(RefCell::new(Vec::new()));
    let sink = heard.clone();
    let subscription = LocalStorageBroadcast::new().subscribe(Arc::new(move |m: BroadcastMessage| {
        sink.borrow_mut().push(m.trigger().map(str::to_owned));
    }));
    // A next-auth tab.
    foreign_write(
        STORAGE_KEY,
        Some(r#"{"event":"session","data":{"trigger":"signout"},"timestamp":1}"#),
    );
    foreign_write(
        "other.key",
        Some(r#"{"event":"session","data":{"trigger":"getSession"}}"#),
    );
    foreign_write(STORAGE_KEY, Some("not json"));
    foreign_write(STORAGE_KEY, Some(r#"{"event":"session","data":0}"#));
    foreign_write(STORAGE_KEY, None);
    foreign_write(
        STORAGE_KEY,
        Some(r#"{"event":"session","data":{"trigger":"getSession"}}"#),
    );
    drop(subscription);
    foreign_write(STORAGE_KEY, Some(r#"{"event":"session","data":{"trigger":"signout"}}"#));
    assert_eq!(
        *heard.borrow(),
        [Some("signout".to_owned()), Some("getSession".to_owned())]
    );
}

/// Another tab's `BroadcastChannel("next-auth")`: what it receives (as JSON text), and a way
/// to post as next-auth 5 does.
struct OtherTab {
    channel: web_sys::BroadcastChannel,
    received: Rc<RefCell<Vec<String>>>,
    _listener: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

impl OtherTab {
    fn open() -> OtherTab {
        let channel = web_sys::BroadcastChannel::new(CHANNEL_NAME).unwrap();
        let received = Rc::new(RefCell::new(Vec::new()));
        let sink = received.clone();
        let listener = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let text = js_sys::JSON::stringify(&e.data()).unwrap();
            sink.borrow_mut().push(String::from(text));
        });
        channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
        OtherTab {
            channel,
            received,
            _listener: listener,
        }
    }

    /// `postMessage` of a JS value written as JSON.
    fn post(&self, json: &str) {
        self.channel.post_message(&js_sys::JSON::parse(json).unwrap()).unwrap();
    }
}

impl Drop for OtherTab {
    fn drop(&mut self) {
        self.channel.close();
    }
}

#[wasm_bindgen_test]
async fn channel_posts_next_auth_5s_object_without_timestamp() {
    let other = OtherTab::open();
    let channel = ChannelBroadcast::new();
    // A timestamp given by the caller is dropped: next-auth 5's messages have none.
    channel.post(BroadcastMessage::session(Trigger::GetSession).stamped(1));
    channel.post(BroadcastMessage::session(Trigger::Signout));
    until("two messages", || other.received.borrow().len() == 2).await;
    assert_eq!(
        *other.received.borrow(),
        [
            r#"{"event":"session","data":{"trigger":"getSession"}}"#,
            r#"{"event":"session","data":{"trigger":"signout"}}"#
        ]
    );
}

#[wasm_bindgen_test]
async fn channel_hears_every_message_of_other_tabs_not_its_own_until_dropped() {
    let other = OtherTab::open();
    let channel = ChannelBroadcast::new();
    let heard = Rc::new(RefCell::new(Vec::new()));
    let sink = heard.clone();
    let subscription = channel.subscribe(Arc::new(move |m: BroadcastMessage| {
        sink.borrow_mut()
            .push((m.event.clone(), m.trigger().map(str::to_owned)));
    }));
    channel.post(BroadcastMessage::session(Trigger::GetSession));
    other.post(r#"{"event":"session","data":{"trigger":"signout"}}"#);
    other.post("42");
    until("two messages heard", || heard.borrow().len() == 2).await;
    assert_eq!(
        *heard.borrow(),
        [
            ("session".to_owned(), Some("signout".to_owned())),
            (String::new(), None)
        ]
    );
    drop(subscription);
    other.post(r#"{"event":"session","data":{"trigger":"getSession"}}"#);
    // Messages are delivered in order: once a later probe has arrived, the one before it
    // would have too.
    let probe = OtherTab::open();
    other.post("1");
    until("the probe", || probe.received.borrow().len() == 1).await;
    browser::sleep(Duration::from_millis(20)).await;
    assert_eq!(heard.borrow().len(), 2, "nothing after the subscription was dropped");
}

#[wasm_bindgen_test]
async fn sleep_uses_set_timeout() {
    let start = js_sys::Date::now();
    browser::sleep(Duration::from_millis(30)).await;
    assert!(js_sys::Date::now() - start >= 25.0);
    // Dropped before it fires: cleared, no panic later.
    drop(browser::sleep(Duration::from_millis(1)));
    browser::sleep(Duration::from_millis(5)).await;
}

#[wasm_bindgen_test]
fn location_is_the_test_page() {
    let href = browser::location_href().unwrap();
    assert!(href.starts_with("http://"), "{href}");
    let client = browser::client(None).unwrap();
    assert_eq!(client.current_location(), href);
    assert_eq!(
        client.url("session"),
        format!("{}/api/auth/session", browser::location_origin().unwrap())
    );
}

/// `FetchTransport` against the test runner's own server (same origin): any answer is
/// an `HttpResponse` (here a 404), an unreachable server is `ClientError::Network`.
#[wasm_bindgen_test]
async fn fetch_transport_reads_status_and_body() {
    use tessera_client::{FetchTransport, Transport};
    let origin = browser::location_origin().unwrap();
    let request = HttpRequest {
        method: Method::Post,
        url: format!("{origin}/tessera-no-such-path"),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Some("{}".into()),
    };
    let response = FetchTransport::new().send(request).await.unwrap();
    assert!(!response.ok(), "{}", response.status);
    assert!(response.status >= 400, "{}", response.status);

    let request = HttpRequest {
        method: Method::Get,
        url: "http://127.0.0.1:1/api/auth/session".into(),
        headers: Vec::new(),
        body: None,
    };
    let error = FetchTransport::new().send(request).await.unwrap_err();
    assert!(error.is_network(), "{error:?}");
}

#[wasm_bindgen_test]
fn base_urls_parse_with_the_browsers_url() {
    let b = tessera_client::BaseUrl::parse("http://EXAMPLE.com:80/x/").unwrap();
    assert_eq!((b.origin.as_str(), b.path.as_str()), ("http://example.com", "/x"));
    let b = tessera_client::BaseUrl::parse("example.com").unwrap();
    assert_eq!(
        (b.origin.as_str(), b.path.as_str()),
        ("https://example.com", "/api/auth")
    );
    assert!(matches!(
        tessera_client::BaseUrl::parse("http//x"),
        Err(ClientError::InvalidUrl { .. })
    ));
    assert!(tessera_client::BaseUrl::parse("httpx://a").is_err());
}

/// A server in memory: `GET /session` answers the current session, `GET /csrf` a token,
/// `POST /session` renames the user.
#[derive(Clone, Default)]
struct Fake {
    name: Rc<RefCell<Option<String>>>,
    session_gets: Rc<Cell<u32>>,
}

impl tessera_client::Transport for Fake {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, ClientError>> {
        let body = match (request.method, request.url.rsplit('/').next().unwrap()) {
            (Method::Get, "csrf") => r#"{"csrfToken":"t"}"#.to_owned(),
            (Method::Get, "session") => {
                self.session_gets.set(self.session_gets.get() + 1);
                self.session_json()
            }
            (Method::Post, "session") => {
                let v: serde_json::Value = serde_json::from_str(request.body.as_deref().unwrap()).unwrap();
                assert_eq!(v["csrfToken"], "t");
                if let Some(name) = v["data"]["name"].as_str() {
                    *self.name.borrow_mut() = Some(name.to_owned());
                }
                self.session_json()
            }
            other => panic!("unexpected {other:?}"),
        };
        Box::pin(async move {
            browser::sleep(Duration::from_millis(1)).await;
            Ok(HttpResponse {
                status: 200,
                body: body.into_bytes(),
            })
        })
    }
}

impl Fake {
    fn session_json(&self) -> String {
        match self.name.borrow().as_deref() {
            Some(name) => {
                serde_json::json!({"user": {"name": name}, "expires": "2099-01-01T00:00:00.000Z"}).to_string()
            }
            None => "{}".to_owned(),
        }
    }
}

#[wasm_bindgen_test]
async fn v5_store_in_the_browser() {
    let fake = Fake::default();
    *fake.name.borrow_mut() = Some("Ada".into());
    let client = Client::with_transport("http://localhost:3000", fake.clone())
        .unwrap()
        .compat(Compat::AuthJsV5);
    let other = OtherTab::open();
    let store = SessionStore::new(client, browser::tab_options(Compat::AuthJsV5));
    let events = browser::start(&store);
    until("the first fetch", || store.status() == Status::Authenticated).await;

    // update(): the other tab is told on next-auth 5's channel.
    store.update(Some(serde_json::json!({"name": "Grace"}))).await.unwrap();
    until("the update message", || !other.received.borrow().is_empty()).await;
    assert_eq!(
        other.received.borrow()[0],
        r#"{"event":"session","data":{"trigger":"getSession"}}"#
    );

    // A next-auth 5 tab signs out: this one refetches.
    *fake.name.borrow_mut() = None;
    other.post(r#"{"event":"session","data":{"trigger":"signout"}}"#);
    until("the refetch after the channel message", || {
        store.status() == Status::Unauthenticated
    })
    .await;
    drop(events);
}

fn name(store: &SessionStore) -> Option<String> {
    store.data().and_then(|s| s.user).and_then(|u| u.name)
}

async fn until(what: &str, f: impl Fn() -> bool) {
    for _ in 0..200 {
        if f() {
            return;
        }
        browser::sleep(Duration::from_millis(5)).await;
    }
    panic!("timed out waiting for {what}");
}

#[wasm_bindgen_test]
async fn store_in_the_browser() {
    let fake = Fake::default();
    *fake.name.borrow_mut() = Some("Ada".into());
    let client = Client::with_transport("http://localhost:3000", fake.clone()).unwrap();
    let store = SessionStore::new(client, StoreOptions::new().broadcast(LocalStorageBroadcast::new()));
    assert_eq!(store.status(), Status::Loading);

    // The driver fetches on start.
    let events = browser::start(&store);
    until("the first fetch", || store.status() == Status::Authenticated).await;
    assert_eq!(name(&store).as_deref(), Some("Ada"));
    assert_eq!(fake.session_gets.get(), 1);

    // update(): applied at once, and the other tabs are told in next-auth's format.
    storage().remove_item(STORAGE_KEY).unwrap();
    let updated = store.update(Some(serde_json::json!({"name": "Grace"}))).await.unwrap();
    assert_eq!(
        updated.and_then(|s| s.user).and_then(|u| u.name).as_deref(),
        Some("Grace")
    );
    assert_eq!(name(&store).as_deref(), Some("Grace"));
    let raw = storage().get_item(STORAGE_KEY).unwrap().unwrap();
    assert!(
        raw.starts_with(r#"{"event":"session","data":{"trigger":"getSession"},"timestamp":"#),
        "{raw}"
    );

    // Another tab signs out: this one refetches.
    *fake.name.borrow_mut() = None;
    foreign_write(
        STORAGE_KEY,
        Some(r#"{"event":"session","data":{"trigger":"signout"},"timestamp":2}"#),
    );
    until("the refetch after the storage event", || {
        store.status() == Status::Unauthenticated
    })
    .await;
    assert_eq!(fake.session_gets.get(), 2);

    // Offline/online events reach the store without panicking.
    web_sys::window()
        .unwrap()
        .dispatch_event(&web_sys::Event::new("offline").unwrap())
        .unwrap();
    web_sys::window()
        .unwrap()
        .dispatch_event(&web_sys::Event::new("online").unwrap())
        .unwrap();
    drop(events);
}
