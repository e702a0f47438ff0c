//! Hot-path benchmarks: the JWE session codec and the in-process `GET /session`.
//!
//! `cargo bench -p tessera --bench session` (add `-- --warm-up-time 1 --measurement-time 3`
//! for a quick run).

#![allow(clippy::unwrap_used, reason = "a benchmark: a failed setup step should stop it")]

use std::hint::black_box;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Map, Value};
use tessera::Compat;
use tessera::jwt::JweCodec;
use tessera::{Auth, Secret, Token, User};

const SECRET: &str = "a-benchmark-secret-of-32-bytes!!";
/// 30 days, NextAuth's default session max age.
const MAX_AGE: i64 = 2_592_000;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The four claims NextAuth writes at sign-in.
fn claims() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), "Alice Example".into());
    m.insert("email".into(), "alice@example.com".into());
    m.insert("picture".into(), "https://avatars.example.com/u/1234567?v=4".into());
    m.insert("sub".into(), "1234567".into());
    m
}

fn codec(c: &mut Criterion) {
    let secrets = [Secret::new(SECRET)];
    let now = now();
    let mut group = c.benchmark_group("codec");
    for (label, compat, salt) in [
        ("v4", Compat::NextAuthV4, ""),
        ("v5", Compat::AuthJsV5, "authjs.session-token"),
    ] {
        let codec = JweCodec::new(compat, &secrets, salt);
        let template = claims();
        group.bench_function(format!("encode_claims/{label}"), |b| {
            b.iter_batched_ref(
                || template.clone(),
                |claims| codec.encode_claims(black_box(claims), MAX_AGE, now),
                criterion::BatchSize::SmallInput,
            );
        });
        let token = codec.encode_claims(&mut claims(), MAX_AGE, now);
        assert!(codec.decode(&token, now).is_ok());
        group.bench_function(format!("decode/{label}"), |b| {
            b.iter(|| codec.decode(black_box(&token), now).unwrap());
        });
    }
    group.finish();
}

fn get(path: &str, cookie: Option<&str>) -> http::Request<Bytes> {
    let mut req = http::Request::get(path);
    if let Some(c) = cookie {
        req = req.header(http::header::COOKIE, c);
    }
    req.body(Bytes::new()).unwrap()
}

fn session_refresh(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let auth = Auth::builder()
        .url("http://localhost:3000")
        .secret(SECRET)
        .build()
        .unwrap();
    let token = auth.encode_token(
        Token::for_user(&User::new("1").name("Alice").email("alice@example.com")),
        std::time::Duration::from_secs(MAX_AGE.unsigned_abs()),
    );
    let t = "0123456789abcdef".repeat(4);
    let csrf = format!("{t}%7C{}", tessera::csrf::hash(&t, &Secret::new(SECRET)));
    let preamble = format!("next-auth.csrf-token={csrf}; next-auth.callback-url=http%3A%2F%2Flocalhost%3A3000");
    let cookie = format!("next-auth.session-token={token}; {preamble}");

    // Sanity: the steady state re-issues only the session cookie and returns a user.
    let res = rt.block_on(auth.handle(get("/api/auth/session", Some(&cookie))));
    assert_eq!(res.status(), 200);
    assert!(
        std::str::from_utf8(res.body()).unwrap().contains("\"user\""),
        "signed-in session expected: {:?}",
        res.body()
    );
    let set: Vec<_> = res.headers().get_all(http::header::SET_COOKIE).iter().collect();
    assert_eq!(set.len(), 1, "only the session cookie is re-issued: {set:?}");
    assert!(set[0].to_str().unwrap().starts_with("next-auth.session-token="));

    let mut group = c.benchmark_group("session_refresh");
    group.bench_function("GET /session signed-in", |b| {
        b.iter(|| {
            let res = rt.block_on(auth.handle(get("/api/auth/session", Some(&cookie))));
            black_box(res)
        });
    });
    group.bench_function("GET /session signed-out", |b| {
        b.iter(|| black_box(rt.block_on(auth.handle(get("/api/auth/session", None)))));
    });
    // The preamble alone (CSRF cookie verified, callback URL validated, nothing minted).
    group.bench_function("GET /session signed-out with csrf+callback cookies", |b| {
        b.iter(|| black_box(rt.block_on(auth.handle(get("/api/auth/session", Some(&preamble))))));
    });
    group.bench_function("GET /csrf", |b| {
        b.iter(|| black_box(rt.block_on(auth.handle(get("/api/auth/csrf", None)))));
    });
    group.finish();
}

criterion_group!(benches, codec, session_refresh);
criterion_main!(benches);
