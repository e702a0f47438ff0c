//! Events (spec §6.5): notifications after the fact. They cannot change the outcome;
//! a slow handler delays the response, so hand long work to a task.
//!
//! ```
//! use tessera::events::{Events, SignInEvent};
//!
//! struct Audit;
//!
//! #[tessera::async_trait]
//! impl Events for Audit {
//!     async fn sign_in(&self, event: SignInEvent<'_>) {
//!         println!("{} signed in with {}", event.user.id, event.account.provider);
//!     }
//! }
//! ```

use crate::session::Token;
use crate::user::{Account, User};
use tessera_protocol::Session;

/// A successful sign-in.
#[derive(Debug)]
#[non_exhaustive]
pub struct SignInEvent<'a> {
    /// Who signed in.
    pub user: &'a User,
    /// Through which account.
    pub account: &'a Account,
    /// Raw OAuth profile.
    pub profile: Option<&'a serde_json::Value>,
    /// Whether the user was just created (with an adapter).
    pub is_new_user: Option<bool>,
}

/// A sign-out.
#[derive(Debug)]
#[non_exhaustive]
pub struct SignOutEvent<'a> {
    /// JWT strategy: the decoded token, when it could be decoded.
    pub token: Option<&'a Token>,
    /// Database strategy: the deleted session.
    pub session: Option<&'a crate::adapter::AdapterSession>,
}

/// A session was read or updated.
#[derive(Debug)]
#[non_exhaustive]
pub struct SessionEvent<'a> {
    /// The session returned to the client.
    pub session: &'a Session,
    /// JWT strategy: the token.
    pub token: Option<&'a Token>,
}

/// Event handlers, all no-ops by default.
#[async_trait::async_trait]
pub trait Events: Send + Sync + 'static {
    /// After a successful sign-in.
    async fn sign_in(&self, event: SignInEvent<'_>) {
        let _ = event;
    }
    /// After a sign-out.
    async fn sign_out(&self, event: SignOutEvent<'_>) {
        let _ = event;
    }
    /// After a session read or update.
    async fn session(&self, event: SessionEvent<'_>) {
        let _ = event;
    }
}
