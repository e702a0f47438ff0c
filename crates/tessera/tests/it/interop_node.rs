//! Byte-compatibility of the JWE codec and the CSRF hash with the real npm packages
//! (`next-auth@4.24` and `@auth/core`), driven through `tests/interop/jwt.mjs`.
//!
//! Needs `node` on PATH and `npm ci --prefix tests/interop`. Without them the tests are
//! skipped (loudly), unless `CI=true`, where they fail.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use tessera::Compat;
use tessera::Secret;
use tessera::jwt::{JweCodec, JwtError};

const V4_HEADER: &str = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0";
const V5_SALTS: [&str; 2] = ["authjs.session-token", "__Secure-authjs.session-token"];

// ---------------------------------------------------------------------------------------
// The Node side
// ---------------------------------------------------------------------------------------

struct Node {
    dir: PathBuf,
}

impl Node {
    /// Runs one batch of requests in a single `node` process; one result per request.
    fn run(&self, reqs: &[Value]) -> Vec<Value> {
        let mut child = Command::new("node")
            .arg("jwt.mjs")
            .current_dir(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn node");
        let input = serde_json::to_vec(&Value::Array(reqs.to_vec())).unwrap();
        child.stdin.take().unwrap().write_all(&input).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "node jwt.mjs failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "node jwt.mjs printed no JSON array ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        assert_eq!(results.len(), reqs.len(), "one result per request");
        for (req, res) in reqs.iter().zip(&results) {
            assert!(
                res.get("error").is_none(),
                "node failed on {}: {}",
                abbreviate(req),
                res["error"]
            );
        }
        results
    }
}

/// The Node environment, or why it is missing.
fn node() -> Result<&'static Node, &'static str> {
    static NODE: OnceLock<Result<Node, &'static str>> = OnceLock::new();
    NODE.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop");
        let node_version = Command::new("node")
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
        let modules = dir.join("node_modules");
        let installed = ["next-auth", "@auth/core"]
            .iter()
            .all(|p| modules.join(p).join("package.json").is_file());
        match (&node_version, installed) {
            (None, _) => return Err("`node` is not on PATH"),
            (Some(_), false) => return Err("tests/interop/node_modules is missing"),
            (Some(_), true) => {}
        }
        let node = Node { dir };
        let v = node.run(&[json!({"op": "versions"})]).remove(0);
        eprintln!(
            "interop_node: node {}, next-auth {}, @auth/core {}",
            v["node"], v["next-auth"], v["@auth/core"]
        );
        Ok(node)
    })
    .as_ref()
    .map_err(|problem| *problem)
}

/// The Node environment, or a return from the test (a failure under `CI=true`, else a
/// loud skip) when it is missing.
macro_rules! node_or_skip {
    () => {
        match node() {
            Ok(n) => n,
            Err(problem) => {
                crate::common::service::unavailable(
                    "Node with next-auth and @auth/core (the byte-compatibility tests)",
                    problem,
                    "Install Node >= 20 and run `npm ci --prefix tests/interop` from the repository root.",
                );
                return;
            }
        }
    };
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).unwrap();
    hex::encode(buf)
}

fn abbreviate(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 300 {
        format!("{}…({} chars)", s.chars().take(300).collect::<String>(), s.len())
    } else {
        s
    }
}

/// A claim set exercising every JSON type, nesting and non-ASCII text.
fn sample_claims() -> Map<String, Value> {
    let v = json!({
        "name": "Zoë Ünïcødé 🦀 名前",
        "email": "zoe@example.com",
        "picture": null,
        "sub": "u-42",
        // The session id Tessera adds at sign-in: next-auth carries unknown claims as they are.
        "sid": "019ad3f2-7c1e-7a4b-8d2f-3e5a6b7c8d9e",
        "roles": ["admin", "user", 7, false, null, {"deep": [1, [2, [3]]]}],
        "profile": {"age": 37, "ratio": 3.25, "neg": -12, "flag": true, "quote": "\"q\" \\ / \u{0001} \n\t"},
        "empty_obj": {},
        "empty_arr": [],
        "big": 9007199254740991i64,
        "line\u{2028}sep": "\u{2029}",
    });
    v.as_object().unwrap().clone()
}

