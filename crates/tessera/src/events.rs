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

/// A user was created through the adapter (first sign-in by OAuth, email or credentials).
#[derive(Debug)]
#[non_exhaustive]
pub struct CreateUserEvent<'a> {
    /// The stored user, with its new id.
    pub user: &'a User,
}

/// A stored user was changed by a sign-in (email verified, credentials profile refreshed).
#[derive(Debug)]
#[non_exhaustive]
pub struct UpdateUserEvent<'a> {
    /// The user as stored now.
    pub user: &'a User,
}

/// A provider account was linked to a user.
#[derive(Debug)]
#[non_exhaustive]
pub struct LinkAccountEvent<'a> {
    /// The user the account now belongs to.
    pub user: &'a User,
    /// The linked account (tokens included; never log them).
    pub account: &'a Account,
    /// Raw OAuth profile, for OAuth accounts.
    pub profile: Option<&'a serde_json::Value>,
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
    /// After the adapter created a user.
    async fn create_user(&self, event: CreateUserEvent<'_>) {
        let _ = event;
    }
    /// After a sign-in changed a stored user.
    async fn update_user(&self, event: UpdateUserEvent<'_>) {
        let _ = event;
    }
    /// After an account was linked to a user.
    async fn link_account(&self, event: LinkAccountEvent<'_>) {
        let _ = event;
    }
}

/// The events used when none are configured: each does nothing.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NoEvents;

impl Events for NoEvents {}
