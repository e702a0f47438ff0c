//! The module layering of `tessera-client`, checked with the engine's checker
//! (`crates/tessera/tests/it/layering/check.rs`): every file under `src` sits in one layer
//! of [`TABLE`], and none refers to a file of a higher layer. The platform shims are a leaf,
//! so the client, the broadcast channel and the store never reach up into the browser glue.

#[path = "../../../tessera/tests/it/layering/check.rs"]
mod check;

use std::path::Path;

use check::Layers;

const LEAVES: usize = 0;
const CLIENT: usize = 1;
const STORE: usize = 2;
const GLUE: usize = 3;
const FACADE: usize = 4;

const NAMES: &[&str] = &["leaves", "client", "store", "browser glue", "facade"];

/// File path prefix (under `crates/tessera-client/src`) → layer.
const TABLE: &[(&str, usize)] = &[
    // 1. Leaves: the error type, the transport trait and its two implementations, and the
    //    platform shims (clock, location, URL parsing; cfg-split native/wasm32).
    ("error.rs", LEAVES),
    ("transport.rs", LEAVES),
    ("platform.rs", LEAVES),
    ("refusal.rs", LEAVES),
    // 2. The protocol client (with its password-account, email-code and two-factor calls)
    //    and the cross-tab channel (independent of each other).
    ("client.rs", CLIENT),
    ("password.rs", CLIENT),
    ("email_code.rs", CLIENT),
    ("two_factor.rs", CLIENT),
    ("broadcast.rs", CLIENT),
    // 3. The session store: SessionProvider's state machine over a client and a channel.
    ("store.rs", STORE),
    // 4. Browser glue (wasm32): window events, localStorage, navigation, timers.
    ("browser.rs", GLUE),
    // 5. The facade: re-exports.
    ("lib.rs", FACADE),
];

#[test]
fn client_modules_are_layered() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = check::read_sources(&src);
    let problems = check::problems(
        &files,
        &Layers {
            names: NAMES,
            table: TABLE,
        },
    );
    assert!(
        problems.is_empty(),
        "layering problems in crates/tessera-client/src:\n  {}",
        problems.join("\n  ")
    );
}