fn large_claims() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("sub".into(), "large".into());
    let s: String = (0..5000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    m.insert("blob".into(), Value::String(s));
    m.insert("unicode_blob".into(), Value::String("é🦀".repeat(700)));
    m
}

fn keys(m: &Map<String, Value>) -> Vec<&str> {
    m.keys().map(String::as_str).collect()
}

fn as_map(v: &Value) -> &Map<String, Value> {
    v.as_object()
        .unwrap_or_else(|| panic!("expected claims, got {}", abbreviate(v)))
}

/// Flips one base64url character in the middle of `segment` (0-based: 0 header, 2 iv,
/// 3 ciphertext, 4 tag). A middle character carries 6 full bits, so the bytes change.
fn tamper(token: &str, segment: usize) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let seg = &mut parts[segment];
    let i = seg.len() / 2;
    let c = seg.as_bytes()[i];
    let replacement = if c == b'A' { 'B' } else { 'A' };
    seg.replace_range(i..=i, &replacement.to_string());
    parts.join(".")
}

/// Checks claims a library produced from `input`: same keys/values, in order, plus
/// `iat`, `exp` = `iat + max_age` and a UUID v4 `jti`, with `iat` close to `t0`.
fn assert_issued(claims: &Map<String, Value>, input: &Map<String, Value>, max_age: i64, t0: i64) {
    for (k, v) in input {
        assert_eq!(claims.get(k), Some(v), "claim {k}");
    }
    let mut expected_keys = keys(input);
    for k in ["iat", "exp", "jti"] {
        if !input.contains_key(k) {
            expected_keys.push(k);
        }
    }
    assert_eq!(keys(claims), expected_keys, "claim order");
    let iat = claims["iat"].as_i64().unwrap();
    assert!((t0 - 5..=t0 + 30).contains(&iat), "iat {iat} vs now {t0}");
    assert_eq!(claims["exp"].as_i64().unwrap(), iat + max_age);
    let jti = claims["jti"].as_str().unwrap();
    let b = jti.as_bytes();
    assert!(
        jti.len() == 36
            && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-')
            && b[14] == b'4'
            && matches!(b[19], b'8' | b'9' | b'a' | b'b')
            && jti
                .chars()
                .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c)),
        "jti {jti} is not a lower-case UUID v4"
    );
}

fn encode_req(lib: &str, secret: &str, salt: &str, claims: &Map<String, Value>, max_age: i64) -> Value {
    json!({"op": "encode", "lib": lib, "secret": secret, "salt": salt, "claims": claims, "maxAge": max_age})
}

fn decode_req(lib: &str, secret: impl Into<Value>, salt: &str, token: &str) -> Value {
    json!({"op": "decode", "lib": lib, "secret": secret.into(), "salt": salt, "token": token})
}

fn rejected(res: &Value) -> bool {
    res.get("claims") == Some(&Value::Null)
}

fn reject_reason(res: &Value) -> &str {
    res.get("reason").and_then(Value::as_str).unwrap_or("")
}

// ---------------------------------------------------------------------------------------
// next-auth v4
// ---------------------------------------------------------------------------------------

