//! The adapter conformance suite: every [`Adapter`] must pass its cases, as every
//! tower-sessions store passes its shared tests. An adapter crate's tests get one named
//! test per case from [`adapter_conformance_tests!`](crate::adapter_conformance_tests);
//! [`run`] runs them all in one call. Each case uses fresh random identities, so the cases
//! can run concurrently and repeatedly against a shared database.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! tessera::adapter::conformance::run(&tessera::adapter::MemoryAdapter::new()).await;
//! # });
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;

use super::{Adapter, AdapterError, AdapterSession, NewUser, UserUpdate, VerificationToken};
use crate::user::{Account, AccountType};

fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn account(user_id: &str, provider: &str, id: &str) -> Account {
    let extra = json!({
        "access_token": "at", "refresh_token": "rt", "expires_at": 1_900_000_000,
        "token_type": "bearer", "scope": "openid email", "id_token": "idt", "session_state": "ss"
    });
    Account {
        provider: provider.into(),
        kind: AccountType::OAuth,
        provider_account_id: id.into(),
        user_id: Some(user_id.into()),
        extra: extra.as_object().cloned().unwrap_or_default(),
    }
}

/// Fresh random identities for one case, so cases can share a database and run again.
struct Ids(String);

impl Ids {
    fn new() -> Self {
        let mut tag = crate::random::hex_token();
        tag.truncate(12);
        Ids(tag)
    }

    fn tag(&self) -> &str {
        &self.0
    }

    fn email(&self, name: &str) -> String {
        format!("{name}-{}@example.com", self.0)
    }
}

/// A user with only an email.
async fn plain_user<A: Adapter + ?Sized>(adapter: &A, email: String) -> crate::User {
    adapter
        .create_user(NewUser {
            email: Some(email),
            ..Default::default()
        })
        .await
        .expect("create_user")
}

/// A new user "alice" with the account `a-1` of a provider of its own, linked; returns both.
async fn linked_alice<A: Adapter + ?Sized>(adapter: &A, ids: &Ids) -> (crate::User, String) {
    let alice = plain_user(adapter, ids.email("alice")).await;
    let provider = format!("prov-{}", ids.tag());
    adapter
        .link_account(account(&alice.id, &provider, "a-1"))
        .await
        .expect("link_account");
    (alice, provider)
}

/// Expands to one `#[tokio::test]` per conformance case (`users`, `accounts`, `sessions`,
/// …), so a failure names its case, as tower-sessions' `route_tests!` does for stores.
///
/// The argument is the path of an async function that takes the case, as an async
/// closure over `&dyn Adapter`, and runs it against a fresh adapter: it owns the adapter's
/// setup and cleanup, and may return without running the case (after saying why, e.g.
/// when a database is unreachable). Invoke it inside a module named for the backend; the
/// crate needs `tokio` (with `macros` and `rt`) as a dev-dependency.
///
/// ```
/// use tessera::adapter::{Adapter, MemoryAdapter};
///
/// async fn with_memory(case: impl AsyncFnOnce(&dyn Adapter)) {
///     case(&MemoryAdapter::new()).await;
/// }
///
/// mod memory {
///     tessera::adapter_conformance_tests!(super::with_memory);
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! adapter_conformance_tests {
    ($with_adapter:path) => {
        $crate::adapter_conformance_tests!(@cases $with_adapter;
            users, accounts, create_user_and_link, sessions, deleting_a_user_cascades,
            verification_tokens, verification_token_race, delete_expired, passwords, two_factor);
    };
    (@cases $with_adapter:path; $($case:ident),+) => {
        $(
            #[tokio::test]
            async fn $case() {
                $with_adapter(async |adapter: &dyn $crate::adapter::Adapter| {
                    $crate::adapter::conformance::$case(adapter).await
                })
                .await;
            }
        )+
    };
}

