//! `SessionStore` against the real demo server: the state machine of spec §9.7, in-flight
//! de-duplication, refetch rules, update, cross-tab sync, and failures.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::json;
use tessera_client::{
    Client, LocalBroadcast, SessionState, SessionStore, SignInOptions, SignInResponse, SignOutOptions, Status,
    StoreOptions,
};

use crate::common::{Demo, Recorder, eventually};

const WAIT: Duration = Duration::from_secs(10);

fn credentials() -> SignInOptions {
    SignInOptions::new()
        .redirect(false)
        .field("username", "demo")
        .field("password", "demo")
}

fn name(state: &SessionState) -> Option<String> {
    state.data.as_ref()?.user.as_ref()?.name.clone()
}

/// Records every state a store reports.
fn record(store: &SessionStore) -> (Arc<Mutex<Vec<SessionState>>>, tessera_client::Subscription) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let sub = store.subscribe(move |s| sink.lock().unwrap().push(s.clone()));
    (seen, sub)
}

fn statuses(seen: &Mutex<Vec<SessionState>>) -> Vec<Status> {
    let mut out: Vec<Status> = seen.lock().unwrap().iter().map(|s| s.status).collect();
    out.dedup();
    out
}

async fn signed_in_store(client: &Client, options: StoreOptions) -> SessionStore {
    let store = SessionStore::new(client.clone(), options);
    store.load().await.unwrap();
    let response = store.sign_in("credentials", credentials(), &[]).await.unwrap();
    assert!(
        matches!(response, SignInResponse::Complete(ref r) if r.ok),
        "{response:?}"
    );
    assert_eq!(store.status(), Status::Authenticated);
    store
}

#[tokio::test]
async fn loading_then_unauthenticated_then_authenticated_then_unauthenticated() {
    let demo = Demo::start();
    let (client, recorder) = demo.client();
    let store = SessionStore::new(client, StoreOptions::new());
    assert_eq!(store.status(), Status::Loading);
    assert_eq!(store.data(), None);
    let (seen, _sub) = record(&store);

    assert_eq!(store.load().await.unwrap(), None);
    assert_eq!(store.status(), Status::Unauthenticated);
    assert_eq!(recorder.session_gets(), 1);
    // Loaded: mounting again does not fetch.
    store.load().await.unwrap();
    assert_eq!(recorder.session_gets(), 1);

    // sign_in updates the calling store before it returns.
    store.sign_in("credentials", credentials(), &[]).await.unwrap();
    assert_eq!(store.status(), Status::Authenticated);
    assert_eq!(name(&store.state()).as_deref(), Some("Demo User"));

    store.sign_out(SignOutOptions::new().redirect(false)).await.unwrap();
    assert_eq!(store.status(), Status::Unauthenticated);
    assert_eq!(store.data(), None);

    assert_eq!(
        statuses(&seen),
        [Status::Unauthenticated, Status::Authenticated, Status::Unauthenticated]
    );
    assert!(seen.lock().unwrap().iter().all(|s| s.error.is_none()));
}

#[tokio::test]
async fn an_initial_session_means_no_fetch() {
    let demo = Demo::start();
    let (client, recorder) = demo.client();

    let signed_out = SessionStore::new(client.clone(), StoreOptions::new().initial(None));
    assert_eq!(signed_out.status(), Status::Unauthenticated);
    assert_eq!(signed_out.load().await.unwrap(), None);
    signed_out.on_focus().await;
    signed_out.poll().await;
    assert_eq!(recorder.session_gets(), 0);

    // A session rendered by the server.
    let probe = signed_in_store(&client, StoreOptions::new()).await;
    let session = probe.data().unwrap();
    recorder.clear();
    let store = SessionStore::new(client.clone(), StoreOptions::new().initial(Some(session.clone())));
    assert_eq!(store.status(), Status::Authenticated);
    assert_eq!(store.load().await.unwrap(), Some(session));
    assert_eq!(recorder.session_gets(), 0);

    // The driver mounts without fetching too.
    let driver = tokio::spawn(store.run(tokio::time::sleep));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(recorder.session_gets(), 0);
    drop(store);
    tokio::time::timeout(WAIT, driver)
        .await
        .expect("the driver ends with the store")
        .unwrap();
}

