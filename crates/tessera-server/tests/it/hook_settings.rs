//! `Hooks::new` refuses unusable settings with a typed error.

use std::time::Duration;

use tessera_server::hooks::{HookConfigError, HookSettings, Hooks, UpdateField};

use crate::harness::settings;

fn refused(change: impl FnOnce(&mut HookSettings)) -> HookConfigError {
    let mut s = settings();
    change(&mut s);
    Hooks::new(s).expect_err("refused")
}

#[test]
fn short_secrets_and_zero_timeouts_are_refused() {
    assert_eq!(
        refused(|s| s.secret = tessera::Secret::new("short")),
        HookConfigError::SecretTooShort(5)
    );
    assert_eq!(refused(|s| s.timeout = Duration::ZERO), HookConfigError::ZeroTimeout);
}

#[test]
fn hook_urls_must_be_absolute_http_without_credentials() {
    for (url, reason) in [
        ("/api/hooks", "is not an absolute URL"),
        ("ftp://app.example/hooks", "must be http or https"),
        ("file:///etc/passwd", "must be http or https"),
        (
            "https://user:pw@app.example/hooks",
            "must not hold a user name or password (the signature authenticates Tessera)",
        ),
        ("https://app.example/hooks#x", "must not have a fragment"),
    ] {
        let err = refused(|s| s.session = Some(url.into()));
        assert_eq!(
            err,
            HookConfigError::InvalidUrl {
                hook: "session",
                reason
            },
            "{url}"
        );
        // The message names the hook, not the URL (it may hold a password).
        assert!(!err.to_string().contains("pw@"), "{err}");
    }
    let mut s = settings();
    s.authorize = Some("https://app.example/hooks?key=1".into());
    s.sign_in = Some("http://127.0.0.1:3000/hooks".into());
    assert!(Hooks::new(s).is_ok());
}

#[test]
fn update_fields_are_name_and_image_and_not_beside_a_jwt_hook() {
    assert_eq!(
        refused(|s| s.update_fields = vec![UpdateField::new("email", 64)]),
        HookConfigError::UnknownUpdateField("email".into())
    );
    assert_eq!(
        refused(|s| s.update_fields = vec![UpdateField::new("name", 0)]),
        HookConfigError::ZeroMaxChars("name".into())
    );
    assert_eq!(
        refused(|s| {
            s.update_fields = vec![UpdateField::new("name", 64)];
            s.jwt = Some("http://127.0.0.1:3000/hooks".into());
        }),
        HookConfigError::UpdateFieldsWithJwtHook
    );
}

#[test]
fn no_authorize_hook_no_authorizer() {
    let hooks = Hooks::new(settings()).unwrap();
    assert!(hooks.authorizer("credentials").is_none());
}