#[test]
fn v4_rust_encodes_next_auth_decodes() {
    let node = node_or_skip!();
    let secret = format!("s3cret-{}", random_hex(16));
    let secrets = [Secret::new(secret.as_str())];
    let t = now();

    let mut reqs = Vec::new();
    let mut expect: Vec<(String, Option<Map<String, Value>>)> = Vec::new();
    let mut push = |what: String, req: Value, claims: Option<Map<String, Value>>| {
        reqs.push(req);
        expect.push((what, claims));
    };

    for salt in ["", "next-auth.state", "__Secure-next-auth.pkce.code_verifier"] {
        let codec = JweCodec::new(Compat::NextAuthV4, &secrets, salt);
        for (name, mut claims) in [
            ("sample", sample_claims()),
            ("large", large_claims()),
            ("empty", Map::new()),
        ] {
            let token = codec.encode_claims(&mut claims, 60, t);
            assert!(token.starts_with(&format!("{V4_HEADER}..")));
            push(
                format!("salt {salt:?}, {name}"),
                decode_req("next-auth", secret.as_str(), salt, &token),
                Some(claims),
            );
        }
        let token = codec.encode_claims(&mut sample_claims(), 60, t);
        // A different salt (purpose) is a different key.
        let other_salt = if salt.is_empty() { "next-auth.state" } else { "" };
        push(
            format!("salt {salt:?} token, decoded with salt {other_salt:?}"),
            decode_req("next-auth", secret.as_str(), other_salt, &token),
            None,
        );
        // A different secret.
        push(
            format!("salt {salt:?} token, wrong secret"),
            decode_req("next-auth", "not-the-secret", salt, &token),
            None,
        );
        // One flipped character in each of header, iv, ciphertext and tag.
        for seg in [0, 2, 3, 4] {
            push(
                format!("salt {salt:?} token, segment {seg} tampered"),
                decode_req("next-auth", secret.as_str(), salt, &tamper(&token, seg)),
                None,
            );
        }
        // Truncated tag / dropped segment.
        push(
            format!("salt {salt:?} token, truncated"),
            decode_req("next-auth", secret.as_str(), salt, &token[..token.len() - 2]),
            None,
        );
    }

    // Expiry: jose's 15 s tolerance, seen from Node's clock.
    let codec = JweCodec::new(Compat::NextAuthV4, &secrets, "");
    let mut c = sample_claims();
    let expired = codec.encode_claims(&mut c, -60, t);
    push(
        "exp = now - 60".into(),
        decode_req("next-auth", secret.as_str(), "", &expired),
        None,
    );
    let mut c = sample_claims();
    let grace = codec.encode_claims(&mut c, -5, t);
    push(
        "exp = now - 5 (inside the tolerance)".into(),
        decode_req("next-auth", secret.as_str(), "", &grace),
        Some(c),
    );

    let results = node.run(&reqs);
    for ((what, want), res) in expect.iter().zip(&results) {
        match want {
            Some(claims) => {
                let got = as_map(&res["claims"]);
                assert_eq!(got, claims, "{what}: next-auth decoded different claims");
                assert_eq!(keys(got), keys(claims), "{what}: claim order");
            }
            None => assert!(rejected(res), "{what}: next-auth accepted it: {}", abbreviate(res)),
        }
    }
    eprintln!(
        "v4 rust→next-auth: {} checks ok (expired token reason: {})",
        results.len(),
        reject_reason(&results[results.len() - 2])
    );
}