#[tokio::test]
async fn ten_concurrent_callers_make_one_request() {
    let demo = Demo::start();
    let (client, recorder) = demo.client();

    // Ten components mounting at once.
    let store = SessionStore::new(client.clone(), StoreOptions::new());
    let results = join_all((0..10).map(|_| store.load())).await;
    assert!(results.iter().all(|r| r == &Ok(None)));
    assert_eq!(recorder.session_gets(), 1);

    // Ten refreshes at once, signed in, from several threads.
    let store = signed_in_store(&client, StoreOptions::new()).await;
    recorder.clear();
    let handles: Vec<_> = (0..10)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.refresh().await })
        })
        .collect();
    let results: Vec<_> = join_all(handles).await.into_iter().map(Result::unwrap).collect();
    assert!(results.iter().all(|r| r.as_ref().unwrap().is_some()));
    assert!(results.windows(2).all(|w| w[0] == w[1]));
    // Spawned tasks may start after the first answer; still far fewer than ten.
    assert!(recorder.session_gets() <= 2, "{} requests", recorder.session_gets());

    recorder.clear();
    let results = join_all((0..10).map(|_| store.refresh())).await;
    assert!(results.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(recorder.session_gets(), 1);

    // Focus and poll at the same time share it too.
    recorder.clear();
    let ((), (), refreshed) = tokio::join!(store.on_focus(), store.poll(), store.refresh());
    assert!(refreshed.unwrap().is_some());
    assert_eq!(recorder.session_gets(), 1);
}

#[tokio::test]
async fn focus_and_poll_do_not_call_the_server_while_signed_out() {
    let demo = Demo::start();
    let (client, recorder) = demo.client();

    let store = SessionStore::new(client.clone(), StoreOptions::new().refetch_when_offline(false));
    store.load().await.unwrap();
    recorder.clear();
    store.on_focus().await;
    store.poll().await;
    assert_eq!(recorder.session_gets(), 0);

    store.sign_in("credentials", credentials(), &[]).await.unwrap();
    recorder.clear();
    store.on_focus().await;
    assert_eq!(recorder.session_gets(), 1);
    store.poll().await;
    assert_eq!(recorder.session_gets(), 2);

    // refetchWhenOffline: false pauses polling while offline (focus still refetches).
    store.on_online(false);
    store.poll().await;
    assert_eq!(recorder.session_gets(), 2);
    store.on_online(true);
    store.poll().await;
    assert_eq!(recorder.session_gets(), 3);

    // refetchOnWindowFocus: false.
    let quiet = SessionStore::new(client, StoreOptions::new().refetch_on_window_focus(false));
    quiet.load().await.unwrap();
    recorder.clear();
    quiet.on_focus().await;
    assert_eq!(recorder.session_gets(), 0);
}

