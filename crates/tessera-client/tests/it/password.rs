//! Password accounts through `Client` against the engine with the `password` provider (its
//! mails captured by the outbox): sign-up → the verification link → sign-in; a forgotten
//! password → the mailed link → a reset that ends the user's other sessions; a change; the
//! refusals as typed errors; in next-auth 4 and next-auth 5 mode.

use tessera_client::{
    Client, ClientError, Compat, HttpRequest, Method, PasswordReset, Refusal, SignInOptions, SignInResponse,
    SignInResult, SignUp,
};

use crate::common::{Demo, Recorder};

const PASSWORD: &str = "violet-anvil-sings-42";

fn password_sign_in(email: &str, password: &str) -> SignInOptions {
    SignInOptions::new()
        .redirect(false)
        .field("email", email)
        .field("password", password)
}

async fn sign_in(client: &Client, email: &str, password: &str) -> SignInResult {
    match client
        .sign_in("password", password_sign_in(email, password), &[])
        .await
        .unwrap()
    {
        SignInResponse::Complete(result) => result,
        other @ SignInResponse::Redirect(_) => panic!("expected a result, got {other:?}"),
    }
}

async fn session_email(client: &Client) -> Option<String> {
    client.get_session().await.unwrap()?.user?.email
}

/// Opens a mailed link with the client's cookies (a GET, as a mail client's browser would).
async fn open(client: &Client, link: &str) -> u16 {
    let request = HttpRequest {
        method: Method::Get,
        url: link.to_owned(),
        headers: Vec::new(),
        body: None,
    };
    client.transport().send(request).await.unwrap().status
}