#[test]
fn v4_next_auth_encodes_rust_decodes() {
    let node = node_or_skip!();
    let secret = format!("s3cret-{}", random_hex(16));
    let secrets = [Secret::new(secret.as_str())];
    let t0 = now();

    let salts = ["", "next-auth.state", "__Secure-next-auth.state"];
    let inputs = [("sample", sample_claims()), ("large", large_claims())];
    let mut reqs = Vec::new();
    for salt in salts {
        for (_, claims) in &inputs {
            reqs.push(encode_req("next-auth", &secret, salt, claims, 60));
        }
    }
    let mut c = sample_claims();
    c.insert("iat".into(), json!(1)); // an existing iat keeps its place, new value
    reqs.push(encode_req("next-auth", &secret, "", &c, 3600));
    reqs.push(json!({"op": "encode", "lib": "next-auth", "secret": secret, "claims": {"a": 1}})); // defaults
    reqs.push(encode_req("next-auth", "another-secret", "", &sample_claims(), 60));
    reqs.push(encode_req("next-auth", &secret, "", &sample_claims(), -60));
    reqs.push(encode_req("next-auth", &secret, "", &sample_claims(), -5));
    let results = node.run(&reqs);
    let token = |i: usize| results[i]["token"].as_str().unwrap().to_owned();
    let t = now();

    let mut i = 0;
    for salt in salts {
        let codec = JweCodec::new(Compat::NextAuthV4, &secrets, salt);
        for (name, claims) in &inputs {
            let tok = token(i);
            i += 1;
            assert!(tok.starts_with(&format!("{V4_HEADER}..")), "{tok}");
            let got = codec
                .decode(&tok, t)
                .unwrap_or_else(|e| panic!("salt {salt:?}, {name}: Rust rejected next-auth's token: {e}"));
            assert_issued(&got, claims, 60, t0);
            // Another salt is another key; tampering is detected.
            let other = JweCodec::new(
                Compat::NextAuthV4,
                &secrets,
                if salt.is_empty() { "next-auth.state" } else { "" },
            );
            assert_eq!(other.decode(&tok, t), Err(JwtError::Decrypt), "salt {salt:?}");
            // A changed IV, ciphertext or tag keeps the shape and fails the GCM check.
            for seg in [2, 3, 4] {
                assert_eq!(
                    codec.decode(&tamper(&tok, seg), t),
                    Err(JwtError::Decrypt),
                    "segment {seg}"
                );
            }
        }
    }
    let codec = JweCodec::new(Compat::NextAuthV4, &secrets, "");

    // Pre-existing iat: overwritten in place.
    let got = codec.decode(&token(i), t).unwrap();
    i += 1;
    let mut want = sample_claims();
    want.insert("iat".into(), got["iat"].clone());
    assert_issued(&got, &want, 3600, t0);

    // Library defaults: maxAge 30 days, salt "".
    let got = codec.decode(&token(i), t).unwrap();
    i += 1;
    assert_issued(&got, json!({"a": 1}).as_object().unwrap(), 30 * 24 * 3600, t0);

    // Encoded with another secret.
    assert_eq!(codec.decode(&token(i), t), Err(JwtError::Decrypt));
    i += 1;

    // Expiry tolerance: exp = now - 60 is expired; exp = now - 5 is not.
    assert!(
        matches!(codec.decode(&token(i), t), Err(JwtError::Expired { .. })),
        "exp = now - 60 must be expired"
    );
    i += 1;
    assert!(codec.decode(&token(i), t).is_ok(), "exp = now - 5 is within 15 s");
    i += 1;
    assert_eq!(i, results.len());

    // The Rust token's header segment is byte-identical to next-auth's.
    let ours = codec.encode_claims(&mut Map::new(), 60, t);
    assert_eq!(ours.split('.').next(), token(0).split('.').next());
    eprintln!("v4 next-auth→rust: {} tokens ok", results.len());
}

// ---------------------------------------------------------------------------------------
// Auth.js v5 (@auth/core)
// ---------------------------------------------------------------------------------------