#[tokio::test]
async fn polling_driver() {
    let demo = Demo::start();
    let (client, recorder) = demo.client();
    let options = StoreOptions::new().refetch_interval(Duration::from_millis(100));

    // Signed out: the driver mounts (one fetch) and then never polls.
    let store = SessionStore::new(client.clone(), options.clone());
    let driver = tokio::spawn(store.run(tokio::time::sleep));
    eventually("mount fetch", WAIT, || store.status() == Status::Unauthenticated).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(recorder.session_gets(), 1);
    drop(store);
    tokio::time::timeout(WAIT, driver).await.unwrap().unwrap();

    // Signed in: it polls.
    let store = signed_in_store(&client, options.clone()).await;
    recorder.clear();
    let driver = tokio::spawn(store.run(tokio::time::sleep));
    eventually("three polls", WAIT, || recorder.session_gets() >= 3).await;

    // Offline with refetch_when_offline(false): no polls. (Default: polls go on.)
    let paused = signed_in_store(&client, options.refetch_when_offline(false)).await;
    let paused_driver = tokio::spawn(paused.run(tokio::time::sleep));
    paused.on_online(false);
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(store);
    tokio::time::timeout(WAIT, driver).await.unwrap().unwrap();
    recorder.clear();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(recorder.session_gets(), 0);
    paused.on_online(true);
    eventually("polling resumes online", WAIT, || recorder.session_gets() >= 2).await;
    drop(paused);
    tokio::time::timeout(WAIT, paused_driver).await.unwrap().unwrap();
}

#[tokio::test]
async fn update_semantics() {
    let demo = Demo::start();
    let (client, recorder) = demo.client();

    // While loading: nothing.
    let loading = SessionStore::new(client.clone(), StoreOptions::new());
    assert_eq!(loading.update(Some(json!({ "name": "x" }))).await.unwrap(), None);
    assert_eq!(recorder.requests().len(), 0);
    assert_eq!(loading.status(), Status::Loading);

    // Signed out: nothing.
    loading.load().await.unwrap();
    recorder.clear();
    assert_eq!(loading.update(Some(json!({ "name": "x" }))).await.unwrap(), None);
    assert_eq!(recorder.requests().len(), 0);

    // Signed in: loading (data kept), then the new session, in this store at once.
    let store = signed_in_store(&client, StoreOptions::new()).await;
    let (seen, _sub) = record(&store);
    recorder.clear();
    let updated = store
        .update(Some(json!({ "name": "Grace Hopper" })))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.user.unwrap().name.as_deref(), Some("Grace Hopper"));
    assert_eq!(name(&store.state()).as_deref(), Some("Grace Hopper"));
    assert_eq!(store.status(), Status::Authenticated);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].status, Status::Loading);
    assert_eq!(
        name(&seen[0]).as_deref(),
        Some("Demo User"),
        "the data stays while updating"
    );
    assert_eq!(seen[1].status, Status::Authenticated);
    assert_eq!(name(&seen[1]).as_deref(), Some("Grace Hopper"));
    assert_eq!(recorder.requests().len(), 2, "GET /csrf, POST /session");
    assert_eq!(recorder.session_gets(), 0);
}

