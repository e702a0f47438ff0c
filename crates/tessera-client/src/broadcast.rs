//! Cross-tab messages, in next-auth/react's formats, so that Tessera tabs and next-auth
//! tabs of the same site keep each other up to date.
//!
//! * next-auth 4 (spec §9.6) writes `localStorage["nextauth.message"] =
//!   {"event":"session","data":{"trigger":"getSession"|"signout"},"timestamp":<unix seconds>}`
//!   and listens for `storage` events on that key, counting only well-formed messages
//!   ([`BroadcastMessage::from_storage_value`]).
//! * next-auth 5 posts `{event: "session", data: {trigger: "getSession"|"signout"}}` (an
//!   object, no timestamp) on `BroadcastChannel("next-auth")` ([`CHANNEL_NAME`]), and its
//!   listener refetches on *any* message of that channel
//!   ([`BroadcastMessage::from_channel_data`]).
//!
//! The browser implementations of [`Broadcast`] are in the `browser` module (wasm32);
//! [`LocalBroadcast`] simulates either channel in one process.

use std::sync::{Arc, Mutex, PoisonError, Weak};

use serde::Serialize;
use serde_json::Value;
use tessera_protocol::Compat;

use crate::platform::unix_seconds;
use crate::transport::{MaybeSend, MaybeSync};

/// The localStorage key of next-auth 4: `nextauth.message`.
pub const STORAGE_KEY: &str = tessera_protocol::cookie_names::BROADCAST_STORAGE_KEY;

/// The `BroadcastChannel` name of next-auth 5: `next-auth`.
pub const CHANNEL_NAME: &str = "next-auth";

/// Why a tab asks the others to refetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// The session was (re)fetched or updated.
    GetSession,
    /// The user signed out.
    Signout,
}

impl Trigger {
    /// `"getSession"` or `"signout"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Trigger::GetSession => "getSession",
            Trigger::Signout => "signout",
        }
    }
}

/// One cross-tab message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BroadcastMessage {
    /// Always `"session"` for messages that make tabs refetch.
    pub event: String,
    /// `{"trigger": …}`; next-auth only requires it to be truthy.
    pub data: Value,
    /// Unix seconds, set by the [`Broadcast`] implementation when posting to next-auth 4's
    /// channel (next-auth 5's messages have none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
}

impl BroadcastMessage {
    /// `{"event":"session","data":{"trigger":<trigger>}}`, without a timestamp yet.
    pub fn session(trigger: Trigger) -> Self {
        BroadcastMessage {
            event: "session".into(),
            data: serde_json::json!({ "trigger": trigger.as_str() }),
            timestamp: None,
        }
    }

    /// The same message with `timestamp` set.
    pub fn stamped(mut self, unix_seconds: u64) -> Self {
        self.timestamp = Some(unix_seconds);
        self
    }

    /// `data.trigger`, when it is a string.
    pub fn trigger(&self) -> Option<&str> {
        self.data.get("trigger").and_then(Value::as_str)
    }

    /// The JSON written to localStorage: `{"event":…,"data":…,"timestamp":…}` (without
    /// `timestamp` when there is none: next-auth 5's message).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a `storage` event's `newValue` the way next-auth does: the message counts only
    /// when it parses, `event` is `"session"` and `data` is truthy. Anything else is `None`.
    pub fn from_storage_value(new_value: Option<&str>) -> Option<Self> {
        // `from_slice`: the parser instance the client uses everywhere (smaller wasm).
        let value: Value = serde_json::from_slice(new_value.unwrap_or("{}").as_bytes()).ok()?;
        if value.get("event").and_then(Value::as_str) != Some("session") {
            return None;
        }
        let data = value.get("data").filter(|d| truthy(d))?.clone();
        let timestamp = value.get("timestamp").and_then(|t| {
            t.as_u64()
                .or_else(|| t.as_f64().filter(|f| f.is_finite() && *f >= 0.0).map(|f| f as u64))
        });
        Some(BroadcastMessage {
            event: "session".into(),
            data,
            timestamp,
        })
    }