/// Runs every case against `adapter` in turn, panicking with a description at the first
/// failure. [`adapter_conformance_tests!`](crate::adapter_conformance_tests) runs the same
/// cases as one named test each.
pub async fn run<A: Adapter + ?Sized>(adapter: &A) {
    users(adapter).await;
    accounts(adapter).await;
    create_user_and_link(adapter).await;
    sessions(adapter).await;
    deleting_a_user_cascades(adapter).await;
    verification_tokens(adapter).await;
    verification_token_race(adapter).await;
    delete_expired(adapter).await;
    passwords(adapter).await;
    two_factor(adapter).await;
}

/// Users: create, read by id and email, unique emails, update (a changed email is unverified again).
pub async fn users<A: Adapter + ?Sized>(adapter: &A) {
    let ids = Ids::new();
    let email = |n: &str| ids.email(n);
    let now = SystemTime::now();
    let alice = adapter
        .create_user(NewUser {
            name: Some("Alice".into()),
            email: Some(email("alice")),
            image: Some("https://img/a.png".into()),
            email_verified: Some(now),
        })
        .await
        .expect("create_user");
    assert!(!alice.id.is_empty(), "create_user assigns an id");
    let got = adapter
        .get_user(&alice.id)
        .await
        .expect("get_user")
        .expect("created user is found");
    assert_eq!(
        (got.name.as_deref(), got.image.as_deref()),
        (Some("Alice"), Some("https://img/a.png"))
    );
    assert_eq!(
        got.email_verified.map(secs),
        Some(secs(now)),
        "email_verified is kept (to the second)"
    );
    let by_email = adapter
        .get_user_by_email(&email("alice"))
        .await
        .expect("get_user_by_email");
    assert_eq!(by_email.map(|u| u.id), Some(alice.id.clone()));
    assert!(
        adapter
            .get_user("no-such-user")
            .await
            .expect("get_user missing")
            .is_none()
    );
    assert!(
        adapter
            .get_user_by_email(&email("nobody"))
            .await
            .expect("by email missing")
            .is_none()
    );
    let dup = adapter
        .create_user(NewUser {
            email: Some(email("alice")),
            ..Default::default()
        })
        .await;
    assert!(
        matches!(dup, Err(AdapterError::Conflict(_))),
        "emails are unique: {dup:?}"
    );

    let bob = adapter
        .create_user(NewUser {
            email: Some(email("bob")),
            ..Default::default()
        })
        .await
        .expect("bob");
    assert!(bob.name.is_none() && bob.email_verified.is_none());
    let updated = adapter
        .update_user(UserUpdate {
            id: bob.id.clone(),
            name: Some(Some("Bob".into())),
            email_verified: Some(Some(now)),
            ..Default::default()
        })
        .await
        .expect("update_user");
    assert_eq!(updated.name.as_deref(), Some("Bob"));
    assert_eq!(
        updated.email.as_deref(),
        Some(email("bob").as_str()),
        "untouched fields stay"
    );
    let missing = adapter
        .update_user(UserUpdate {
            id: "no-such-user".into(),
            ..Default::default()
        })
        .await;
    assert!(
        matches!(missing, Err(AdapterError::NotFound(_))),
        "update of a missing user: {missing:?}"
    );
    let clash = adapter
        .update_user(UserUpdate {
            id: bob.id.clone(),
            email: Some(Some(email("alice"))),
            ..Default::default()
        })
        .await;
    assert!(
        matches!(clash, Err(AdapterError::Conflict(_))),
        "update onto a taken email: {clash:?}"
    );
    check_email_change_resets_verification(adapter, &bob.id, &email, now).await;
    adapter.delete_user(&alice.id).await.expect("cleanup");
    adapter.delete_user(&bob.id).await.expect("cleanup");
}

