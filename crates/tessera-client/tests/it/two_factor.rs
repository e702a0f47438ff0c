//! Two-factor sign-in and one-time email codes through `Client` against the engine with
//! `TwoFactor` on and email codes mailed with the links (its mails captured by the
//! outbox): the set-up (secret, URI, QR code) → enable with a first code (the recovery
//! codes) → a first factor gives `TwoFactorRequired` → `sign_in("two-factor", …)` signs
//! in; replayed and used codes refused; a recovery code works once; turning it off; the
//! refusals as typed errors; an email code signing in once, and burned by wrong ones; in
//! next-auth 4 and next-auth 5 mode. TOTP codes are computed here (RFC 6238, HMAC-SHA1
//! with ring), not taken from the engine.

use std::time::{SystemTime, UNIX_EPOCH};

use tessera_client::{
    Client, ClientError, Compat, HttpRequest, Method, Refusal, SignInOptions, SignInResponse, SignInResult, SignUp,
    TwoFactorProof,
};

use crate::common::{Demo, Recorder};

const PASSWORD: &str = "violet-anvil-sings-42";

/// RFC 6238 with HMAC-SHA1, six digits, for `secret` (base32) at `step`.
fn totp(secret: &str, step: u64) -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut key, mut buffer, mut bits) = (Vec::new(), 0u64, 0);
    for c in secret.bytes() {
        let v = alphabet.iter().position(|&a| a == c).expect("base32") as u64;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            key.push((buffer >> bits) as u8);
        }
    }
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &key);
    let mac = ring::hmac::sign(&key, &step.to_be_bytes());
    let mac = mac.as_ref();
    let at = (mac[19] & 0xf) as usize;
    let n = u32::from_be_bytes([mac[at], mac[at + 1], mac[at + 2], mac[at + 3]]) & 0x7fff_ffff;
    format!("{:06}", n % 1_000_000)
}

/// The current 30-second step.
fn step_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() / 30
}