    /// Reads a message of next-auth 5's `BroadcastChannel("next-auth")` (`event.data` as
    /// JSON text; `None` when it has no JSON form). next-auth 5 refetches on every message
    /// of the channel whatever it holds, so every message counts: `event` and `data` are
    /// taken when the message is an object with them (else `""` and `null`).
    pub fn from_channel_data(json: Option<&str>) -> Self {
        let value: Value = json
            .and_then(|text| serde_json::from_slice(text.as_bytes()).ok())
            .unwrap_or(Value::Null);
        let timestamp = value.get("timestamp").and_then(Value::as_u64);
        BroadcastMessage {
            event: value
                .get("event")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            data: value.get("data").cloned().unwrap_or(Value::Null),
            timestamp,
        }
    }
}

/// JavaScript truthiness of a JSON value.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// A handler for messages from other tabs (`Send + Sync` on native targets).
#[cfg(not(target_arch = "wasm32"))]
pub type MessageHandler = Arc<dyn Fn(BroadcastMessage) + Send + Sync>;
/// A handler for messages from other tabs (`Send + Sync` on native targets).
#[cfg(target_arch = "wasm32")]
pub type MessageHandler = Arc<dyn Fn(BroadcastMessage)>;

#[cfg(not(target_arch = "wasm32"))]
type Unsubscribe = Box<dyn FnOnce() + Send + Sync>;
#[cfg(target_arch = "wasm32")]
type Unsubscribe = Box<dyn FnOnce()>;

/// Keeps a [`Broadcast::subscribe`] registration alive; dropping it unsubscribes.
#[must_use = "dropping the subscription unsubscribes"]
pub struct BroadcastSubscription {
    on_drop: Option<Unsubscribe>,
}

impl BroadcastSubscription {
    /// Runs `unsubscribe` when dropped.
    pub fn new(unsubscribe: impl FnOnce() + MaybeSend + MaybeSync + 'static) -> Self {
        BroadcastSubscription {
            on_drop: Some(Box::new(unsubscribe)),
        }
    }

    /// A subscription with nothing to undo.
    pub fn none() -> Self {
        BroadcastSubscription { on_drop: None }
    }
}

impl Drop for BroadcastSubscription {
    fn drop(&mut self) {
        if let Some(f) = self.on_drop.take() {
            f();
        }
    }
}

impl std::fmt::Debug for BroadcastSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastSubscription").finish_non_exhaustive()
    }
}

/// The channel between the tabs of one browser profile.
///
/// Semantics to keep (they are localStorage's and `BroadcastChannel`'s): a tab does not
/// receive its own messages; every other subscribed tab receives each message once.
///
/// next-auth 4's channel (localStorage): a browser implementation should write with
/// `removeItem` then `setItem`, so that two identical messages in the same second still
/// produce a `storage` event (next-auth's plain `setItem` drops the second one), and ignore
/// storage errors (private mode), as next-auth does. next-auth 5's channel
/// (`BroadcastChannel("next-auth")`) posts the message as an object, without a timestamp.
pub trait Broadcast: MaybeSend + MaybeSync + 'static {
    /// Posts a message to the other tabs (adding the timestamp on next-auth 4's channel).
    fn post(&self, message: BroadcastMessage);

    /// Calls `handler` with every message that counts (see
    /// [`BroadcastMessage::from_storage_value`] and [`BroadcastMessage::from_channel_data`])
    /// posted by another tab, until the returned value is dropped.
    fn subscribe(&self, handler: MessageHandler) -> BroadcastSubscription;
}

/// No other tabs: posts go nowhere. The default of [`SessionStore`](crate::SessionStore).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBroadcast;

impl Broadcast for NoBroadcast {
    fn post(&self, _message: BroadcastMessage) {}

    fn subscribe(&self, _handler: MessageHandler) -> BroadcastSubscription {
        BroadcastSubscription::none()
    }
}

#[derive(Default)]
struct Bus {
    compat: Compat,
    next_id: u64,
    subscribers: Vec<(u64, u64, MessageHandler)>,
    last_value: Option<String>,
    posted: Vec<String>,
}