#[tokio::test]
async fn two_tabs_stay_in_step() {
    let demo = Demo::start();
    let (client, recorder) = demo.client();
    let profile = LocalBroadcast::new();
    let tab = |client: &Client| SessionStore::new(client.clone(), StoreOptions::new().broadcast(profile.tab()));
    let (a, b) = (tab(&client), tab(&client));
    let drivers = [
        tokio::spawn(a.run(tokio::time::sleep)),
        tokio::spawn(b.run(tokio::time::sleep)),
    ];
    eventually("both mounted", WAIT, || {
        a.status() == Status::Unauthenticated && b.status() == Status::Unauthenticated
    })
    .await;
    assert!(
        profile.posted().is_empty(),
        "mounting tells no one: {:?}",
        profile.posted()
    );

    // Sign in in A: A is signed in when sign_in returns, B follows.
    a.sign_in("credentials", credentials(), &[]).await.unwrap();
    assert_eq!(a.status(), Status::Authenticated);
    eventually("B signed in", WAIT, || b.status() == Status::Authenticated).await;
    let message: serde_json::Value = serde_json::from_str(&profile.last_value().unwrap()).unwrap();
    assert_eq!(message["event"], "session");
    assert_eq!(message["data"], json!({ "trigger": "getSession" }));
    assert!(message["timestamp"].as_u64().unwrap() > 1_700_000_000);

    // Update in A: A at once, B follows.
    a.update(Some(json!({ "name": "Tab A" }))).await.unwrap();
    assert_eq!(name(&a.state()).as_deref(), Some("Tab A"));
    eventually("B renamed", WAIT, || name(&b.state()).as_deref() == Some("Tab A")).await;

    // A focus refetch that finds nothing new posts nothing.
    let posted = profile.posted().len();
    a.on_focus().await;
    assert_eq!(profile.posted().len(), posted);

    // Sign out in A: a `signout` message, B follows.
    a.sign_out(SignOutOptions::new().redirect(false)).await.unwrap();
    assert_eq!(a.status(), Status::Unauthenticated);
    let message: serde_json::Value = serde_json::from_str(&profile.last_value().unwrap()).unwrap();
    assert_eq!(message["data"], json!({ "trigger": "signout" }));
    eventually("B signed out", WAIT, || b.status() == Status::Unauthenticated).await;

    // A message from a next-auth tab (its exact format) makes both refetch.
    recorder.clear();
    profile.set_item(r#"{"event":"session","data":{"trigger":"getSession"},"timestamp":1795346707}"#);
    eventually("both refetch", WAIT, || recorder.session_gets() == 2).await;
    // Messages that next-auth would ignore are ignored.
    profile.set_item(r#"{"event":"session"}"#);
    profile.set_item("garbage");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(recorder.session_gets(), 2);

    drop((a, b));
    for driver in drivers {
        tokio::time::timeout(WAIT, driver).await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn a_failed_refetch_keeps_the_session() {
    let mut demo = Demo::start();
    let (client, _) = demo.client();
    let store = signed_in_store(&client, StoreOptions::new()).await;
    let before = store.data();
    let (seen, _sub) = record(&store);

    demo.stop();
    let err = store.refresh().await.unwrap_err();
    assert!(err.is_network(), "{err:?}");
    let state = store.state();
    assert_eq!(state.status, Status::Authenticated, "no signed-out flash");
    assert_eq!(state.data, before);
    assert_eq!(state.error, Some(err.clone()));
    store.on_focus().await;
    assert_eq!(store.status(), Status::Authenticated);
    assert!(seen.lock().unwrap().iter().all(|s| s.status == Status::Authenticated));

    // update() fails the same way: the session stays, loading ends.
    assert!(
        store
            .update(Some(json!({ "name": "x" })))
            .await
            .unwrap_err()
            .is_network()
    );
    assert_eq!(store.status(), Status::Authenticated);
    assert_eq!(store.data(), before);

    // A store that never reached the server: unauthenticated with the error, and the
    // next focus asks again (the session is unknown, not "signed out").
    let (fresh_client, recorder) = demo.client();
    let fresh = SessionStore::new(fresh_client, StoreOptions::new());
    assert!(fresh.load().await.is_err());
    assert_eq!(fresh.status(), Status::Unauthenticated);
    assert!(fresh.state().error.unwrap().is_network());
    fresh.on_focus().await;
    assert_eq!(recorder.session_gets(), 2);
}

#[tokio::test]
async fn a_late_answer_from_before_sign_out_is_dropped() {
    let demo = Demo::start();
    let recorder = Recorder::new();
    let client = Client::with_transport(&demo.url(), recorder.clone()).unwrap();
    let store = signed_in_store(&client, StoreOptions::new()).await;

    // A poll whose (signed-in) answer arrives only after the sign-out.
    recorder.delay_next_session(Duration::from_millis(1000));
    let slow = {
        let store = store.clone();
        tokio::spawn(async move { store.poll().await })
    };
    eventually("the slow poll is sent", WAIT, || recorder.session_gets() >= 3).await;
    store.sign_out(SignOutOptions::new().redirect(false)).await.unwrap();
    assert_eq!(store.status(), Status::Unauthenticated);
    slow.await.unwrap();
    assert_eq!(store.status(), Status::Unauthenticated, "the stale answer lost");
}
