//! Two demo processes with JWT sessions sharing revocations through Redis (`REDIS_URL`): a
//! sign-out on one ends the session on the other, a kept copy of the cookie included,
//! within 200 ms. The Redis is a `redis-server` of the test's own, on a free port.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::common::{assert_signed_in, free_port, http, sign_in, sign_out};
use crate::redis_server::{start_or_skip, two_jwt_demos};

#[test]
fn sign_out_on_one_process_ends_the_jwt_session_on_the_other() {
    let redis_port = free_port();
    let Some(_redis) = start_or_skip(redis_port, None, "two demo processes sharing revocations") else {
        return;
    };
    let ([pa, pb], _demos) = two_jwt_demos(redis_port);

    // Sign in on A: valid on B.
    let browser = sign_in(pa);
    assert!(browser.session.len() > 100, "a JWT session cookie");
    assert_signed_in(pb, &browser.cookie);

    // Sign out on A: this copy of the cookie is refused on B within 200 ms.
    let since = Instant::now();
    sign_out(pa, &browser);
    loop {
        let r = http(pb, "GET", "/api/auth/session", &browser.cookie, None);
        if r.body == "{}" {
            break;
        }
        assert!(
            since.elapsed() < Duration::from_millis(200),
            "still signed in on B after {:?}",
            since.elapsed()
        );
    }
    let latency = since.elapsed();
    let _ = writeln!(
        std::io::stderr().lock(),
        "demo: sign-out on process A reached process B in {latency:?} (HTTP round trips included)"
    );
}