/// An in-process stand-in for localStorage's `storage` events (next-auth 4) or for
/// `BroadcastChannel("next-auth")` (next-auth 5, [`LocalBroadcast::with_compat`]): one
/// [`LocalBroadcast`] is a browser profile, each [`LocalBroadcast::tab`] is a tab. Messages
/// go through the same JSON and the same parsing rules as in a browser, so tests exercise
/// the wire format.
#[derive(Clone, Default)]
pub struct LocalBroadcast {
    bus: Arc<Mutex<Bus>>,
}

impl std::fmt::Debug for LocalBroadcast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBroadcast").finish_non_exhaustive()
    }
}

impl LocalBroadcast {
    /// A new, empty profile with next-auth 4's channel.
    pub fn new() -> Self {
        LocalBroadcast::default()
    }

    /// A new, empty profile with the channel of `compat`: next-auth 5's posts carry no
    /// timestamp and every message counts.
    pub fn with_compat(compat: Compat) -> Self {
        let profile = LocalBroadcast::default();
        profile.bus.lock().unwrap_or_else(PoisonError::into_inner).compat = compat;
        profile
    }

    /// A new tab of this profile.
    pub fn tab(&self) -> LocalTab {
        let mut bus = self.bus.lock().unwrap_or_else(PoisonError::into_inner);
        bus.next_id += 1;
        LocalTab {
            id: bus.next_id,
            bus: self.bus.clone(),
        }
    }

    /// Writes a raw value under the key (or posts it on the channel) as a foreign tab would
    /// (e.g. a next-auth tab): every subscribed tab sees it.
    pub fn set_item(&self, raw: &str) {
        deliver(&self.bus, 0, raw);
    }

    /// The value last written under the key (or posted on the channel).
    pub fn last_value(&self) -> Option<String> {
        self.bus
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .last_value
            .clone()
    }

    /// Every value written so far, in order.
    pub fn posted(&self) -> Vec<String> {
        self.bus.lock().unwrap_or_else(PoisonError::into_inner).posted.clone()
    }
}

/// Delivers `raw` to every subscriber except those of tab `from`.
fn deliver(bus: &Mutex<Bus>, from: u64, raw: &str) {
    let (compat, handlers): (Compat, Vec<MessageHandler>) = {
        let mut bus = bus.lock().unwrap_or_else(PoisonError::into_inner);
        bus.last_value = Some(raw.to_owned());
        bus.posted.push(raw.to_owned());
        let handlers = bus
            .subscribers
            .iter()
            .filter(|(tab, _, _)| *tab != from)
            .map(|(_, _, h)| h.clone())
            .collect();
        (bus.compat, handlers)
    };
    let message = match compat {
        Compat::NextAuthV4 => BroadcastMessage::from_storage_value(Some(raw)),
        Compat::AuthJsV5 => Some(BroadcastMessage::from_channel_data(Some(raw))),
    };
    if let Some(message) = message {
        for handler in handlers {
            handler(message.clone());
        }
    }
}

/// One tab of a [`LocalBroadcast`].
#[derive(Clone)]
pub struct LocalTab {
    id: u64,
    bus: Arc<Mutex<Bus>>,
}

impl std::fmt::Debug for LocalTab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTab").field("id", &self.id).finish_non_exhaustive()
    }
}

impl Broadcast for LocalTab {
    fn post(&self, message: BroadcastMessage) {
        let compat = self.bus.lock().unwrap_or_else(PoisonError::into_inner).compat;
        let message = match compat {
            Compat::NextAuthV4 => message.stamped(unix_seconds()),
            Compat::AuthJsV5 => message,
        };
        deliver(&self.bus, self.id, &message.to_json());
    }

