//! Two demo processes sharing one PostgreSQL database: a session made on one is valid on
//! the other, and signing out on one ends it on the other.

use std::net::TcpStream;

use crate::common::{assert_signed_in, free_port, http, service, sign_in, sign_out, start_demo};

const PG: &str = "127.0.0.1:5432";

#[test]
fn two_processes_share_sessions_through_postgres() {
    if let Err(e) = TcpStream::connect(PG) {
        service::unavailable(
            "PostgreSQL (two demo processes sharing sessions)",
            &format!("nothing answers at {PG} ({e})"),
            "Start PostgreSQL on 127.0.0.1:5432 with a database `test`.",
        );
        return;
    }
    let (pa, pb) = (free_port(), free_port());
    let env = [("DATABASE_URL", format!("postgres://postgres@{PG}/test"))];
    let _a = start_demo(pa, &env);
    let _b = start_demo(pb, &env);

    // Sign in on A: valid on B.
    let browser = sign_in(pa);
    assert_eq!(browser.session.len(), 36, "a database session token");
    assert_signed_in(pb, &browser.cookie);

    // Sign out on A: gone on B.
    sign_out(pa, &browser);
    let r = http(pb, "GET", "/api/auth/session", &browser.cookie, None);
    assert_eq!(r.body, "{}");
}
