//! `Session`/`SessionUser` are (de)serialised by hand (no `#[serde(flatten)]`, which is
//! large in wasm builds). These tests pin that they behave exactly like the derive they
//! replaced: same JSON out, same values in, and errors on the same inputs.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tessera_protocol::{Session, SessionUser};

/// The former derive of `Session`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
struct Derived {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user: Option<DerivedUser>,
    #[serde(default)]
    expires: String,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// The former derive of `SessionUser`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
struct DerivedUser {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    image: Option<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

fn to_derived(s: &Session) -> Derived {
    Derived {
        user: s.user.as_ref().map(|u| DerivedUser {
            name: u.name.clone(),
            email: u.email.clone(),
            image: u.image.clone(),
            extra: u.extra.clone(),
        }),
        expires: s.expires.clone(),
        extra: s.extra.clone(),
    }
}

const INPUTS: &[&str] = &[
    r#"{}"#,
    r#"{"expires":"x"}"#,
    r#"{"user":null,"expires":"x"}"#,
    r#"{"user":{},"expires":"x"}"#,
    r#"{"user":{"email":"a@b.c"},"expires":"x"}"#,
    r#"{"user":{"name":"A","email":null,"image":null,"id":"7"},"expires":"x","role":"admin"}"#,
    r#"{"role":"admin","expires":"x","user":{"id":7,"name":"A"},"n":1.5,"big":18446744073709551615,"neg":-3}"#,
    r#"{"a":{"nested":[1,"two",null,true,{"k":"v"}]},"expires":"2026-12-22T11:24:55.705Z","z":false}"#,
    r#"{"extra":1,"expires":"x","a":1,"a":2}"#,
    r#"{"user":{"name":"A","extra":{"x":1},"name2":"B"},"expires":"x"}"#,
    r#"{"expires":"\u00e9\ud83d\ude00","user":{"image":"http://x/\"y\""}}"#,
    // Errors.
    r#"{"expires":null}"#,
    r#"{"expires":1}"#,
    r#"{"user":1,"expires":"x"}"#,
    r#"{"user":{"name":1},"expires":"x"}"#,
    r#"{"user":[],"expires":"x"}"#,
    r#"{"user":null,"user":null}"#,
    r#"{"expires":"a","expires":"b"}"#,
    r#"{"user":{"name":"a","name":"b"}}"#,
    r#"["x"]"#,
    r#"[]"#,
    r#""x""#,
    r#"null"#,
    r#"{"expires":"x""#,
    r#"{"expires":"x",}"#,
];

#[test]
fn same_as_the_derive_from_json() {
    for input in INPUTS {
        let ours = serde_json::from_str::<Session>(input);
        let derived = serde_json::from_str::<Derived>(input);
        match (&ours, &derived) {
            (Ok(ours), Ok(derived)) => {
                assert_eq!(&to_derived(ours), derived, "{input}");
                assert_eq!(
                    serde_json::to_string(ours).unwrap(),
                    serde_json::to_string(derived).unwrap(),
                    "{input}"
                );
                assert_eq!(
                    serde_json::to_value(ours).unwrap(),
                    serde_json::to_value(derived).unwrap(),
                    "{input}"
                );
            }
            (Err(_), Err(_)) => {}
            _ => panic!("{input}: ours {ours:?}, derive {derived:?}"),
        }
    }
}

#[test]
fn same_as_the_derive_from_a_value() {
    for input in INPUTS {
        let Ok(value) = serde_json::from_str::<Value>(input) else {
            continue;
        };
        let ours = serde_json::from_value::<Session>(value.clone());
        let derived = serde_json::from_value::<Derived>(value);
        match (&ours, &derived) {
            (Ok(ours), Ok(derived)) => assert_eq!(&to_derived(ours), derived, "{input}"),
            (Err(_), Err(_)) => {}
            _ => panic!("{input}: ours {ours:?}, derive {derived:?}"),
        }
    }
}

#[test]
fn user_alone_matches_the_derive() {
    for input in [
        r#"{}"#,
        r#"{"id":"1","name":"A"}"#,
        r#"{"image":"i","email":"e","name":"n","z":{"y":[]}}"#,
        r#"{"name":null}"#,
        r#"{"name":true}"#,
    ] {
        let ours = serde_json::from_str::<SessionUser>(input);
        let derived = serde_json::from_str::<DerivedUser>(input);
        match (&ours, &derived) {
            (Ok(ours), Ok(derived)) => {
                assert_eq!(ours.name, derived.name);
                assert_eq!(ours.extra, derived.extra);
                assert_eq!(
                    serde_json::to_string(ours).unwrap(),
                    serde_json::to_string(derived).unwrap(),
                    "{input}"
                );
            }
            (Err(_), Err(_)) => {}
            _ => panic!("{input}: ours {ours:?}, derive {derived:?}"),
        }
    }
}

#[test]
fn serialisation_matches_the_derive() {
    let mut extra = Map::new();
    extra.insert("b".into(), Value::from(1));
    extra.insert("a".into(), Value::from("x"));
    // A key colliding with a field is written twice, as the derive does.
    extra.insert("expires".into(), Value::Null);
    let session = Session {
        user: Some(SessionUser {
            name: None,
            email: Some("e".into()),
            image: None,
            extra: extra.clone(),
        }),
        expires: "t".into(),
        extra,
    };
    assert_eq!(
        serde_json::to_string(&session).unwrap(),
        serde_json::to_string(&to_derived(&session)).unwrap()
    );
    let empty = Session::default();
    assert_eq!(serde_json::to_string(&empty).unwrap(), r#"{"expires":""}"#);
    assert_eq!(
        serde_json::to_string(&empty).unwrap(),
        serde_json::to_string(&to_derived(&empty)).unwrap()
    );
}
#[test]
fn errors_read_like_the_derive() {
    for input in INPUTS {
        let ours = serde_json::from_str::<Session>(input).err().map(|e| e.to_string());
        let derived = serde_json::from_str::<Derived>(input).err().map(|e| {
            e.to_string()
                .replace("DerivedUser", "SessionUser")
                .replace("Derived", "Session")
        });
        assert_eq!(ours, derived, "{input}");
    }
}