#[test]
fn v5_rust_and_authjs_interoperate() {
    let node = node_or_skip!();
    let secret = format!("v5-{}", random_hex(16));
    let secrets = [Secret::new(secret.as_str())];
    let t0 = now();

    let inputs = [
        ("sample", sample_claims()),
        ("large", large_claims()),
        ("empty", Map::new()),
    ];

    // Rust encodes → @auth/core decodes; @auth/core encodes → Rust decodes.
    let mut reqs = Vec::new();
    let mut rust_claims = Vec::new();
    for salt in V5_SALTS {
        let codec = JweCodec::new(Compat::AuthJsV5, &secrets, salt);
        let other_salt = if salt == V5_SALTS[0] { V5_SALTS[1] } else { V5_SALTS[0] };
        for (_, claims) in &inputs {
            let mut c = claims.clone();
            let tok = codec.encode_claims(&mut c, 60, t0);
            reqs.push(decode_req("authjs", secret.as_str(), salt, &tok)); // accepted
            reqs.push(decode_req("authjs", secret.as_str(), other_salt, &tok)); // other cookie name
            reqs.push(decode_req("authjs", "wrong-secret", salt, &tok));
            for seg in [0, 2, 3, 4] {
                reqs.push(decode_req("authjs", secret.as_str(), salt, &tamper(&tok, seg)));
            }
            // Secret rotation on the Node side: [new, old] finds the old key by kid.
            reqs.push(decode_req("authjs", json!(["rotated-new", secret]), salt, &tok));
            rust_claims.push(c);
            reqs.push(encode_req("authjs", &secret, salt, claims, 60));
        }
        // A256GCM under the v5 key derivation, with and without kid (accepted by @auth/core).
        for kid in [true, false] {
            reqs.push(json!({"op": "encode-gcm-v5", "secret": secret, "salt": salt,
                             "claims": sample_claims(), "kid": kid}));
        }
    }
    reqs.push(encode_req("authjs", &secret, V5_SALTS[0], &sample_claims(), -60));
    reqs.push(encode_req("authjs", &secret, V5_SALTS[0], &sample_claims(), -5));
    let results = node.run(&reqs);
    let t = now();

    let mut r = results.iter();
    let mut rc = rust_claims.iter();
    let mut node_tokens = Vec::new();
    for salt in V5_SALTS {
        let codec = JweCodec::new(Compat::AuthJsV5, &secrets, salt);
        let other_salt = if salt == V5_SALTS[0] { V5_SALTS[1] } else { V5_SALTS[0] };
        let other = JweCodec::new(Compat::AuthJsV5, &secrets, other_salt);
        for (name, claims) in &inputs {
            let what = format!("salt {salt}, {name}");
            let sent = rc.next().unwrap();
            let res = r.next().unwrap();
            let got = as_map(&res["claims"]);
            assert_eq!(got, sent, "{what}: @auth/core decoded different claims");
            assert_eq!(keys(got), keys(sent), "{what}: claim order");
            for case in [
                "other salt",
                "wrong secret",
                "tampered header",
                "tampered iv",
                "tampered ciphertext",
                "tampered tag",
            ] {
                let res = r.next().unwrap();
                assert!(
                    rejected(res),
                    "{what}, {case}: @auth/core accepted it: {}",
                    abbreviate(res)
                );
            }
            let res = r.next().unwrap();
            assert_eq!(as_map(&res["claims"]), sent, "{what}: rotation with a secret array");

            // @auth/core's token.
            let tok = r.next().unwrap()["token"].as_str().unwrap().to_owned();
            let got = codec
                .decode(&tok, t)
                .unwrap_or_else(|e| panic!("{what}: Rust rejected @auth/core's token: {e}"));
            assert_issued(&got, claims, 60, t0);
            assert_eq!(other.decode(&tok, t), Err(JwtError::Decrypt), "{what}: other salt");
            assert_eq!(
                JweCodec::new(Compat::AuthJsV5, &[Secret::new("wrong")], salt).decode(&tok, t),
                Err(JwtError::Decrypt),
                "{what}: wrong secret"
            );
            // A changed header byte lands in the kid: either the header no longer parses
            // (Malformed) or it names no configured key (Decrypt); both are refusals of
            // the tampering, not of something else.
            let header = codec.decode(&tamper(&tok, 0), t);
            assert!(
                matches!(header, Err(JwtError::Malformed | JwtError::Decrypt)),
                "{what}: segment 0: {header:?}"
            );
            for seg in [2, 3, 4] {
                assert_eq!(
                    codec.decode(&tamper(&tok, seg), t),
                    Err(JwtError::Decrypt),
                    "{what}: segment {seg}"
                );
            }
            // Rotation on the Rust side.
            let rotated = JweCodec::new(
                Compat::AuthJsV5,
                &[Secret::new("rotated-new"), Secret::new(secret.as_str())],
                salt,
            );
            assert!(rotated.decode(&tok, t).is_ok(), "{what}: Rust rotation");
            node_tokens.push(tok);
        }
        // Same secret + salt ⇒ same kid ⇒ byte-identical protected header.
        let ours = codec.encode_claims(&mut Map::new(), 60, t);
        assert_eq!(
            ours.split('.').next(),
            node_tokens.last().unwrap().split('.').next(),
            "salt {salt}: protected header differs from @auth/core's"
        );
        for kid in [true, false] {
            let tok = r.next().unwrap()["token"].as_str().unwrap().to_owned();
            let got = codec
                .decode(&tok, t)
                .unwrap_or_else(|e| panic!("salt {salt}: A256GCM v5 token (kid {kid}) rejected: {e}"));
            assert_eq!(got["sub"], "u-42");
        }
    }
    let codec = JweCodec::new(Compat::AuthJsV5, &secrets, V5_SALTS[0]);
    let expired = r.next().unwrap()["token"].as_str().unwrap();
    assert!(matches!(codec.decode(expired, t), Err(JwtError::Expired { .. })));
    let grace = r.next().unwrap()["token"].as_str().unwrap();
    assert!(codec.decode(grace, t).is_ok(), "exp = now - 5 is within 15 s");
    assert!(r.next().is_none());

    // The A256GCM v5 tokens are accepted by @auth/core too (so the Rust acceptance above
    // matches the library rather than being an extension).
    let gcm_reqs: Vec<Value> = V5_SALTS
        .iter()
        .flat_map(|salt| {
            let secret = secret.clone();
            [true, false].map(move |kid| {
                json!({"op": "encode-gcm-v5", "secret": secret, "salt": salt,
                       "claims": {"sub": "gcm"}, "kid": kid})
            })
        })
        .collect();
    let gcm = node.run(&gcm_reqs);
    let decode: Vec<Value> = gcm
        .iter()
        .zip(V5_SALTS.iter().flat_map(|s| [s, s]))
        .map(|(g, salt)| decode_req("authjs", secret.as_str(), salt, g["token"].as_str().unwrap()))
        .collect();
    for (res, g) in node.run(&decode).iter().zip(&gcm) {
        assert_eq!(res["claims"]["sub"], "gcm", "@auth/core rejected {}", g["token"]);
    }
    eprintln!("v5 rust⇄@auth/core: {} checks ok", results.len() + 2 * gcm.len());
}

