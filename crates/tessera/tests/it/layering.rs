//! The engine's module layering (code review §1.2), checked: every file under `src` sits in
//! one layer of [`TABLE`], and no file refers to a file of a higher layer (`use crate::…`,
//! inline `crate::…::f()`, `super::…`; doc links and `#[cfg(test)]` code do not count).
//! Same-layer references are allowed, but not a cycle between top-level modules through
//! them. A new file fails this test until it is placed in the table.

mod check;

use std::collections::BTreeMap;
use std::path::Path;

use check::Layers;

const LEAVES: usize = 0;
const OUTBOUND: usize = 1;
const MODELS: usize = 2;
const CONFIG: usize = 3;
const FLOWS: usize = 4;
const ROUTES: usize = 5;
const FACADE: usize = 6;

const NAMES: &[&str] = &["leaves", "outbound", "models", "config", "flows", "routes", "facade"];

/// File path prefix (under `crates/tessera/src`) → layer; the longest prefix wins, so a
/// folder's entry places its files unless a file has an entry of its own.
const TABLE: &[(&str, usize)] = &[
    // 1. Leaves: self-contained building blocks that know nothing of the engine: randomness,
    //    secrets, URLs, cookies, the JWT/JWE codec, CSRF tokens, the request and response
    //    envelopes, log escaping, the host and proxy lists.
    ("random.rs", LEAVES),
    ("compat.rs", LEAVES),
    ("secret.rs", LEAVES),
    ("url.rs", LEAVES),
    ("redirect.rs", LEAVES),
    ("cookies.rs", LEAVES),
    ("session/jwt.rs", LEAVES),
    ("csrf.rs", LEAVES),
    ("request.rs", LEAVES),
    ("response.rs", LEAVES),
    ("log_value.rs", LEAVES),
    ("allowed_hosts.rs", LEAVES),
    ("client_addr.rs", LEAVES),
    ("pages/html.rs", LEAVES),
    // 2. Outbound HTTP: the OAuth/OIDC client side (discovery, token requests, ID tokens,
    //    the HTTP client trait and its JSON helpers).
    ("oauth/", OUTBOUND),
    // 3. Models and configuration types: users and accounts, the adapter trait, providers
    //    (types, presets, style, the wire list), the pages' theme, the callbacks and events
    //    traits (with the token refresher the `jwt` callback gets), rate limits, and the
    //    session types (`Token`, `SessionStore`, the revocation list).
    ("user.rs", MODELS),
    ("adapter/", MODELS),
    ("providers/", MODELS),
    ("pages/theme.rs", MODELS),
    ("callbacks.rs", MODELS),
    ("events.rs", MODELS),
    ("refresh.rs", MODELS),
    ("rate_limit/", MODELS),
    ("session/", MODELS),
    ("session/revocations.rs", MODELS),
    // 4. Configuration: the builder's validated `Config`, and `Ctx`, the configuration
    //    borrowed for one request.
    ("config.rs", CONFIG),
    ("ctx.rs", CONFIG),
    // 5. Flows: sign-in, the password provider's account flows, the session strategies
    //    (read, update, refresh, revoke), and the built-in pages they render.
    ("signin/", FLOWS),
    ("session/jwt_strategy.rs", FLOWS),
    ("session/database.rs", FLOWS),
    ("session/read.rs", FLOWS),
    ("session/revoke.rs", FLOWS),
    ("password/", FLOWS),
    ("two_factor/", FLOWS),
    ("session/current.rs", FLOWS),
    ("pages/", FLOWS),
    // 6. Routes: thin handlers, one per endpoint, and the dispatcher.
    ("routes/", ROUTES),
    // 7. The facade: `Auth` and the preamble every request passes (origin check included).
    ("lib.rs", FACADE),
    ("preamble.rs", FACADE),
    ("origin_check.rs", FACADE),
];

#[test]
fn engine_modules_are_layered() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = check::read_sources(&src);
    let layers = Layers {
        names: NAMES,
        table: TABLE,
    };
    let problems = check::problems(&files, &layers);
    assert!(
        problems.is_empty(),
        "layering problems in crates/tessera/src:\n  {}",
        problems.join("\n  ")
    );
}

fn crate_of(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    files.iter().map(|(f, s)| ((*f).to_owned(), (*s).to_owned())).collect()
}

/// The checker finds a back-edge in a synthetic crate, and only the real one: not the
/// paths in comments, strings, or test modules.
#[test]
fn the_checker_reports_a_back_edge() {
    let files = crate_of(&[
        ("lib.rs", "mod low;\nmod high;\npub use high::Top;\n"),
        (
            "low.rs",
            "//! [`crate::high::Top`] in a doc link\n\
             use std::fmt;\n\
             const S: &str = \"crate::high::Top\";\n\
             pub fn f() -> crate::Top { todo!() }\n\
             #[cfg(test)]\nmod tests { use crate::high::Top; }\n",
        ),
        ("high.rs", "use crate::low;\npub struct Top;\n"),
    ]);
    let layers = Layers {
        names: &["low", "high", "facade"],
        table: &[("low.rs", 0), ("high.rs", 1), ("lib.rs", 2)],
    };
    assert_eq!(
        check::problems(&files, &layers),
        ["low.rs:4: crate::high::Top reaches up from low.rs (low) to high.rs (high)"]
    );
}

/// Nested use groups, `super`, `self` and child-module paths resolve to files; unlisted
/// files, stale table entries and same-layer cycles are reported.
#[test]
fn the_checker_resolves_paths_and_finds_cycles() {
    let files = crate_of(&[
        ("lib.rs", "mod a;\nmod b;\nmod c;\n"),
        ("a/mod.rs", "mod x;\nfn g() { x::f(); }\n"),
        ("a/x.rs", "use crate::{b::{self, y::Z}, c};\nuse super::super::c::W;\n"),
        ("b/mod.rs", "pub mod y;\n"),
        ("b/y.rs", "fn h() { let _ = r#\"crate::a\"#; crate::c::f(); }\n"),
        (
            "c.rs",
            "fn k() { let _ = '\"'; crate::b::y::h(); }\nmod inner { use super::super::a; }\n",
        ),
    ]);
    let edges: Vec<_> = check::edges(&files)
        .into_iter()
        .map(|e| format!("{}:{} {} -> {}", e.from, e.line, e.path, e.to))
        .collect();
    assert_eq!(
        edges,
        [
            "a/mod.rs:2 crate::a::x::f -> a/x.rs",
            "a/x.rs:1 crate::b -> b/mod.rs",
            "a/x.rs:1 crate::b::y::Z -> b/y.rs",
            "a/x.rs:1 crate::c -> c.rs",
            "a/x.rs:2 crate::c::W -> c.rs",
            "b/y.rs:1 crate::c::f -> c.rs",
            "c.rs:1 crate::b::y::h -> b/y.rs",
            "c.rs:2 crate::a -> a/mod.rs",
        ]
    );
    let layers = Layers {
        names: &["one"],
        table: &[("a/", 0), ("b/", 0), ("lib.rs", 0), ("gone.rs", 0)],
    };
    let problems = check::problems(&files, &layers);
    assert_eq!(
        problems[0],
        "c.rs: not in the layer table; add it to the layer it belongs to"
    );
    assert_eq!(problems[1], "gone.rs: in the layer table, but no file matches it");
    let layers = Layers {
        names: &["one"],
        table: &[("a/", 0), ("b/", 0), ("c.rs", 0), ("lib.rs", 0)],
    };
    let problems = check::problems(&files, &layers);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("cycle between a, b, c: a -> b (a/x.rs:1 crate::b);"),
        "{problems:?}"
    );
}
