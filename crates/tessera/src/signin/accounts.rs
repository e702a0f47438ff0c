//! The adapter writes a sign-in makes, each followed by its event (spec §6.5): users
//! created, updated and linked to accounts.

use crate::adapter::{Adapter, AdapterError, NewUser, UserUpdate};
use crate::ctx::Ctx;
use crate::events::{CreateUserEvent, LinkAccountEvent, UpdateUserEvent};
use crate::user::{Account, User};

/// `adapter.create_user`, then the `create_user` event.
pub(crate) async fn create_user(ctx: &Ctx<'_>, adapter: &dyn Adapter, new: NewUser) -> Result<User, AdapterError> {
    let user = adapter.create_user(new).await?;
    ctx.config.events.create_user(CreateUserEvent { user: &user }).await;
    Ok(user)
}

/// `adapter.update_user`, then the `update_user` event. An update that sets `email`
/// without saying `email_verified` resets `email_verified` to `None`, whatever the adapter
/// does: callers pass `email` only when it changes, and a new address is unverified.
pub(crate) async fn update_user(
    ctx: &Ctx<'_>,
    adapter: &dyn Adapter,
    mut update: UserUpdate,
) -> Result<User, AdapterError> {
    if update.email.is_some() && update.email_verified.is_none() {
        update.email_verified = Some(None);
    }
    let user = adapter.update_user(update).await?;
    ctx.config.events.update_user(UpdateUserEvent { user: &user }).await;
    Ok(user)
}

/// `adapter.create_user_and_link` (one transaction), then the `create_user` and
/// `link_account` events, once each and only after both rows are stored. `account.user_id`
/// is set to the new user's id.
pub(crate) async fn create_user_and_link(
    ctx: &Ctx<'_>,
    adapter: &dyn Adapter,
    new: NewUser,
    account: &mut Account,
    profile: Option<&serde_json::Value>,
) -> Result<User, AdapterError> {
    let user = adapter.create_user_and_link(new, account.clone()).await?;
    account.user_id = Some(user.id.clone());
    let events = &ctx.config.events;
    events.create_user(CreateUserEvent { user: &user }).await;
    events
        .link_account(LinkAccountEvent {
            user: &user,
            account,
            profile,
        })
        .await;
    Ok(user)
}

/// `adapter.link_account` (the account's `user_id` set to `user`), then the
/// `link_account` event.
pub(crate) async fn link_account(
    ctx: &Ctx<'_>,
    adapter: &dyn Adapter,
    user: &User,
    account: &mut Account,
    profile: Option<&serde_json::Value>,
) -> Result<(), AdapterError> {
    account.user_id = Some(user.id.clone());
    adapter.link_account(account.clone()).await?;
    ctx.config
        .events
        .link_account(LinkAccountEvent { user, account, profile })
        .await;
    Ok(())
}