#[test]
fn v4_and_v5_tokens_do_not_cross() {
    let node = node_or_skip!();
    let secret = "shared-secret";
    let secrets = [Secret::new(secret)];
    let t = now();
    let v4 = JweCodec::new(Compat::NextAuthV4, &secrets, "");
    let v5 = JweCodec::new(Compat::AuthJsV5, &secrets, V5_SALTS[0]);
    let rust_v4 = v4.encode_claims(&mut sample_claims(), 60, t);
    let rust_v5 = v5.encode_claims(&mut sample_claims(), 60, t);

    let enc = node.run(&[
        encode_req("next-auth", secret, "", &sample_claims(), 60),
        encode_req("authjs", secret, V5_SALTS[0], &sample_claims(), 60),
    ]);
    let node_v4 = enc[0]["token"].as_str().unwrap();
    let node_v5 = enc[1]["token"].as_str().unwrap();

    let mut reqs = Vec::new();
    let mut what = Vec::new();
    for (name, tok) in [("next-auth v4 token", node_v4), ("Rust v4 token", rust_v4.as_str())] {
        for salt in [V5_SALTS[0], V5_SALTS[1], ""] {
            reqs.push(decode_req("authjs", secret, salt, tok));
            what.push(format!("{name} → @auth/core (salt {salt:?})"));
        }
    }
    for (name, tok) in [("@auth/core token", node_v5), ("Rust v5 token", rust_v5.as_str())] {
        for salt in ["", V5_SALTS[0]] {
            reqs.push(decode_req("next-auth", secret, salt, tok));
            what.push(format!("{name} → next-auth (salt {salt:?})"));
        }
    }
    for (res, what) in node.run(&reqs).iter().zip(&what) {
        assert!(rejected(res), "{what}: accepted: {}", abbreviate(res));
        eprintln!("  {what}: rejected ({})", reject_reason(res));
    }

    // And on the Rust side.
    // A v4 token (A256GCM) meets v5 keys, which do not open it; a v5 token's encryption
    // (A256CBC-HS512) is not one next-auth v4 mode accepts.
    assert_eq!(
        v5.decode(node_v4, t),
        Err(JwtError::Decrypt),
        "v5 codec accepted a next-auth token"
    );
    assert_eq!(
        v5.decode(&rust_v4, t),
        Err(JwtError::Decrypt),
        "v5 codec accepted a v4 token"
    );
    let v5_in_v4 = Err(JwtError::UnsupportedHeader("A256CBC-HS512 in next-auth v4 mode".into()));
    assert_eq!(v4.decode(node_v5, t), v5_in_v4, "v4 codec accepted an @auth/core token");
    assert_eq!(v4.decode(&rust_v5, t), v5_in_v4, "v4 codec accepted a v5 token");
    // Control: each decodes under its own mode.
    assert!(v4.decode(node_v4, t).is_ok() && v5.decode(node_v5, t).is_ok());
}