/// A six-digit code that is not `code`.
fn not(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

async fn complete(client: &Client, provider: &str, options: SignInOptions) -> SignInResult {
    match client.sign_in(provider, options.redirect(false), &[]).await.unwrap() {
        SignInResponse::Complete(result) => result,
        other @ SignInResponse::Redirect(_) => panic!("expected a result, got {other:?}"),
    }
}

async fn password(client: &Client, email: &str) -> SignInResult {
    let options = SignInOptions::new().field("email", email).field("password", PASSWORD);
    complete(client, "password", options).await
}

async fn second_factor(client: &Client, code: &str) -> SignInResult {
    complete(client, "two-factor", SignInOptions::new().field("code", code)).await
}

async fn session_email(client: &Client) -> Option<String> {
    client.get_session().await.unwrap()?.user?.email
}

async fn sign_out(client: &Client) {
    client
        .sign_out(tessera_client::SignOutOptions::new().redirect(false))
        .await
        .unwrap();
    assert_eq!(session_email(client).await, None);
}

/// The refusal and status of a failed call.
fn refused<T: std::fmt::Debug>(result: Result<T, ClientError>) -> (Refusal, u16) {
    match result {
        Err(ClientError::Refused { reason, status, .. }) => (reason, status),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A refused sign-in: `error` with next-auth 4's 401, or next-auth 5's 200.
fn assert_refused(result: &SignInResult, error: &str, compat: Compat) {
    assert_eq!(result.error.as_deref(), Some(error), "{result:?}");
    assert_eq!(result.url, None);
    match compat {
        Compat::AuthJsV5 => assert_eq!((result.status, result.ok), (200, true), "{result:?}"),
        Compat::NextAuthV4 => assert_eq!((result.status, result.ok), (401, false), "{result:?}"),
    }
}

fn assert_signed_in(result: &SignInResult) {
    assert!(
        result.ok && result.error.is_none() && result.url.is_some(),
        "{result:?}"
    );
}

/// Signs `email` up with `PASSWORD`, opens the verification link and signs in.
async fn account(demo: &Demo, client: &Client, email: &str) {
    client.sign_up("password", SignUp::new(email, PASSWORD)).await.unwrap();
    let request = HttpRequest {
        method: Method::Get,
        url: demo.last_link(email),
        headers: Vec::new(),
        body: None,
    };
    assert_eq!(client.transport().send(request).await.unwrap().status, 200);
    assert_signed_in(&password(client, email).await);
}

/// The last request to a URL ending with `suffix`, with its form fields.
fn last_request(recorder: &Recorder, suffix: &str) -> (HttpRequest, Vec<(String, String)>) {
    let request = recorder
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.url.ends_with(suffix))
        .unwrap_or_else(|| panic!("a request to …{suffix}"));
    let fields = form_urlencoded::parse(request.body.as_deref().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    (request, fields)
}

fn names(fields: &[(String, String)]) -> Vec<&str> {
    fields.iter().map(|(k, _)| k.as_str()).collect()
}

async fn set_up_enable_sign_in_recover_disable(compat: Compat) {
    let demo = Demo::start_with_two_factor(compat);
    let (client, recorder) = demo.client();
    let client = client.compat(compat);
    let email = "ada@example.com";
    account(&demo, &client, email).await;

    // The set-up: a secret, its URI, a QR code; nothing stored until a first code.
    let setup = client.two_factor_setup().await.unwrap().expect("not on yet");
    let (request, _) = last_request(&recorder, "/two-factor/setup");
    assert_eq!(request.header("Accept"), Some("application/json"));
    assert_eq!(setup.secret.len(), 32);
    assert!(setup.uri.starts_with("otpauth://totp/Client%20tests:"), "{}", setup.uri);
    assert!(setup.uri.contains(&format!("secret={}", setup.secret)), "{}", setup.uri);
    assert!(setup.qr_svg.starts_with("<svg"), "{}", &setup.qr_svg[..20]);
    let step = step_now();
    let first = totp(&setup.secret, step);
    assert_eq!(
        refused(client.enable_two_factor(&not(&first)).await),
        (Refusal::WrongCode, 401)
    );
    let recovery = client.enable_two_factor(&first).await.unwrap();
    let (request, fields) = last_request(&recorder, "/two-factor/enable");
    assert_eq!(request.method, Method::Post);
    assert_eq!(names(&fields), ["code", "csrfToken", "json"]);
    assert_eq!(recovery.len(), 10);
    assert_eq!(client.two_factor_setup().await.unwrap(), None, "on now");

    // The password alone stops at TwoFactorRequired; the enabling step's code is used.
    sign_out(&client).await;
    assert_refused(&password(&client, email).await, "TwoFactorRequired", compat);
    assert_eq!(session_email(&client).await, None);
    assert_refused(&second_factor(&client, &first).await, "CredentialsSignin", compat);
    let next = totp(&setup.secret, step + 1);
    assert_signed_in(&second_factor(&client, &next).await);
    assert_eq!(session_email(&client).await.as_deref(), Some(email));

    // A replayed code is refused; a recovery code (any case) works once.
    sign_out(&client).await;
    assert_refused(&password(&client, email).await, "TwoFactorRequired", compat);
    assert_refused(&second_factor(&client, &next).await, "CredentialsSignin", compat);
    assert_signed_in(&second_factor(&client, &recovery[0].to_uppercase()).await);
    sign_out(&client).await;
    assert_refused(&password(&client, email).await, "TwoFactorRequired", compat);
    assert_refused(&second_factor(&client, &recovery[0]).await, "CredentialsSignin", compat);
    assert_eq!(session_email(&client).await, None);

    // An email code is a first factor too: it stops at TwoFactorRequired as well.
    let ask = SignInOptions::new().field("email", email);
    assert!(complete(&client, "email", ask).await.ok);
    let code = demo.last_code();
    let first_factor = client.sign_in_with_email_code("email", email, &code).await.unwrap();
    assert_refused(&first_factor, "TwoFactorRequired", compat);
    assert_signed_in(&second_factor(&client, &recovery[1]).await);
    assert_eq!(session_email(&client).await.as_deref(), Some(email));

    // Turning it off takes a right code or the password.
    let wrong = TwoFactorProof::Code("000000".into());
    assert_eq!(
        refused(client.disable_two_factor(wrong).await),
        (Refusal::WrongCode, 401)
    );
    let wrong = TwoFactorProof::Password("not-the-password-1".into());
    assert_eq!(
        refused(client.disable_two_factor(wrong).await),
        (Refusal::WrongCode, 401)
    );
    client
        .disable_two_factor(TwoFactorProof::Password(PASSWORD.into()))
        .await
        .unwrap();
    let (_, fields) = last_request(&recorder, "/two-factor/disable");
    assert_eq!(names(&fields), ["password", "csrfToken", "json"]);
    let again = TwoFactorProof::Password(PASSWORD.into());
    assert_eq!(
        refused(client.disable_two_factor(again).await),
        (Refusal::NotEnabled, 400)
    );
    sign_out(&client).await;
    assert_signed_in(&password(&client, email).await);
}

#[tokio::test]
async fn set_up_enable_sign_in_recover_disable_v4() {
    set_up_enable_sign_in_recover_disable(Compat::NextAuthV4).await;
}

#[tokio::test]
async fn set_up_enable_sign_in_recover_disable_v5() {
    set_up_enable_sign_in_recover_disable(Compat::AuthJsV5).await;
}

#[tokio::test]
async fn set_up_refusals_are_typed() {
    let demo = Demo::start_with_two_factor(Compat::NextAuthV4);
    let (client, _) = demo.client();
    assert_eq!(
        refused(client.two_factor_setup().await),
        (Refusal::SessionRequired, 401)
    );
    assert_eq!(
        refused(client.enable_two_factor("123456").await),
        (Refusal::SessionRequired, 401)
    );

    account(&demo, &client, "bob@example.com").await;
    // No set-up started by this client: nothing to enable.
    assert_eq!(
        refused(client.enable_two_factor("123456").await),
        (Refusal::SetupExpired, 400)
    );
    let code = TwoFactorProof::Code("123456".into());
    assert_eq!(
        refused(client.disable_two_factor(code).await),
        (Refusal::NotEnabled, 400)
    );
    // A user without a set-up signs in with the password alone.
    sign_out(&client).await;
    assert_signed_in(&password(&client, "bob@example.com").await);
}

async fn an_email_code_signs_in_once_and_wrong_ones_burn_it(compat: Compat) {
    let demo = Demo::start_with_two_factor(compat);
    let (client, recorder) = demo.client();
    let client = client.compat(compat);
    let email = "carol@example.com";
    let ask = SignInOptions::new().field("email", email);
    assert!(complete(&client, "email", ask.clone()).await.ok);
    let code = demo.last_code();

    let result = client.sign_in_with_email_code("email", email, &code).await.unwrap();
    assert_signed_in(&result);
    assert_eq!(result.url, Some(format!("{}/", demo.url())), "the client's location");
    let (request, fields) = last_request(&recorder, "/callback/email");
    assert_eq!(request.method, Method::Post);
    match compat {
        Compat::AuthJsV5 => {
            assert_eq!(names(&fields), ["email", "code", "csrfToken", "callbackUrl"]);
            assert_eq!(request.header("X-Auth-Return-Redirect"), Some("1"));
        }
        Compat::NextAuthV4 => assert_eq!(names(&fields), ["email", "code", "csrfToken", "callbackUrl", "json"]),
    }
    assert_eq!(session_email(&client).await.as_deref(), Some(email));
    sign_out(&client).await;
    let replay = client.sign_in_with_email_code("email", email, &code).await.unwrap();
    assert_refused(&replay, "Verification", compat);

    // Five wrong codes burn the address's codes: the right one fails too.
    let other = "dave@example.com";
    assert!(
        complete(&client, "email", SignInOptions::new().field("email", other))
            .await
            .ok
    );
    let code = demo.last_code();
    for _ in 0..5 {
        let wrong = client
            .sign_in_with_email_code("email", other, &not(&code))
            .await
            .unwrap();
        assert_refused(&wrong, "Verification", compat);
    }
    let burned = client.sign_in_with_email_code("email", other, &code).await.unwrap();
    assert_refused(&burned, "Verification", compat);
    assert_eq!(session_email(&client).await, None);
}

#[tokio::test]
async fn an_email_code_signs_in_once_and_wrong_ones_burn_it_v4() {
    an_email_code_signs_in_once_and_wrong_ones_burn_it(Compat::NextAuthV4).await;
}

#[tokio::test]
async fn an_email_code_signs_in_once_and_wrong_ones_burn_it_v5() {
    an_email_code_signs_in_once_and_wrong_ones_burn_it(Compat::AuthJsV5).await;
}
