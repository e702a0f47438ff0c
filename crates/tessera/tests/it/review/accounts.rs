//! Accounts and adapters: H2, I12, M1, L9, I1, L11, I4.
//!
//! Every flow runs in process: the engine with a `MemoryAdapter`, database sessions, a
//! credentials provider whose `authorize` returns what the form says (the app's own,
//! unverified registration data), an email provider with a recording mailer, and a plain
//! OAuth 2 provider behind a fake IdP whose userinfo profile each test sets.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use http::StatusCode;
use serde_json::{Value, json};
use tessera::adapter::{Adapter, AdapterError, AdapterSession, MemoryAdapter, NewUser, UserUpdate, VerificationToken};
use tessera::providers::email::EmailProvider;
use tessera::providers::{Credentials, CredentialsProvider, OAuthProvider};
use tessera::{Account, Auth, AuthBuilder, User};

use crate::common::fake_idp::FakeIdp;
use crate::common::outbox::Outbox;
use crate::common::{Browser, Reply, SECRET};

const IDP: &str = "https://idp.example";
const TOKEN: &str = "next-auth.session-token";

// ---------------------------------------------------------------------------------------
// The fake IdP, the mailer and the app
// ---------------------------------------------------------------------------------------

/// A plain OAuth 2 IdP (the shared fake): any code buys an access token; userinfo
/// answers the profile each sign-in sets (`oauth_sign_in`).
fn fake_idp() -> FakeIdp {
    let idp = FakeIdp::default();
    idp.on(
        "POST",
        &format!("{IDP}/token"),
        json!({"access_token": "at", "token_type": "bearer"}),
    )
    .on("GET", &format!("{IDP}/userinfo"), Value::Null);
    idp
}

/// The app's credentials check: any `username` with password `pw`; the email, name and
/// image are whatever the form (the app's unverified registration data) says.
fn credentials() -> CredentialsProvider {
    CredentialsProvider::new(|c: Credentials| async move {
        if c.get("password") != Some("pw") {
            return Ok(None);
        }
        let Some(id) = c.get("username") else { return Ok(None) };
        Ok(Some(User {
            name: c.get("name").map(str::to_owned),
            email: c.get("email").map(str::to_owned),
            image: c.get("image").map(str::to_owned),
            ..User::new(id)
        }))
    })
}

fn idp_provider(dangerous: bool) -> OAuthProvider {
    OAuthProvider::new("idp")
        .authorization(format!("{IDP}/authorize"))
        .token(format!("{IDP}/token"))
        .userinfo(format!("{IDP}/userinfo"))
        .client_id("cid")
        .client_secret("csec")
        .allow_dangerous_email_account_linking(dangerous)
}

/// The app: database sessions, the email provider and the IdP's client, plus the
/// providers `f` adds.
struct App {
    idp: FakeIdp,
    outbox: Outbox,
    auth: Auth,
}

impl App {
    fn on(db: Arc<dyn Adapter>, f: impl FnOnce(AuthBuilder) -> AuthBuilder) -> App {
        let (idp, outbox) = (fake_idp(), Outbox::default());
        let auth = Auth::builder()
            .url("http://localhost:3000")
            .secret(SECRET)
            .http_client(idp.clone())
            .provider(EmailProvider::new(outbox.clone()))
            .adapter(db);
        let auth = f(auth).build().unwrap();
        App { idp, outbox, auth }
    }

    fn browser(&self) -> Browser {
        Browser::new(self.auth.clone())
    }
}

/// An app on the `MemoryAdapter` `db`.
fn app(db: &Arc<MemoryAdapter>, f: impl FnOnce(AuthBuilder) -> AuthBuilder) -> App {
    App::on(db.clone(), f)
}

/// A credentials sign-in (`json=true`) with these form fields besides the password.
async fn credentials_sign_in(b: &mut Browser, fields: &[(&str, &str)]) -> Reply {
    let csrf = b.csrf().await;
    let mut form = vec![("password", "pw"), ("csrfToken", &csrf), ("json", "true")];
    form.extend_from_slice(fields);
    b.post_form("/api/auth/callback/credentials", &form).await
}

