//! The demo offers password accounts: the provider is listed, the home page links to
//! sign-up, and the sign-up page is served; the demo user (credentials) still signs in. It
//! offers two-factor sign-in (linked from the home page) and email codes with the links.

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

#[test]
fn the_demo_offers_two_factor_sign_in_and_email_codes() {
    let port = free_port();
    let _demo = start_demo(port, &[("DATABASE_URL", "sqlite::memory:".to_owned())]);
    let providers = http(port, "GET", "/api/auth/providers", "", None);
    let list: serde_json::Value = serde_json::from_str(&providers.body).unwrap();
    assert_eq!(list["two-factor"]["type"], "credentials", "{}", providers.body);

    // A signed-in user finds the set-up from the home page; it answers a new secret.
    let browser = crate::common::sign_in(port);
    let home = http(port, "GET", "/", &browser.cookie, None);
    assert!(
        home.body.contains(r#"href="/api/auth/two-factor/setup""#),
        "{}",
        home.body
    );
    let setup = http(
        port,
        "GET",
        "/api/auth/two-factor/setup?json=true",
        &browser.cookie,
        None,
    );
    assert_eq!(setup.status, 200, "{}", setup.body);
    let setup: serde_json::Value = serde_json::from_str(&setup.body).unwrap();
    assert_eq!(setup["enabled"], false);
    assert!(
        setup["uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/Tessera%20demo:"),
        "{setup}"
    );

    // Email codes come with the links by default: the verify-request page takes one.
    let page = http(
        port,
        "GET",
        "/api/auth/verify-request?provider=email&type=email",
        "",
        None,
    );
    assert!(page.body.contains(r#"name="code""#), "{}", page.body);
}
