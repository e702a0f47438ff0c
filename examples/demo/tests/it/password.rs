//! The demo offers password accounts: the provider is listed, the home page links to
//! sign-up, and the sign-up page is served; the demo user (credentials) still signs in.

use crate::common::{free_port, http, start_demo};

#[test]
fn the_demo_offers_password_accounts() {
    let port = free_port();
    let _demo = start_demo(port, &[("DATABASE_URL", "sqlite::memory:".to_owned())]);
    let providers = http(port, "GET", "/api/auth/providers", "", None);
    let list: serde_json::Value = serde_json::from_str(&providers.body).unwrap();
    assert_eq!(list["password"]["type"], "credentials");
    assert!(list["credentials"].is_object(), "the demo user stays");
    let home = http(port, "GET", "/", "", None);
    assert!(
        home.body.contains(r#"href="/api/auth/signup/password""#),
        "{}",
        home.body
    );
    let page = http(port, "GET", "/api/auth/signup/password", "", None);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Create an account"));
    let signin = http(port, "GET", "/api/auth/signin", "", None);
    assert!(signin.body.contains("Forgot your password?"));
}