/// Accounts: link, read a user by account, unique `(provider, account id)`, list, update, unlink.
pub async fn accounts<A: Adapter + ?Sized>(adapter: &A) {
    let ids = Ids::new();
    let email = |n: &str| ids.email(n);
    let tag = ids.tag();
    let alice = plain_user(adapter, email("alice")).await;
    let bob = plain_user(adapter, email("bob")).await;
    let provider = format!("prov-{tag}");
    adapter
        .link_account(account(&alice.id, &provider, "a-1"))
        .await
        .expect("link_account");
    let linked = adapter
        .get_user_by_account(&provider, "a-1")
        .await
        .expect("get_user_by_account");
    assert_eq!(linked.map(|u| u.id), Some(alice.id.clone()));
    assert!(
        adapter
            .get_user_by_account(&provider, "a-2")
            .await
            .expect("missing account")
            .is_none()
    );
    let again = adapter.link_account(account(&bob.id, &provider, "a-1")).await;
    assert!(
        matches!(again, Err(AdapterError::Conflict(_))),
        "(provider, account id) is unique: {again:?}"
    );
    let orphan = adapter.link_account(account("no-such-user", &provider, "a-9")).await;
    assert!(orphan.is_err(), "linking to a missing user fails");
    let accounts = adapter.list_accounts(&alice.id).await.expect("list_accounts");
    assert_eq!(accounts.len(), 1);
    let a = &accounts[0];
    assert_eq!((a.kind, a.provider_account_id.as_str()), (AccountType::OAuth, "a-1"));
    for (k, v) in account(&alice.id, &provider, "a-1").extra {
        assert_eq!(a.extra.get(&k), Some(&v), "account field {k} round-trips");
    }
    let mut refreshed = account(&alice.id, &provider, "a-1");
    let fields = json!({
        "access_token": "at-2", "refresh_token": "rt-2", "expires_at": 1_900_003_600,
        "token_type": "bearer", "scope": "openid email", "custom_field": "kept"
    });
    refreshed.extra = fields.as_object().cloned().unwrap_or_default();
    adapter.update_account(refreshed.clone()).await.expect("update_account");
    let accounts = adapter.list_accounts(&alice.id).await.expect("list after update");
    assert_eq!(accounts.len(), 1, "update_account does not add an account");
    assert_eq!(
        (accounts[0].kind, accounts[0].user_id.as_deref()),
        (AccountType::OAuth, Some(alice.id.as_str()))
    );
    assert_eq!(
        accounts[0].extra, refreshed.extra,
        "update_account replaces the token fields"
    );
    let mut missing = refreshed.clone();
    missing.provider_account_id = "never-linked".into();
    let missing = adapter.update_account(missing).await;
    assert!(
        matches!(missing, Err(AdapterError::NotFound(_))),
        "update_account on a missing account: {missing:?}"
    );
    adapter
        .link_account(account(&alice.id, &provider, "a-2"))
        .await
        .expect("second account");
    adapter.unlink_account(&provider, "a-2").await.expect("unlink_account");
    assert!(
        adapter
            .get_user_by_account(&provider, "a-2")
            .await
            .expect("after unlink")
            .is_none()
    );
    adapter
        .unlink_account(&provider, "never-linked")
        .await
        .expect("unlinking a missing account is fine");
    adapter.delete_user(&alice.id).await.expect("cleanup");
    adapter.delete_user(&bob.id).await.expect("cleanup");
}

/// `create_user_and_link`: both rows, or neither.
pub async fn create_user_and_link<A: Adapter + ?Sized>(adapter: &A) {
    let ids = Ids::new();
    let email = |n: &str| ids.email(n);
    let (alice, provider) = linked_alice(adapter, &ids).await;
    check_create_user_and_link(adapter, &provider, &alice.id, &email).await;
    adapter.delete_user(&alice.id).await.expect("cleanup");
}