/// A whole OAuth sign-in with the IdP answering `profile`.
async fn oauth_sign_in(b: &mut Browser, idp: &FakeIdp, profile: Value) -> Reply {
    idp.on("GET", &format!("{IDP}/userinfo"), profile);
    let csrf = b.csrf().await;
    let r = b.post_form("/api/auth/signin/idp", &[("csrfToken", &csrf)]).await;
    assert_eq!(r.status, StatusCode::FOUND, "{:?}", r.location());
    let url = r.location().unwrap().to_owned();
    let query = url.split_once('?').unwrap().1;
    let state = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    b.get(&format!("/api/auth/callback/idp?code=c&state={state}")).await
}

/// A whole email sign-in: request the link, then follow it.
async fn email_sign_in(b: &mut Browser, outbox: &Outbox, email: &str) -> Reply {
    let csrf = b.csrf().await;
    let r = b
        .post_form(
            "/api/auth/signin/email",
            &[("csrfToken", &csrf), ("email", email), ("json", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let link = outbox.last_link();
    b.get(link.strip_prefix("http://localhost:3000").unwrap()).await
}

async fn session(b: &mut Browser) -> Value {
    b.get("/api/auth/session").await.json()
}

fn error_url(code: &str) -> String {
    format!("http://localhost:3000/api/auth/error?error={code}")
}

// ---------------------------------------------------------------------------------------
// H2 and I12: credentials with database sessions
// ---------------------------------------------------------------------------------------

/// The attack of H2: the victim has a user (by magic link, or by OAuth); the attacker
/// registers with the app under the victim's address and signs in with credentials.
#[tokio::test]
async fn h2_credentials_never_sign_in_as_a_user_found_by_email() {
    let db = Arc::new(MemoryAdapter::new());
    let app = app(&db, |b| b.provider(credentials()).provider(idp_provider(false)));

    // Victim 1 signed up by magic link (verified), victim 2 by OAuth (unverified).
    let mut v1 = app.browser();
    email_sign_in(&mut v1, &app.outbox, "victim@corp.com").await;
    let mut v2 = app.browser();
    let r = oauth_sign_in(&mut v2, &app.idp, json!({"id": "v2", "email": "second@corp.com"})).await;
    assert_eq!(r.location(), Some("http://localhost:3000"));

    for (victim, claimed) in [
        ("victim@corp.com", "victim@corp.com"),
        ("victim@corp.com", " Victim@CORP.com"),
        ("second@corp.com", "second@corp.com"),
    ] {
        let before = db.get_user_by_email(victim).await.unwrap().unwrap();
        let accounts_before = db.list_accounts(&before.id).await.unwrap();
        let sessions_before = db.list_sessions(&before.id).await.unwrap();

        let mut attacker = app.browser();
        let r = credentials_sign_in(&mut attacker, &[("username", "mallory"), ("email", claimed)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{claimed}");
        assert_eq!(r.json(), json!({"url": error_url("OAuthAccountNotLinked")}));
        assert!(!attacker.jar.contains_key(TOKEN), "no session cookie");
        assert_eq!(session(&mut attacker).await, json!({}), "no session as the victim");

        let after = db.get_user_by_email(victim).await.unwrap().unwrap();
        assert_eq!(after, before, "the victim's user is unchanged");
        assert_eq!(
            db.list_accounts(&after.id).await.unwrap(),
            accounts_before,
            "nothing linked to it"
        );
        assert_eq!(db.list_sessions(&after.id).await.unwrap(), sessions_before);
        assert!(
            db.get_user_by_account("credentials", "mallory")
                .await
                .unwrap()
                .is_none(),
            "the credentials account is linked to nobody"
        );
    }

    // A credentials user with an address of its own is created, with its account.
    let mut honest = app.browser();
    let r = credentials_sign_in(&mut honest, &[("username", "hana"), ("email", "Hana@corp.com")]).await;
    assert_eq!(r.json(), json!({"url": "http://localhost:3000"}));
    let hana = db.get_user_by_account("credentials", "hana").await.unwrap().unwrap();
    assert_eq!(hana.email.as_deref(), Some("hana@corp.com"), "stored normalised");
    assert_eq!(hana.email_verified, None);
    assert_eq!(session(&mut honest).await["user"]["email"], "hana@corp.com");
}

/// The opt-in links a new credentials account by email onto a verified user only.
#[tokio::test]
async fn h2_opt_in_email_linking_needs_a_verified_user() {
    let db = Arc::new(MemoryAdapter::new());
    let app = app(&db, |b| {
        b.provider(credentials().allow_dangerous_email_account_linking(true))
            .provider(idp_provider(false))
    });
    let mut oauth_user = app.browser();
    oauth_sign_in(
        &mut oauth_user,
        &app.idp,
        json!({"id": "o-1", "email": "unverified@corp.com"}),
    )
    .await;
    let unverified = db.get_user_by_email("unverified@corp.com").await.unwrap().unwrap();
    assert_eq!(unverified.email_verified, None);

    let mut b = app.browser();
    let r = credentials_sign_in(&mut b, &[("username", "u-1"), ("email", "unverified@corp.com")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json(), json!({"url": error_url("OAuthAccountNotLinked")}));
    assert_eq!(
        db.list_accounts(&unverified.id).await.unwrap().len(),
        1,
        "only its OAuth account"
    );

    let mut owner = app.browser();
    email_sign_in(&mut owner, &app.outbox, "verified@corp.com").await;
    let verified = db.get_user_by_email("verified@corp.com").await.unwrap().unwrap();
    let mut b = app.browser();
    let r = credentials_sign_in(&mut b, &[("username", "u-2"), ("email", "verified@corp.com")]).await;
    assert_eq!(r.json(), json!({"url": "http://localhost:3000"}));
    let linked = db.get_user_by_account("credentials", "u-2").await.unwrap().unwrap();
    assert_eq!(linked.id, verified.id, "linked to the verified user");
    assert_eq!(session(&mut b).await["user"]["email"], "verified@corp.com");
}

/// An email change (by `authorize` or any engine update) resets `email_verified`; an
/// address another user has is not taken over.
#[tokio::test]
async fn h2_an_email_change_resets_verification() {
    let db = Arc::new(MemoryAdapter::new());
    let app = app(&db, |b| b.provider(credentials()));
    let mut b = app.browser();
    credentials_sign_in(&mut b, &[("username", "u-1"), ("email", "old@corp.com")]).await;
    let user = db.get_user_by_account("credentials", "u-1").await.unwrap().unwrap();
    // Say the address was verified since (an email sign-in, or the app).
    db.update_user(UserUpdate {
        id: user.id.clone(),
        email_verified: Some(Some(SystemTime::now())),
        ..Default::default()
    })
    .await
    .unwrap();

    // The same address: still verified.
    credentials_sign_in(&mut b, &[("username", "u-1"), ("email", "old@corp.com")]).await;
    let same = db.get_user(&user.id).await.unwrap().unwrap();
    assert!(same.email_verified.is_some());

    // The app's (unverified) email change reaches the stored user, unverified.
    credentials_sign_in(&mut b, &[("username", "u-1"), ("email", "new@corp.com")]).await;
    let moved = db.get_user(&user.id).await.unwrap().unwrap();
    assert_eq!(moved.email.as_deref(), Some("new@corp.com"));
    assert_eq!(moved.email_verified, None, "a new address is not verified");

    // Another user's address is not taken over: the stored one stays, the sign-in works.
    db.create_user(NewUser {
        email: Some("taken@corp.com".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    let r = credentials_sign_in(&mut b, &[("username", "u-1"), ("email", "taken@corp.com")]).await;
    assert_eq!(r.json(), json!({"url": "http://localhost:3000"}));
    let kept = db.get_user(&user.id).await.unwrap().unwrap();
    assert_eq!(kept.email.as_deref(), Some("new@corp.com"));
    assert_eq!(session(&mut b).await["user"]["email"], "new@corp.com");
}

/// I12, kept on purpose: `authorize` is the source of truth for the profile, as in
/// NextAuth's JWT sign-in, so a later sign-in stores the name it returns (an app that lets
/// users rename themselves returns the stored name); what it leaves unset stays.
#[tokio::test]
async fn i12_authorize_is_the_source_of_truth_for_the_profile() {
    let db = Arc::new(MemoryAdapter::new());
    let app = app(&db, |b| b.provider(credentials()));
    let mut b = app.browser();
    let fields = [("username", "u-1"), ("email", "u@corp.com"), ("name", "Ursula")];
    credentials_sign_in(&mut b, &fields).await;
    let user = db.get_user_by_account("credentials", "u-1").await.unwrap().unwrap();
    assert_eq!((user.name.as_deref(), user.image.as_deref()), (Some("Ursula"), None));

    // The user renames themselves (the app's `update`, stored through the adapter).
    db.update_user(UserUpdate {
        id: user.id.clone(),
        name: Some(Some("Ursula K.".into())),
        ..Default::default()
    })
    .await
    .unwrap();
    // authorize returns no name (and an image): the rename stays, the image is stored.
    let fields = [
        ("username", "u-1"),
        ("email", "u@corp.com"),
        ("image", "http://img/u.png"),
    ];
    credentials_sign_in(&mut b, &fields).await;
    let after = db.get_user(&user.id).await.unwrap().unwrap();
    assert_eq!(
        after.name.as_deref(),
        Some("Ursula K."),
        "an unset name keeps the stored one"
    );
    assert_eq!(after.image.as_deref(), Some("http://img/u.png"));
    assert_eq!(session(&mut b).await["user"]["name"], "Ursula K.");

    // authorize returns a name: it wins, as it does in the JWT strategy.
    let fields = [("username", "u-1"), ("email", "u@corp.com"), ("name", "Ursula")];
    credentials_sign_in(&mut b, &fields).await;
    let after = db.get_user(&user.id).await.unwrap().unwrap();
    assert_eq!(after.name.as_deref(), Some("Ursula"));
    assert_eq!(
        after.image.as_deref(),
        Some("http://img/u.png"),
        "an unset image keeps the stored one"
    );
    assert_eq!(session(&mut b).await["user"]["name"], "Ursula");
}

// ---------------------------------------------------------------------------------------
// M1, L9, I1: OAuth emails
// ---------------------------------------------------------------------------------------

/// M1 end to end: an IdP account claiming the victim's address (no `email_verified`, as
/// Azure AD) pre-registers a user; the victim's magic-link sign-in takes it over and the
/// attacker's account, session and later sign-ins no longer reach it.
#[tokio::test]
async fn m1_a_magic_link_sign_in_evicts_accounts_linked_on_an_unverified_email() {
    let db = Arc::new(MemoryAdapter::new());
    let app = app(&db, |b| b.provider(idp_provider(false)).provider(credentials()));
    let mut attacker = app.browser();
    let claim = json!({"id": "evil", "email": "victim@corp.com", "name": "Mallory"});
    oauth_sign_in(&mut attacker, &app.idp, claim.clone()).await;
    let pre = db.get_user_by_account("idp", "evil").await.unwrap().unwrap();
    assert_eq!(
        (pre.email.as_deref(), pre.email_verified),
        (Some("victim@corp.com"), None)
    );
    assert_eq!(session(&mut attacker).await["user"]["email"], "victim@corp.com");

    // The victim signs up by magic link.
    let mut victim = app.browser();
    let r = email_sign_in(&mut victim, &app.outbox, "victim@corp.com").await;
    assert_eq!(r.location(), Some("http://localhost:3000"));
    assert_eq!(session(&mut victim).await["user"]["email"], "victim@corp.com");
    let user = db.get_user_by_email("victim@corp.com").await.unwrap().unwrap();
    assert!(user.email_verified.is_some());
    assert!(
        db.list_accounts(&user.id).await.unwrap().is_empty(),
        "the attacker's account is unlinked"
    );
    assert_eq!(
        db.list_sessions(&user.id).await.unwrap().len(),
        1,
        "only the victim's session"
    );
    assert_eq!(
        session(&mut attacker).await,
        json!({}),
        "the attacker's session is over"
    );

    // The attacker signs in with the IdP again: not into the victim's user.
    let mut again = app.browser();
    let r = oauth_sign_in(&mut again, &app.idp, claim).await;
    assert_eq!(r.location(), Some(error_url("OAuthAccountNotLinked").as_str()));
    assert!(db.get_user_by_account("idp", "evil").await.unwrap().is_none());
    assert_eq!(session(&mut again).await, json!({}));

    // The same holds for a credentials account that claimed the address first.
    let mut creds = app.browser();
    credentials_sign_in(&mut creds, &[("username", "mallory"), ("email", "other@corp.com")]).await;
    let mut owner = app.browser();
    email_sign_in(&mut owner, &app.outbox, "other@corp.com").await;
    assert!(
        db.get_user_by_account("credentials", "mallory")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(session(&mut creds).await, json!({}));

    // A verified user keeps its accounts across email sign-ins.
    let mut linked = app.browser();
    email_sign_in(&mut linked, &app.outbox, "owner@corp.com").await;
    oauth_sign_in(&mut linked, &app.idp, json!({"id": "mine", "email": "owner@corp.com"})).await;
    let owner = db.get_user_by_email("owner@corp.com").await.unwrap().unwrap();
    email_sign_in(&mut app.browser(), &app.outbox, "owner@corp.com").await;
    assert_eq!(db.list_accounts(&owner.id).await.unwrap().len(), 1);
}

/// M1: an address the IdP says is unverified is not kept at all.
#[tokio::test]
async fn m1_an_email_the_idp_calls_unverified_is_dropped() {
    let db = Arc::new(MemoryAdapter::new());
    let app = app(&db, |b| b.provider(idp_provider(false)));
    for (id, verified) in [("a", json!(false)), ("b", json!("false"))] {
        let mut b = app.browser();
        let profile = json!({"id": id, "email": format!("{id}@corp.com"), "email_verified": verified});
        let r = oauth_sign_in(&mut b, &app.idp, profile).await;
        assert_eq!(r.location(), Some("http://localhost:3000"));
        let user = db.get_user_by_account("idp", id).await.unwrap().unwrap();
        assert_eq!(user.email, None, "{id}");
        assert_eq!(session(&mut b).await["user"]["email"], Value::Null);
    }
}

/// L9: an address `normalize_email` refuses is not stored (nor put in the session).
#[tokio::test]
async fn l9_an_invalid_idp_email_is_not_stored() {
    let db = Arc::new(MemoryAdapter::new());
    let app = app(&db, |b| b.provider(idp_provider(false)));
    let mut b = app.browser();
    let r = oauth_sign_in(&mut b, &app.idp, json!({"id": "x", "email": "a@x.com,victim@y.com"})).await;
    assert_eq!(r.location(), Some("http://localhost:3000"));
    let user = db.get_user_by_account("idp", "x").await.unwrap().unwrap();
    assert_eq!(user.email, None);
    assert!(db.get_user_by_email("a@x.com,victim@y.com").await.unwrap().is_none());
    assert_eq!(session(&mut b).await["user"]["email"], Value::Null);
}

/// I1: with `allow_dangerous_email_account_linking`, an Azure-AD-like profile (no
/// `email_verified` claim) does not link by email; an explicit `true` does.
#[tokio::test]
async fn i1_dangerous_linking_needs_an_explicit_email_verified() {
    let db = Arc::new(MemoryAdapter::new());
    let app = app(&db, |b| b.provider(idp_provider(true)));
    let victim = verified_user(&db, "victim@corp.com").await;
    let azure_like = json!({"sub": "oid-1", "name": "M", "email": "victim@corp.com", "preferred_username": "m"});
    let mut b = app.browser();
    let r = oauth_sign_in(&mut b, &app.idp, azure_like).await;
    assert_eq!(r.location(), Some(error_url("OAuthAccountNotLinked").as_str()));
    assert!(db.list_accounts(&victim.id).await.unwrap().is_empty());
    assert_eq!(session(&mut b).await, json!({}));

    let vouched = json!({"sub": "oid-2", "email": "victim@corp.com", "email_verified": true});
    let r = oauth_sign_in(&mut b, &app.idp, vouched).await;
    assert_eq!(r.location(), Some("http://localhost:3000"));
    assert_eq!(
        db.get_user_by_account("idp", "oid-2").await.unwrap().map(|u| u.id),
        Some(victim.id)
    );
}

/// GitHub (the shared fake): `/user` answers what each sign-in sets, `/user/emails` one
/// verified primary address.
fn github() -> FakeIdp {
    let github = FakeIdp::default();
    github
        .on(
            "POST",
            "https://github.com/login/oauth/access_token",
            json!({"access_token": "gho", "token_type": "bearer"}),
        )
        .on(
            "GET",
            "https://api.github.com/user/emails",
            json!([
                {"email": "other@corp.com", "primary": false, "verified": true},
                {"email": "Victim@corp.com", "primary": true, "verified": true},
            ]),
        );
    github
}

/// I1: the GitHub preset vouches (`email_verified: true`) for the address it takes from
/// `/user/emails`, which GitHub marks verified; a public profile email is not vouched for.
#[tokio::test]
async fn i1_the_github_preset_vouches_only_for_the_verified_address_it_picks() {
    let db = Arc::new(MemoryAdapter::new());
    let github = github();
    let preset = tessera::providers::presets::github_with("cid", "csec").allow_dangerous_email_account_linking(true);
    let auth = Auth::builder()
        .url("http://localhost:3000")
        .secret(SECRET)
        .http_client(github.clone())
        .provider(preset)
        .adapter(db.clone())
        .build()
        .unwrap();
    let victim = verified_user(&db, "victim@corp.com").await;
    let sign_in = |user: Value| {
        let (auth, github) = (auth.clone(), github.clone());
        async move {
            github.on("GET", "https://api.github.com/user", user);
            let mut b = Browser::new(auth);
            let csrf = b.csrf().await;
            let r = b.post_form("/api/auth/signin/github", &[("csrfToken", &csrf)]).await;
            let url = r.location().unwrap().to_owned();
            let query = url.split_once('?').unwrap().1;
            let (_, state) = form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "state")
                .unwrap();
            b.get(&format!("/api/auth/callback/github?code=c&state={state}")).await
        }
    };
    let r = sign_in(json!({"id": 1, "login": "pub", "email": "victim@corp.com"})).await;
    assert_eq!(r.location(), Some(error_url("OAuthAccountNotLinked").as_str()));
    let r = sign_in(json!({"id": 2, "login": "octo", "email": null})).await;
    assert_eq!(r.location(), Some("http://localhost:3000"));
    assert_eq!(
        db.get_user_by_account("github", "2").await.unwrap().map(|u| u.id),
        Some(victim.id)
    );
}

// ---------------------------------------------------------------------------------------
// L11: atomic sign-up
// ---------------------------------------------------------------------------------------

/// A third-party adapter (default `create_user_and_link`) whose `link_account` can fail.
#[derive(Default)]
struct FlakyLinks {
    inner: MemoryAdapter,
    fail_link: AtomicBool,
}

#[tessera::async_trait]
impl Adapter for FlakyLinks {
    async fn create_user(&self, u: NewUser) -> Result<User, AdapterError> {
        self.inner.create_user(u).await
    }
    async fn get_user(&self, id: &str) -> Result<Option<User>, AdapterError> {
        self.inner.get_user(id).await
    }
    async fn get_user_by_email(&self, e: &str) -> Result<Option<User>, AdapterError> {
        self.inner.get_user_by_email(e).await
    }
    async fn get_user_by_account(&self, p: &str, id: &str) -> Result<Option<User>, AdapterError> {
        self.inner.get_user_by_account(p, id).await
    }
    async fn update_user(&self, u: UserUpdate) -> Result<User, AdapterError> {
        self.inner.update_user(u).await
    }
    async fn delete_user(&self, id: &str) -> Result<(), AdapterError> {
        self.inner.delete_user(id).await
    }
    async fn link_account(&self, a: Account) -> Result<(), AdapterError> {
        if self.fail_link.load(Ordering::SeqCst) {
            return Err(AdapterError::Backend("the database went away".into()));
        }
        self.inner.link_account(a).await
    }
    async fn unlink_account(&self, p: &str, id: &str) -> Result<(), AdapterError> {
        self.inner.unlink_account(p, id).await
    }
    async fn update_account(&self, a: Account) -> Result<(), AdapterError> {
        self.inner.update_account(a).await
    }
    async fn list_accounts(&self, id: &str) -> Result<Vec<Account>, AdapterError> {
        self.inner.list_accounts(id).await
    }
    async fn create_session(&self, s: AdapterSession) -> Result<AdapterSession, AdapterError> {
        self.inner.create_session(s).await
    }
    async fn get_session_and_user(&self, t: &str) -> Result<Option<(AdapterSession, User)>, AdapterError> {
        self.inner.get_session_and_user(t).await
    }
    async fn update_session(&self, t: &str, e: SystemTime) -> Result<(), AdapterError> {
        self.inner.update_session(t, e).await
    }
    async fn delete_session(&self, t: &str) -> Result<Option<AdapterSession>, AdapterError> {
        self.inner.delete_session(t).await
    }
    async fn list_sessions(&self, id: &str) -> Result<Vec<AdapterSession>, AdapterError> {
        self.inner.list_sessions(id).await
    }
    async fn delete_user_sessions(&self, id: &str, keep: Option<&str>) -> Result<u64, AdapterError> {
        self.inner.delete_user_sessions(id, keep).await
    }
    async fn create_verification_token(&self, t: VerificationToken) -> Result<(), AdapterError> {
        self.inner.create_verification_token(t).await
    }
    async fn use_verification_token(&self, i: &str, t: &str) -> Result<Option<VerificationToken>, AdapterError> {
        self.inner.use_verification_token(i, t).await
    }
}

/// Records the account events.
#[derive(Clone, Default)]
struct EventLog(Arc<Mutex<Vec<String>>>);

#[tessera::async_trait]
impl tessera::events::Events for EventLog {
    async fn create_user(&self, e: tessera::events::CreateUserEvent<'_>) {
        let email = e.user.email.clone().unwrap_or_default();
        self.0.lock().unwrap().push(format!("create_user {email}"));
    }
    async fn link_account(&self, e: tessera::events::LinkAccountEvent<'_>) {
        let a = e.account;
        assert_eq!(a.user_id.as_deref(), Some(e.user.id.as_str()));
        let line = format!("link_account {}/{}", a.provider, a.provider_account_id);
        self.0.lock().unwrap().push(line);
    }
}

/// L11: a sign-up whose link fails leaves no user behind (so the next try works instead of
/// ending in `OAuthAccountNotLinked` forever), fires no event, and a successful one fires
/// `create_user` and `link_account` once each.
#[tokio::test]
async fn l11_a_failed_link_leaves_no_user_behind() {
    let db = Arc::new(FlakyLinks::default());
    let log = EventLog::default();
    let app = App::on(db.clone(), |b| {
        b.provider(idp_provider(false))
            .provider(credentials())
            .events(log.clone())
    });
    db.fail_link.store(true, Ordering::SeqCst);
    let profile = json!({"id": "o-1", "email": "new@corp.com"});
    let mut b = app.browser();
    // A failed store is a 503: the error page for the browser, its URL for a JSON client.
    let r = oauth_sign_in(&mut b, &app.idp, profile.clone()).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.text().contains("Service unavailable"), "{}", r.text());
    assert!(db.inner.get_user_by_email("new@corp.com").await.unwrap().is_none());
    let r = credentials_sign_in(&mut b, &[("username", "c-1"), ("email", "cred@corp.com")]).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.json(), json!({"url": error_url("ServiceUnavailable")}));
    assert!(db.inner.get_user_by_email("cred@corp.com").await.unwrap().is_none());
    assert!(log.0.lock().unwrap().is_empty(), "no event for what was rolled back");

    db.fail_link.store(false, Ordering::SeqCst);
    let r = oauth_sign_in(&mut b, &app.idp, profile).await;
    assert_eq!(r.location(), Some("http://localhost:3000"));
    assert_eq!(session(&mut b).await["user"]["email"], "new@corp.com");
    let mut c = app.browser();
    credentials_sign_in(&mut c, &[("username", "c-1"), ("email", "cred@corp.com")]).await;
    assert_eq!(session(&mut c).await["user"]["email"], "cred@corp.com");
    assert_eq!(
        *log.0.lock().unwrap(),
        [
            "create_user new@corp.com",
            "link_account idp/o-1",
            "create_user cred@corp.com",
            "link_account credentials/c-1",
        ]
    );
}

// ---------------------------------------------------------------------------------------
// I4: purging expired rows
// ---------------------------------------------------------------------------------------

/// I4: the first sign-in purges expired sessions and verification tokens and keeps live
/// ones; `GET /session` never purges, and neither does a second sign-in within the hour.
#[tokio::test]
async fn i4_a_sign_in_purges_expired_sessions_and_tokens() {
    let db = Arc::new(MemoryAdapter::new());
    let app = app(&db, |b| b.provider(credentials()));
    let owner = db.create_user(NewUser::default()).await.unwrap();
    let now = SystemTime::now();
    let hour = Duration::from_secs(3600);
    let seed = |name: &'static str, expires: SystemTime| {
        let db = db.clone();
        let owner = owner.id.clone();
        async move {
            db.create_session(AdapterSession {
                session_token: format!("{name}-session"),
                user_id: owner,
                expires,
            })
            .await
            .unwrap();
            db.create_verification_token(VerificationToken {
                identifier: "x@corp.com".into(),
                token: format!("{name}-token"),
                expires,
            })
            .await
            .unwrap();
        }
    };
    seed("old", now - hour).await;
    seed("live", now + hour).await;
    let tokens = |db: Arc<MemoryAdapter>| async move {
        let mut left = Vec::new();
        for name in ["old", "live", "later"] {
            let t = format!("{name}-token");
            if let Some(t) = db.use_verification_token("x@corp.com", &t).await.unwrap() {
                db.create_verification_token(t).await.unwrap();
                left.push(name);
            }
        }
        left
    };
    let sessions = |db: Arc<MemoryAdapter>, id: String| async move {
        let mut s: Vec<_> = db
            .list_sessions(&id)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.session_token)
            .collect();
        s.sort();
        s
    };

    // Reading a session never purges.
    let mut b = app.browser();
    b.jar.insert(TOKEN.into(), "live-session".into());
    assert_eq!(session(&mut b).await["user"]["email"], Value::Null);
    assert_eq!(tokens(db.clone()).await, ["old", "live"]);

    // A sign-in does.
    let mut b = app.browser();
    credentials_sign_in(&mut b, &[("username", "u-1")]).await;
    assert_eq!(tokens(db.clone()).await, ["live"], "the expired token is gone");
    assert_eq!(sessions(db.clone(), owner.id.clone()).await, ["live-session"]);

    // Within the hour, another sign-in leaves new expired rows alone.
    seed("later", now - hour).await;
    credentials_sign_in(&mut app.browser(), &[("username", "u-2")]).await;
    assert_eq!(tokens(db.clone()).await, ["live", "later"]);
    assert_eq!(
        sessions(db.clone(), owner.id.clone()).await,
        ["later-session", "live-session"]
    );
}

/// A user whose address `email` is verified.
async fn verified_user(db: &MemoryAdapter, email: &str) -> User {
    db.create_user(NewUser {
        email: Some(email.into()),
        email_verified: Some(SystemTime::now()),
        ..Default::default()
    })
    .await
    .unwrap()
}