// ---------------------------------------------------------------------------------------
// CSRF
// ---------------------------------------------------------------------------------------

#[test]
fn csrf_hash_matches_next_auth_and_authjs() {
    let node = node_or_skip!();
    let generated = Secret::generate();
    let secrets: Vec<String> = vec![
        "secret".into(),
        generated.expose().to_owned(),
        random_hex(32),
        "ключ 🔑 秘密 é".into(),
        "naïve\u{00a0}café \u{1F600}\u{0301}".into(),
        " leading and trailing spaces ".into(),
        "pipe|in|secret".into(),
        String::new(),
    ];
    let mut tokens: Vec<String> = vec![
        "64216acdcb8c607b9d3c50a6295b29706b88d9cf917d27a79bd6e5efa10fde72".into(),
        "a".repeat(64),
    ];
    tokens.extend((0..4).map(|_| random_hex(32)));

    let mut reqs = Vec::new();
    let mut ours = Vec::new();
    for s in &secrets {
        let secret = Secret::new(s.as_str());
        for tok in &tokens {
            let h = tessera::csrf::hash(tok, &secret);
            reqs.push(json!({"op": "csrf", "secret": s, "token": tok, "hash": h}));
            ours.push(h);
        }
        reqs.push(json!({"op": "csrf-mint", "lib": "next-auth", "secret": s}));
        reqs.push(json!({"op": "csrf-mint", "lib": "authjs", "secret": s}));
    }
    let results = node.run(&reqs);

    let mut r = results.iter();
    let mut o = ours.iter();
    for s in &secrets {
        let secret = Secret::new(s.as_str());
        for tok in &tokens {
            let res = r.next().unwrap();
            let h = o.next().unwrap();
            assert_eq!(res["hash"].as_str(), Some(h.as_str()), "token {tok}, secret {s:?}");
            assert_eq!(
                res["verified"]["next-auth"], true,
                "next-auth: token {tok}, secret {s:?}"
            );
            assert_eq!(res["verified"]["authjs"], true, "@auth/core: token {tok}, secret {s:?}");
        }
        for lib in ["next-auth", "authjs"] {
            let res = r.next().unwrap();
            let tok = res["token"].as_str().unwrap();
            assert_eq!(tok.len(), 64, "{lib} token {tok}");
            assert_eq!(
                res["hash"].as_str(),
                Some(tessera::csrf::hash(tok, &secret).as_str()),
                "{lib}-minted cookie, secret {s:?}"
            );
        }
    }
    assert!(r.next().is_none());

    // Negative control: a hash made with another secret is not trusted by the libraries.
    let bad = tessera::csrf::hash(&tokens[0], &Secret::new("other"));
    let res = node.run(&[json!({"op": "csrf", "secret": "secret", "token": tokens[0], "hash": bad})]);
    assert_eq!(res[0]["verified"], json!({"next-auth": false, "authjs": false}));
    eprintln!("csrf: {} hashes match next-auth and @auth/core", ours.len());
}