/// Sessions: create (unique tokens), read with the user, extend, list soonest first, revoke the others, delete.
pub async fn sessions<A: Adapter + ?Sized>(adapter: &A) {
    let ids = Ids::new();
    let email = |n: &str| ids.email(n);
    let tag = ids.tag();
    let now = SystemTime::now();
    let later = now + Duration::from_secs(3600);
    let alice = plain_user(adapter, email("alice")).await;
    let s1 = AdapterSession {
        session_token: format!("s1-{tag}"),
        user_id: alice.id.clone(),
        expires: later,
    };
    let created = adapter.create_session(s1.clone()).await.expect("create_session");
    assert_eq!(created.session_token, s1.session_token);
    let dup = adapter.create_session(s1.clone()).await;
    assert!(
        matches!(dup, Err(AdapterError::Conflict(_))),
        "session tokens are unique: {dup:?}"
    );
    let (sess, user) = adapter
        .get_session_and_user(&s1.session_token)
        .await
        .expect("get_session_and_user")
        .expect("session found");
    assert_eq!(
        (sess.user_id.as_str(), user.id.as_str()),
        (alice.id.as_str(), alice.id.as_str())
    );
    assert_eq!(secs(sess.expires), secs(later));
    assert!(
        adapter
            .get_session_and_user("no-such-session")
            .await
            .expect("missing session")
            .is_none()
    );
    let even_later = later + Duration::from_secs(3600);
    adapter
        .update_session(&s1.session_token, even_later)
        .await
        .expect("update_session");
    let (sess, _) = adapter
        .get_session_and_user(&s1.session_token)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(secs(sess.expires), secs(even_later), "update_session moves the expiry");
    for n in 2..=3 {
        let s = AdapterSession {
            session_token: format!("s{n}-{tag}"),
            user_id: alice.id.clone(),
            expires: later,
        };
        adapter.create_session(s).await.expect("more sessions");
    }
    let listed = adapter.list_sessions(&alice.id).await.expect("list_sessions");
    assert_eq!(listed.len(), 3);
    assert!(
        listed.windows(2).all(|w| w[0].expires <= w[1].expires),
        "soonest expiry first"
    );
    let removed = adapter
        .delete_user_sessions(&alice.id, Some(&s1.session_token))
        .await
        .expect("revoke others");
    assert_eq!(removed, 2);
    let listed = adapter.list_sessions(&alice.id).await.expect("list after revoke");
    assert_eq!(
        listed.iter().map(|s| s.session_token.as_str()).collect::<Vec<_>>(),
        [s1.session_token.as_str()]
    );
    let deleted = adapter.delete_session(&s1.session_token).await.expect("delete_session");
    assert_eq!(
        deleted.map(|s| s.user_id),
        Some(alice.id.clone()),
        "delete_session returns the session"
    );
    assert!(
        adapter
            .delete_session(&s1.session_token)
            .await
            .expect("second delete")
            .is_none()
    );
    adapter.delete_user(&alice.id).await.expect("cleanup");
}

/// Deleting a user deletes its sessions and accounts; deleting a missing user is fine.
pub async fn deleting_a_user_cascades<A: Adapter + ?Sized>(adapter: &A) {
    let ids = Ids::new();
    let tag = ids.tag();
    let (alice, provider) = linked_alice(adapter, &ids).await;
    let later = SystemTime::now() + Duration::from_secs(3600);
    let s4 = AdapterSession {
        session_token: format!("s4-{tag}"),
        user_id: alice.id.clone(),
        expires: later,
    };
    adapter.create_session(s4.clone()).await.expect("session before delete");
    adapter.delete_user(&alice.id).await.expect("delete_user");
    assert!(adapter.get_user(&alice.id).await.expect("get deleted").is_none());
    assert!(
        adapter
            .get_session_and_user(&s4.session_token)
            .await
            .expect("cascade")
            .is_none(),
        "sessions go with the user"
    );
    assert!(
        adapter
            .get_user_by_account(&provider, "a-1")
            .await
            .expect("cascade")
            .is_none(),
        "accounts go with the user"
    );
    adapter
        .delete_user(&alice.id)
        .await
        .expect("deleting a missing user is fine");
}

/// Verification tokens: unique `(identifier, token)`, bound to their identifier, single use.
pub async fn verification_tokens<A: Adapter + ?Sized>(adapter: &A) {
    let ids = Ids::new();
    let email = |n: &str| ids.email(n);
    let tag = ids.tag();
    let later = SystemTime::now() + Duration::from_secs(3600);
    let vt = VerificationToken {
        identifier: email("carol"),
        token: format!("hash-{tag}"),
        expires: later,
    };
    adapter
        .create_verification_token(vt.clone())
        .await
        .expect("create_verification_token");
    let dup = adapter.create_verification_token(vt.clone()).await;
    assert!(
        matches!(dup, Err(AdapterError::Conflict(_))),
        "(identifier, token) is unique: {dup:?}"
    );
    assert!(
        adapter
            .use_verification_token(&email("dave"), &vt.token)
            .await
            .expect("wrong id")
            .is_none(),
        "bound to its identifier"
    );
    let used = adapter
        .use_verification_token(&vt.identifier, &vt.token)
        .await
        .expect("use")
        .expect("token found");
    assert_eq!(
        (used.identifier.as_str(), secs(used.expires)),
        (vt.identifier.as_str(), secs(later))
    );
    assert!(
        adapter
            .use_verification_token(&vt.identifier, &vt.token)
            .await
            .expect("reuse")
            .is_none(),
        "single use"
    );
}