    fn subscribe(&self, handler: MessageHandler) -> BroadcastSubscription {
        let key = {
            let mut bus = self.bus.lock().unwrap_or_else(PoisonError::into_inner);
            bus.next_id += 1;
            let key = bus.next_id;
            bus.subscribers.push((self.id, key, handler));
            key
        };
        let bus: Weak<Mutex<Bus>> = Arc::downgrade(&self.bus);
        BroadcastSubscription::new(move || {
            if let Some(bus) = bus.upgrade() {
                bus.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .subscribers
                    .retain(|(_, k, _)| *k != key);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_format_matches_next_auth() {
        let m = BroadcastMessage::session(Trigger::GetSession).stamped(1_795_346_707);
        assert_eq!(
            m.to_json(),
            r#"{"event":"session","data":{"trigger":"getSession"},"timestamp":1795346707}"#
        );
        assert_eq!(BroadcastMessage::from_storage_value(Some(&m.to_json())), Some(m));
    }

    #[test]
    fn parsing_follows_next_auth_rules() {
        let parse = BroadcastMessage::from_storage_value;
        assert!(parse(None).is_none());
        assert!(parse(Some("not json")).is_none());
        assert!(parse(Some(r#"{"event":"other","data":{}}"#)).is_none());
        assert!(parse(Some(r#"{"event":"session"}"#)).is_none());
        assert!(parse(Some(r#"{"event":"session","data":0}"#)).is_none());
        assert!(parse(Some(r#"{"event":"session","data":""}"#)).is_none());
        let m = parse(Some(r#"{"event":"session","data":{"trigger":"signout"}}"#)).unwrap();
        assert_eq!(m.trigger(), Some("signout"));
        assert_eq!(m.timestamp, None);
        assert!(parse(Some(r#"{"event":"session","data":true,"timestamp":1.5}"#)).is_some());
    }

    #[test]
    fn next_auth_5_counts_every_channel_message() {
        let parse = BroadcastMessage::from_channel_data;
        let m = parse(Some(r#"{"event":"session","data":{"trigger":"signout"}}"#));
        assert_eq!(
            (m.event.as_str(), m.trigger(), m.timestamp),
            ("session", Some("signout"), None)
        );
        assert_eq!(m.to_json(), r#"{"event":"session","data":{"trigger":"signout"}}"#);
        for other in [None, Some("not json"), Some("null"), Some("7"), Some(r#"{"event":1}"#)] {
            let m = parse(other);
            assert_eq!((m.event.as_str(), &m.data), ("", &Value::Null), "{other:?}");
        }
        assert_eq!(parse(Some(r#"{"event":"x","data":0}"#)).event, "x");
    }

    #[test]
    fn next_auth_5_profile_posts_without_timestamp_and_delivers_everything() {
        let profile = LocalBroadcast::with_compat(Compat::AuthJsV5);
        let (a, b) = (profile.tab(), profile.tab());
        let heard = Arc::new(Mutex::new(Vec::new()));
        let sink = heard.clone();
        let _sb = b.subscribe(Arc::new(move |m: BroadcastMessage| sink.lock().unwrap().push(m)));
        a.post(BroadcastMessage::session(Trigger::GetSession));
        profile.set_item("\"anything\"");
        assert_eq!(
            profile.posted(),
            [r#"{"event":"session","data":{"trigger":"getSession"}}"#, "\"anything\""]
        );
        let heard = heard.lock().unwrap();
        assert_eq!(heard.len(), 2);
        assert_eq!(heard[0], BroadcastMessage::session(Trigger::GetSession));
        assert_eq!(heard[1].event, "");
    }

    #[test]
    fn tabs_do_not_hear_themselves() {
        let profile = LocalBroadcast::new();
        let (a, b) = (profile.tab(), profile.tab());
        let heard = Arc::new(Mutex::new(Vec::new()));
        let sink = |name: &'static str| {
            let heard = heard.clone();
            Arc::new(move |m: BroadcastMessage| heard.lock().unwrap().push((name, m.trigger().map(str::to_owned))))
                as MessageHandler
        };
        let _sa = a.subscribe(sink("a"));
        let sb = b.subscribe(sink("b"));
        a.post(BroadcastMessage::session(Trigger::Signout));
        profile.set_item(r#"{"event":"session","data":{"trigger":"getSession"},"timestamp":1}"#);
        drop(sb);
        a.post(BroadcastMessage::session(Trigger::GetSession));
        assert_eq!(
            *heard.lock().unwrap(),
            [
                ("b", Some("signout".to_owned())),
                ("a", Some("getSession".to_owned())),
                ("b", Some("getSession".to_owned())),
            ]
        );
        assert_eq!(profile.posted().len(), 3);
        assert!(profile.last_value().unwrap().contains("\"timestamp\":"));
    }
}