/// The refusal and status of a failed call.
fn refused<T: std::fmt::Debug>(result: Result<T, ClientError>) -> (Refusal, u16) {
    match result {
        Err(ClientError::Refused { reason, status, .. }) => (reason, status),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The form fields of the last POST, in order.
fn last_form(recorder: &Recorder) -> (HttpRequest, Vec<(String, String)>) {
    let request = recorder
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == Method::Post)
        .expect("a POST");
    let fields = form_urlencoded::parse(request.body.as_deref().unwrap().as_bytes())
        .into_owned()
        .collect();
    (request, fields)
}

fn names(fields: &[(String, String)]) -> Vec<&str> {
    fields.iter().map(|(k, _)| k.as_str()).collect()
}

/// Signs `email` up with `PASSWORD` and opens the verification link.
async fn account(demo: &Demo, client: &Client, email: &str) {
    client.sign_up("password", SignUp::new(email, PASSWORD)).await.unwrap();
    assert_eq!(open(client, &demo.last_link(email)).await, 200);
}

#[tokio::test]
async fn sign_up_then_verify_then_sign_in() {
    let demo = Demo::start_with_passwords(Compat::NextAuthV4);
    let (client, recorder) = demo.client();

    let page = client
        .sign_up("password", SignUp::new("Ada@Example.com", PASSWORD).name("Ada"))
        .await
        .unwrap();
    assert_eq!(
        page.url,
        format!("{}/verify-request?provider=password&type=signup", demo.api())
    );
    let (request, fields) = last_form(&recorder);
    assert_eq!(request.url, format!("{}/signup/password", demo.api()));
    assert_eq!(names(&fields), ["email", "password", "name", "csrfToken", "json"]);
    assert_eq!(recorder.count(Method::Get, "/csrf"), 1);

    // The link goes to the normalised address; until it is opened, sign-in is refused as
    // a wrong password is.
    let link = demo.last_link("ada@example.com");
    assert!(
        link.starts_with(&format!("{}/password/verify?token=", demo.api())),
        "{link}"
    );
    let early = sign_in(&client, "ada@example.com", PASSWORD).await;
    assert_eq!((early.error.as_deref(), early.status), (Some("CredentialsSignin"), 401));

    assert_eq!(open(&client, &link).await, 200);
    let result = sign_in(&client, "ada@example.com", PASSWORD).await;
    assert!(result.ok && result.error.is_none(), "{result:?}");
    assert_eq!(session_email(&client).await.as_deref(), Some("ada@example.com"));
    let session = client.get_session().await.unwrap().unwrap();
    assert_eq!(session.user.unwrap().name.as_deref(), Some("Ada"));
}

#[tokio::test]
async fn sign_up_refusals_are_typed() {
    let demo = Demo::start_with_passwords(Compat::NextAuthV4);
    let (client, _) = demo.client();
    let cases = [
        (SignUp::new("ada@example.com", "short"), Refusal::PasswordTooShort),
        (SignUp::new("ada@example.com", "password123"), Refusal::PasswordCommon),
        (
            SignUp::new("ada@example.com", "ada@example.com"),
            Refusal::PasswordSameAsEmail,
        ),
        (
            SignUp::new("ada@example.com", "x".repeat(129)),
            Refusal::PasswordTooLong,
        ),
        (SignUp::new("not an address", PASSWORD), Refusal::InvalidEmail),
        (
            SignUp::new("ada@example.com", PASSWORD).name("n".repeat(101)),
            Refusal::InvalidName,
        ),
    ];
    for (account, expected) in cases {
        let (reason, status) = refused(client.sign_up("password", account).await);
        assert_eq!((&reason, status), (&expected, 400));
    }
    assert_eq!(demo.mails(), 0, "nothing was mailed for a refused sign-up");

    // A taken address answers as a new one does.
    let first = client
        .sign_up("password", SignUp::new("ada@example.com", PASSWORD))
        .await
        .unwrap();
    let again = client
        .sign_up("password", SignUp::new("ada@example.com", "another-long-password-9"))
        .await
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(demo.mails(), 2);

    // An unknown provider id is not a password provider: the server's plain 400.
    let err = client
        .sign_up("credentials", SignUp::new("bob@example.com", PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err:?}");
}

#[tokio::test]
async fn a_forgotten_password_reset_ends_every_session() {
    let demo = Demo::start_with_passwords(Compat::NextAuthV4);
    let (client, recorder) = demo.client();
    account(&demo, &client, "ada@example.com").await;
    let (elsewhere, _) = demo.client();
    assert!(sign_in(&elsewhere, "ada@example.com", PASSWORD).await.ok);
    assert!(sign_in(&client, "ada@example.com", PASSWORD).await.ok);

    // The same answer for an unknown address (which is mailed a note instead).
    let known = client.request_password_reset("ada@example.com").await.unwrap();
    let link = demo.last_link("ada@example.com");
    let unknown = client.request_password_reset("nobody@example.com").await.unwrap();
    assert_eq!(known, unknown);
    assert_eq!(
        known.url,
        format!("{}/verify-request?provider=password&type=reset", demo.api())
    );
    let (_, fields) = last_form(&recorder);
    assert_eq!(names(&fields), ["email", "csrfToken", "json"]);
    assert_eq!(
        refused(client.request_password_reset("nope").await),
        (Refusal::InvalidEmail, 400)
    );

    let reset = PasswordReset::from_link(&link).unwrap();
    assert_eq!(reset.email(), "ada@example.com");
    // A refused password leaves the link usable.
    assert_eq!(
        refused(client.reset_password(&reset, "password1").await),
        (Refusal::PasswordCommon, 400)
    );
    let signin = client.reset_password(&reset, "a-new-long-password-1").await.unwrap();
    assert_eq!(
        signin.url,
        format!(
            "{}/signin?callbackUrl=http%3A%2F%2Flocalhost%3A{}%2F",
            demo.api(),
            demo.port
        )
    );
    let (_, fields) = last_form(&recorder);
    assert_eq!(
        names(&fields),
        ["token", "email", "password", "csrfToken", "callbackUrl", "json"]
    );
    // Every session ended, this client's too; the link works once.
    assert_eq!(session_email(&elsewhere).await, None);
    assert_eq!(session_email(&client).await, None);
    assert_eq!(
        refused(client.reset_password(&reset, "another-long-password-2").await),
        (Refusal::InvalidToken, 400)
    );
    let forged = PasswordReset::new("0".repeat(64), "ada@example.com");
    assert_eq!(
        refused(client.reset_password(&forged, "another-long-password-2").await),
        (Refusal::InvalidToken, 400)
    );
    assert!(!sign_in(&client, "ada@example.com", PASSWORD).await.ok);
    assert!(sign_in(&client, "ada@example.com", "a-new-long-password-1").await.ok);
}

#[tokio::test]
async fn a_change_keeps_this_session_and_ends_the_others() {
    let demo = Demo::start_with_passwords(Compat::NextAuthV4);
    let (client, recorder) = demo.client();
    assert_eq!(
        refused(client.change_password(PASSWORD, "a-new-long-password-1").await),
        (Refusal::SessionRequired, 401)
    );
    account(&demo, &client, "ada@example.com").await;
    let (other, _) = demo.client();
    assert!(sign_in(&other, "ada@example.com", PASSWORD).await.ok);
    assert!(sign_in(&client, "ada@example.com", PASSWORD).await.ok);

    assert_eq!(
        refused(
            client
                .change_password("not-the-password", "a-new-long-password-1")
                .await
        ),
        (Refusal::WrongPassword, 401)
    );
    let err = client.change_password(PASSWORD, "short").await.unwrap_err();
    assert!(err.refusal().is_some_and(Refusal::is_policy), "{err:?}");
    assert_eq!(session_email(&other).await.as_deref(), Some("ada@example.com"));

    let client = client.location(format!("{}/account", demo.url()));
    let done = client.change_password(PASSWORD, "a-new-long-password-1").await.unwrap();
    assert_eq!(done.url, format!("{}/account", demo.url()));
    let (_, fields) = last_form(&recorder);
    assert_eq!(
        names(&fields),
        ["currentPassword", "newPassword", "csrfToken", "callbackUrl", "json"]
    );
    assert_eq!(session_email(&client).await.as_deref(), Some("ada@example.com"));
    assert_eq!(session_email(&other).await, None);
    assert!(!sign_in(&other, "ada@example.com", PASSWORD).await.ok);
    assert!(sign_in(&other, "ada@example.com", "a-new-long-password-1").await.ok);
}

#[tokio::test]
async fn a_tampered_csrf_token_is_a_typed_refusal() {
    let demo = Demo::start_with_passwords(Compat::NextAuthV4);
    let (client, recorder) = demo.client();
    recorder.tamper(|request| {
        if request.method == Method::Post
            && let Some(body) = request.body.as_mut()
        {
            *body = body.replace("csrfToken=", "csrfToken=x");
        }
    });
    assert_eq!(
        refused(client.request_password_reset("ada@example.com").await),
        (Refusal::MissingCsrf, 403)
    );
    assert_eq!(demo.mails(), 0);
}

#[tokio::test]
async fn next_auth_5_mode() {
    let demo = Demo::start_with_passwords(Compat::AuthJsV5);
    let (client, recorder) = demo.client();
    let client = client.compat(Compat::AuthJsV5);
    account(&demo, &client, "ada@example.com").await;
    let (request, fields) = last_form(&recorder);
    assert_eq!(request.header("x-auth-return-redirect"), Some("1"));
    assert_eq!(names(&fields), ["email", "password", "csrfToken"]);

    // next-auth 5 answers refusals with 200; the client still reads them as refusals.
    assert_eq!(
        refused(
            client
                .sign_up("password", SignUp::new("bob@example.com", "short"))
                .await
        ),
        (Refusal::PasswordTooShort, 200)
    );
    let wrong = sign_in(&client, "ada@example.com", "not-the-password").await;
    assert_eq!(
        (wrong.error.as_deref(), wrong.code.as_deref()),
        (Some("CredentialsSignin"), Some("credentials"))
    );
    assert!(sign_in(&client, "ada@example.com", PASSWORD).await.ok);
    assert_eq!(session_email(&client).await.as_deref(), Some("ada@example.com"));

    assert_eq!(
        refused(
            client
                .change_password("not-the-password", "a-new-long-password-1")
                .await
        ),
        (Refusal::WrongPassword, 200)
    );
    client.change_password(PASSWORD, "a-new-long-password-1").await.unwrap();
    let (request, fields) = last_form(&recorder);
    assert_eq!(request.header("x-auth-return-redirect"), Some("1"));
    assert_eq!(
        names(&fields),
        ["currentPassword", "newPassword", "csrfToken", "callbackUrl"]
    );
    assert_eq!(session_email(&client).await.as_deref(), Some("ada@example.com"));

    client.request_password_reset("ada@example.com").await.unwrap();
    let reset = PasswordReset::from_link(&demo.last_link("ada@example.com")).unwrap();
    client.reset_password(&reset, "a-third-long-password-2").await.unwrap();
    assert_eq!(session_email(&client).await, None);
    assert_eq!(
        refused(client.reset_password(&reset, "a-fourth-long-password-3").await),
        (Refusal::InvalidToken, 200)
    );
    assert!(sign_in(&client, "ada@example.com", "a-third-long-password-2").await.ok);
}