/// Two concurrent uses of one verification token: exactly one wins.
pub async fn verification_token_race<A: Adapter + ?Sized>(adapter: &A) {
    let ids = Ids::new();
    let email = |n: &str| ids.email(n);
    let tag = ids.tag();
    let later = SystemTime::now() + Duration::from_secs(3600);
    for round in 0..5 {
        let vt = VerificationToken {
            identifier: email("race"),
            token: format!("race-{round}-{tag}"),
            expires: later,
        };
        adapter.create_verification_token(vt.clone()).await.expect("race token");
        // Both calls in flight at once.
        let (a, b) = futures_util::future::join(
            adapter.use_verification_token(&vt.identifier, &vt.token),
            adapter.use_verification_token(&vt.identifier, &vt.token),
        )
        .await;
        let wins = [a.expect("use a"), b.expect("use b")]
            .iter()
            .filter(|r| r.is_some())
            .count();
        assert_eq!(wins, 1, "two concurrent uses: exactly one wins (round {round})");
    }
}

/// `delete_expired` removes expired sessions and verification tokens, and only those.
pub async fn delete_expired<A: Adapter + ?Sized>(adapter: &A) {
    let ids = Ids::new();
    let email = |n: &str| ids.email(n);
    let bob = plain_user(adapter, email("bob")).await;
    check_delete_expired(adapter, &bob.id, &email).await;
    adapter.delete_user(&bob.id).await.expect("cleanup");
}

/// Password hashes (for adapters whose [`password_support`](Adapter::password_support) is
/// `Ok`; an adapter that does not store them must answer `Unsupported` from all three
/// methods): none at first; set, read back, replaced; per user; `NotFound` for a missing
/// user; gone with the user.
pub async fn passwords<A: Adapter + ?Sized>(adapter: &A) {
    if let Err(e) = adapter.password_support() {
        assert!(matches!(e, AdapterError::Unsupported(_)), "password_support: {e:?}");
        let get = adapter.get_password_hash("nobody").await;
        assert!(
            matches!(get, Err(AdapterError::Unsupported(_))),
            "get_password_hash: {get:?}"
        );
        let set = adapter.set_password_hash("nobody", "$argon2id$x").await;
        assert!(
            matches!(set, Err(AdapterError::Unsupported(_))),
            "set_password_hash: {set:?}"
        );
        return;
    }
    let ids = Ids::new();
    let alice = plain_user(adapter, ids.email("alice")).await;
    let bob = plain_user(adapter, ids.email("bob")).await;
    let get = |id: String| async move { adapter.get_password_hash(&id).await.expect("get_password_hash") };
    assert_eq!(get(alice.id.clone()).await, None, "a new user has no password");
    // A PHC string as Tessera writes them: `$`, `=`, `,` and base64 survive as they are.
    let first = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g";
    let second = "$argon2id$v=19$m=47104,t=1,p=1$b3RoZXJzYWx0$b3RoZXJoYXNob3RoZXJoYXNo";
    adapter.set_password_hash(&alice.id, first).await.expect("set");
    assert_eq!(get(alice.id.clone()).await.as_deref(), Some(first));
    assert_eq!(get(bob.id.clone()).await, None, "hashes are per user");
    adapter.set_password_hash(&alice.id, second).await.expect("replace");
    assert_eq!(get(alice.id.clone()).await.as_deref(), Some(second), "set replaces");
    adapter.set_password_hash(&bob.id, first).await.expect("set bob");
    assert_eq!(get(alice.id.clone()).await.as_deref(), Some(second));
    let missing = format!("missing-{}", ids.tag());
    assert_eq!(get(missing.clone()).await, None, "an unknown id has no password");
    assert!(
        matches!(
            adapter.set_password_hash(&missing, first).await,
            Err(AdapterError::NotFound(_))
        ),
        "set_password_hash for a missing user is NotFound"
    );
    adapter.delete_user(&alice.id).await.expect("delete alice");
    assert_eq!(get(alice.id.clone()).await, None, "deleting a user deletes its hash");
    assert_eq!(get(bob.id.clone()).await.as_deref(), Some(first));
    adapter.delete_user(&bob.id).await.expect("cleanup");
}

