//! `<SessionProvider>` mounted in a real browser (scripts/wasm-test.sh), over a fake
//! transport: fetch on mount, no loading flash with an initial session, required sessions,
//! next-auth 5 mode on `BroadcastChannel("next-auth")`.

#![cfg(all(target_arch = "wasm32", feature = "csr"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use leptos::prelude::*;
use tessera_client::browser;
use tessera_client::{BoxFuture, ClientError, HttpRequest, HttpResponse, Transport};
use tessera_leptos::{Client, Compat, Session, SessionProvider, use_session, use_session_required};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const ADA: &str = r#"{"user":{"name":"Ada"},"expires":"2099-01-01T00:00:00.000Z"}"#;

/// `GET /session` answers `body` (counted), after a timer tick.
#[derive(Clone)]
struct Fake {
    body: &'static str,
    gets: Rc<Cell<u32>>,
}

impl Transport for Fake {
    fn send(&self, _request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, ClientError>> {
        self.gets.set(self.gets.get() + 1);
        let body = self.body.as_bytes().to_vec();
        Box::pin(async move {
            browser::sleep(Duration::from_millis(1)).await;
            Ok(HttpResponse { status: 200, body })
        })
    }
}

fn fake(body: &'static str) -> (Client, Rc<Cell<u32>>) {
    let gets = Rc::new(Cell::new(0));
    let fake = Fake {
        body,
        gets: gets.clone(),
    };
    (Client::with_transport("http://localhost:3000", fake).unwrap(), gets)
}

#[component]
fn Probe(id: &'static str) -> impl IntoView {
    let s = use_session();
    view! { <p id=id>{move || s.status.get().as_str()}</p> }
}

#[component]
fn RequiredProbe(id: &'static str, called: Callback<()>) -> impl IntoView {
    let s = use_session_required(Some(called));
    view! { <p id=id>{move || s.status.get().as_str()}</p> }
}

fn text(id: &str) -> String {
    let document = web_sys::window().unwrap().document().unwrap();
    document
        .get_element_by_id(id)
        .and_then(|e| e.text_content())
        .unwrap_or_default()
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
async fn fetches_on_mount_without_initial_session() {
    let (client, gets) = fake(ADA);
    let handle = leptos::mount::mount_to(document().body().unwrap(), move || {
        view! { <SessionProvider client=client><Probe id="a"/></SessionProvider> }
    });
    assert_eq!(text("a"), "loading");
    until("authenticated", || text("a") == "authenticated").await;
    assert_eq!(gets.get(), 1);
    drop(handle);
}

#[wasm_bindgen_test]
async fn initial_session_renders_at_once_without_a_fetch() {
    let (client, gets) = fake("{}");
    let session: Session = serde_json::from_str(ADA).unwrap();
    let handle = leptos::mount::mount_to(document().body().unwrap(), move || {
        view! { <SessionProvider client=client session=Some(session)><Probe id="b"/></SessionProvider> }
    });
    assert_eq!(text("b"), "authenticated");
    browser::sleep(Duration::from_millis(30)).await;
    assert_eq!(text("b"), "authenticated");
    assert_eq!(gets.get(), 0);
    drop(handle);
}

#[component]
fn CompatProbe(id: &'static str) -> impl IntoView {
    let s = use_session();
    let compat = s.store().client().compat_mode().as_str();
    view! { <p id=id>{move || format!("{} {compat}", s.status.get().as_str())}</p> }
}

#[wasm_bindgen_test]
async fn v5_provider_speaks_v5_and_listens_on_the_broadcast_channel() {
    let (client, gets) = fake("null");
    let handle = leptos::mount::mount_to(document().body().unwrap(), move || {
        view! {
            <SessionProvider client=client session=None compat=Compat::AuthJsV5>
                <CompatProbe id="v5"/>
            </SessionProvider>
        }
    });
    assert_eq!(text("v5"), "unauthenticated v5");
    assert_eq!(gets.get(), 0);
    // A next-auth 5 tab posts on the channel: the provider refetches.
    let other = web_sys::BroadcastChannel::new("next-auth").unwrap();
    let message = js_sys::JSON::parse(r#"{"event":"session","data":{"trigger":"getSession"}}"#).unwrap();
    other.post_message(&message).unwrap();
    until("the refetch", || gets.get() == 1).await;
    other.close();
    drop(handle);
}

#[wasm_bindgen_test]
async fn required_session_calls_on_unauthenticated() {
    let (client, _gets) = fake("{}");
    let called = Arc::new(AtomicU32::new(0));
    let count = called.clone();
    let handle = leptos::mount::mount_to(document().body().unwrap(), move || {
        let callback = Callback::new(move |()| {
            count.fetch_add(1, Ordering::SeqCst);
        });
        view! { <SessionProvider client=client><RequiredProbe id="c" called=callback/></SessionProvider> }
    });
    until("on_unauthenticated", || called.load(Ordering::SeqCst) == 1).await;
    assert_eq!(text("c"), "loading", "a required session never reports unauthenticated");
    drop(handle);
}

#[wasm_bindgen_test]
async fn a_session_embedded_in_the_page_is_the_initial_one() {
    let document = document();
    let script = document.create_element("script").unwrap();
    script.set_id(tessera_leptos::SESSION_SCRIPT_ID);
    script.set_attribute("type", "application/json").unwrap();
    document.body().unwrap().append_child(&script).unwrap();

    // A session: authenticated from the first render, no request.
    script.set_text_content(Some(ADA));
    let (client, gets) = fake("{}");
    let handle = leptos::mount::mount_to(document.body().unwrap(), move || {
        view! { <SessionProvider client=client><Probe id="e1"/></SessionProvider> }
    });
    assert_eq!(text("e1"), "authenticated");
    browser::sleep(Duration::from_millis(30)).await;
    assert_eq!((text("e1").as_str(), gets.get()), ("authenticated", 0));
    drop(handle);

    // `null`: known signed out, no request either.
    script.set_text_content(Some("null"));
    let (client, gets) = fake(ADA);
    let handle = leptos::mount::mount_to(document.body().unwrap(), move || {
        view! { <SessionProvider client=client><Probe id="e2"/></SessionProvider> }
    });
    assert_eq!(text("e2"), "unauthenticated");
    browser::sleep(Duration::from_millis(30)).await;
    assert_eq!((text("e2").as_str(), gets.get()), ("unauthenticated", 0));
    drop(handle);

    // Garbage is ignored: loading, then the fetch decides.
    script.set_text_content(Some("{\"user\":"));
    let (client, gets) = fake(ADA);
    let handle = leptos::mount::mount_to(document.body().unwrap(), move || {
        view! { <SessionProvider client=client><Probe id="e3"/></SessionProvider> }
    });
    assert_eq!(text("e3"), "loading");
    until("authenticated", || text("e3") == "authenticated").await;
    assert_eq!(gets.get(), 1);
    drop(handle);
    script.remove();
}