/// Two-factor set-ups (for adapters whose [`two_factor_support`](Adapter::two_factor_support)
/// is `Ok`; an adapter that does not store them must answer `Unsupported` from all six
/// methods): none at first; `NotFound` for a missing user; set and read back, with no last
/// step; a step is used once and never an earlier one; a recovery code is used once, and
/// only by its user; setting again replaces the secret and the codes and forgets the last
/// step; deleting turns it off (codes too); gone with the user.
pub async fn two_factor<A: Adapter + ?Sized>(adapter: &A) {
    if let Err(e) = adapter.two_factor_support() {
        assert!(matches!(e, AdapterError::Unsupported(_)), "two_factor_support: {e:?}");
        let unsupported = |what: &str, r: Result<(), AdapterError>| {
            assert!(matches!(r, Err(AdapterError::Unsupported(_))), "{what}: {r:?}");
        };
        unsupported("get_two_factor", adapter.get_two_factor("nobody").await.map(drop));
        unsupported("set_two_factor", adapter.set_two_factor("nobody", "s", &[]).await);
        unsupported("delete_two_factor", adapter.delete_two_factor("nobody").await);
        unsupported(
            "use_two_factor_step",
            adapter.use_two_factor_step("nobody", 1).await.map(drop),
        );
        unsupported(
            "use_recovery_code",
            adapter.use_recovery_code("nobody", "h").await.map(drop),
        );
        return;
    }
    let ids = Ids::new();
    let alice = plain_user(adapter, ids.email("alice")).await;
    let bob = plain_user(adapter, ids.email("bob")).await;
    let get = |id: String| async move { adapter.get_two_factor(&id).await.expect("get_two_factor") };
    assert_eq!(get(alice.id.clone()).await, None, "a new user has no two-factor set-up");
    let missing = format!("missing-{}", ids.tag());
    let set = adapter.set_two_factor(&missing, "sealed", &["h".into()]).await;
    assert!(
        matches!(set, Err(AdapterError::NotFound(_))),
        "set_two_factor for a missing user: {set:?}"
    );
    assert!(
        !adapter.use_two_factor_step(&alice.id, 1).await.expect("step"),
        "no set-up: no step"
    );
    assert!(
        !adapter.use_recovery_code(&alice.id, "a1").await.expect("code"),
        "no set-up: no code"
    );

    // A sealed secret as Tessera writes them: a compact JWE.
    let sealed = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXY.Y2lwaGVy.dGFn";
    let codes = |prefix: &str| (0..10).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>();
    adapter
        .set_two_factor(&alice.id, sealed, &codes("a"))
        .await
        .expect("set alice");
    adapter
        .set_two_factor(&bob.id, "bob's", &codes("b"))
        .await
        .expect("set bob");
    let record = get(alice.id.clone()).await.expect("alice has a set-up");
    assert_eq!(record.secret, sealed);
    assert_eq!(record.last_used_step, None);

    let step = |id: String, s: i64| async move { adapter.use_two_factor_step(&id, s).await.expect("step") };
    assert!(step(alice.id.clone(), 59_000_000).await, "a first step is accepted");
    assert!(!step(alice.id.clone(), 59_000_000).await, "the same step is refused");
    assert!(!step(alice.id.clone(), 58_999_999).await, "an earlier step is refused");
    assert!(step(alice.id.clone(), 59_000_001).await, "a later step is accepted");
    assert_eq!(
        get(alice.id.clone()).await.and_then(|r| r.last_used_step),
        Some(59_000_001)
    );
    assert!(step(bob.id.clone(), 59_000_000).await, "steps are per user");

    let code = |id: String, h: &'static str| async move { adapter.use_recovery_code(&id, h).await.expect("code") };
    assert!(code(alice.id.clone(), "a3").await, "a recovery code works");
    assert!(!code(alice.id.clone(), "a3").await, "once");
    assert!(!code(alice.id.clone(), "b4").await, "another user's code does not");
    assert!(!code(alice.id.clone(), "zz").await, "an unknown code does not");
    assert!(code(bob.id.clone(), "b4").await);

    adapter
        .set_two_factor(&alice.id, "new", &codes("n"))
        .await
        .expect("replace");
    let record = get(alice.id.clone()).await.expect("replaced");
    assert_eq!(
        (record.secret.as_str(), record.last_used_step),
        ("new", None),
        "set replaces"
    );
    assert!(!code(alice.id.clone(), "a4").await, "the old codes are gone");
    assert!(code(alice.id.clone(), "n4").await, "the new codes work");

    adapter.delete_two_factor(&alice.id).await.expect("delete");
    assert_eq!(get(alice.id.clone()).await, None, "deleted");
    assert!(!code(alice.id.clone(), "n5").await, "deleting deletes the codes");
    adapter
        .delete_two_factor(&alice.id)
        .await
        .expect("deleting none is fine");

    adapter.delete_user(&bob.id).await.expect("delete bob");
    assert_eq!(get(bob.id.clone()).await, None, "deleting a user deletes its set-up");
    assert!(!code(bob.id.clone(), "b5").await, "and its codes");
    adapter.delete_user(&alice.id).await.expect("cleanup");
}

/// `update_user`: a changed email resets `email_verified` unless the update sets it too;
/// an unchanged email keeps it. Leaves `user_id` verified, with its email as it was.
async fn check_email_change_resets_verification<A: Adapter + ?Sized>(
    adapter: &A,
    user_id: &str,
    email: &dyn Fn(&str) -> String,
    now: SystemTime,
) {
    let update = |email: Option<String>, verified: Option<Option<SystemTime>>| UserUpdate {
        id: user_id.to_owned(),
        email: email.map(Some),
        email_verified: verified,
        ..Default::default()
    };
    let original = adapter.get_user(user_id).await.expect("get").expect("user exists");
    let verified = |u: &crate::User| u.email_verified.map(secs);
    adapter
        .update_user(update(None, Some(Some(now))))
        .await
        .expect("verify");
    let same = adapter
        .update_user(update(original.email.clone(), None))
        .await
        .expect("same email");
    assert_eq!(verified(&same), Some(secs(now)), "an unchanged email stays verified");
    let moved = adapter
        .update_user(update(Some(email("moved")), None))
        .await
        .expect("change email");
    assert_eq!(
        (moved.email.clone(), moved.email_verified),
        (Some(email("moved")), None),
        "a changed email is unverified again"
    );
    let stored = adapter.get_user(user_id).await.expect("get").expect("user exists");
    assert_eq!(stored.email_verified, None, "the reset is stored");
    let both = adapter
        .update_user(update(original.email.clone(), Some(Some(now))))
        .await
        .expect("change email and verify");
    assert_eq!(
        (both.email.clone(), verified(&both)),
        (original.email, Some(secs(now))),
        "an explicit email_verified wins"
    );
}

/// `create_user_and_link`: both rows, or neither. `owner` has `provider`/`a-1` linked.
async fn check_create_user_and_link<A: Adapter + ?Sized>(
    adapter: &A,
    provider: &str,
    owner: &str,
    email: &dyn Fn(&str) -> String,
) {
    let new = |name: &str| NewUser {
        name: Some(name.into()),
        email: Some(email(name)),
        ..Default::default()
    };
    let mut first = account("ignored", provider, "c-1");
    first.kind = AccountType::Credentials;
    let created = adapter
        .create_user_and_link(new("carl"), first.clone())
        .await
        .expect("create_user_and_link");
    assert_eq!(created.email, Some(email("carl")));
    let linked = adapter
        .get_user_by_account(provider, "c-1")
        .await
        .expect("get_user_by_account")
        .expect("the account is linked");
    assert_eq!(
        linked.id, created.id,
        "linked to the new user, whatever account.user_id said"
    );
    let accounts = adapter.list_accounts(&created.id).await.expect("list_accounts");
    assert_eq!(
        accounts
            .iter()
            .map(|a| (a.kind, a.provider_account_id.as_str()))
            .collect::<Vec<_>>(),
        [(AccountType::Credentials, "c-1")]
    );

    // The account is linked to someone else: no user is left behind.
    let taken = adapter
        .create_user_and_link(new("dora"), account("ignored", provider, "a-1"))
        .await;
    assert!(
        matches!(taken, Err(AdapterError::Conflict(_))),
        "a linked account is a conflict: {taken:?}"
    );
    assert!(
        adapter
            .get_user_by_email(&email("dora"))
            .await
            .expect("get_user_by_email")
            .is_none(),
        "a failed link leaves no user behind"
    );
    assert_eq!(
        adapter
            .get_user_by_account(provider, "a-1")
            .await
            .expect("owner")
            .map(|u| u.id),
        Some(owner.to_owned()),
        "the account stays with its owner"
    );

    // The email is taken: the account is not linked.
    let clash = adapter
        .create_user_and_link(new("carl"), account("ignored", provider, "c-2"))
        .await;
    assert!(
        matches!(clash, Err(AdapterError::Conflict(_))),
        "a taken email is a conflict: {clash:?}"
    );
    assert!(
        adapter
            .get_user_by_account(provider, "c-2")
            .await
            .expect("get_user_by_account")
            .is_none(),
        "a failed user creation links nothing"
    );
    adapter.delete_user(&created.id).await.expect("cleanup");
}

/// `delete_expired`: expired sessions and tokens go, live ones stay.
async fn check_delete_expired<A: Adapter + ?Sized>(adapter: &A, user_id: &str, email: &dyn Fn(&str) -> String) {
    let now = SystemTime::now();
    let hour = Duration::from_secs(3600);
    let session = |name: &str, expires: SystemTime| AdapterSession {
        session_token: email(name),
        user_id: user_id.to_owned(),
        expires,
    };
    let token = |name: &str, expires: SystemTime| VerificationToken {
        identifier: email("purge"),
        token: email(name),
        expires,
    };
    for (name, expires) in [("old-session", now - hour), ("live-session", now + hour)] {
        adapter
            .create_session(session(name, expires))
            .await
            .expect("create_session");
    }
    for (name, expires) in [("old-token", now - hour), ("live-token", now + hour)] {
        adapter
            .create_verification_token(token(name, expires))
            .await
            .expect("create_verification_token");
    }
    let deleted = adapter.delete_expired(now).await.expect("delete_expired");
    assert!(deleted >= 2, "both expired rows are counted: {deleted}");
    let sessions: Vec<_> = adapter
        .list_sessions(user_id)
        .await
        .expect("list_sessions")
        .into_iter()
        .map(|s| s.session_token)
        .collect();
    assert_eq!(sessions, [email("live-session")], "the expired session is gone");
    let identifier = email("purge");
    let (old, live) = (email("old-token"), email("live-token"));
    let old = adapter.use_verification_token(&identifier, &old).await.expect("use");
    assert!(old.is_none(), "the expired token is gone");
    let live = adapter.use_verification_token(&identifier, &live).await.expect("use");
    assert!(live.is_some(), "the live token stays");
    adapter.delete_user_sessions(user_id, None).await.expect("cleanup");
}

#[cfg(test)]
mod tests {
    use crate::adapter::{Adapter, MemoryAdapter};

    async fn with_memory(case: impl AsyncFnOnce(&dyn Adapter)) {
        case(&MemoryAdapter::new()).await;
    }

    mod memory {
        crate::adapter_conformance_tests!(super::with_memory);
    }

    #[tokio::test]
    async fn run_passes_twice_on_one_memory_adapter() {
        let adapter = MemoryAdapter::new();
        super::run(&adapter).await;
        super::run(&adapter).await;
    }
}
