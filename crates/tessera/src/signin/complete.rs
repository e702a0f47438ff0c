//! Finishing a sign-in, whatever the provider: the `sign_in` callback, the session (a JWT
//! cookie or a session row), the `sign_in` event and the redirect (spec §5.1, §7).

use http::HeaderValue;
use serde_json::Value;

use super::SignInError;
use crate::callbacks::{JwtArgs, JwtTrigger, SignInArgs, SignInDecision};
use crate::cookies;
use crate::ctx::Ctx;
use crate::events::SignInEvent;
use crate::redirect::{is_app_target, with_param};
use crate::response::AuthResponse;
use crate::session::revocations::{self, SID};
use crate::session::{SessionStore, Token, after, database, unix, unix_ms};
use crate::user::Account;
use crate::{ErrorCode, User};

/// Runs the `sign_in` callback: `Ok` when the user may sign in.
pub(crate) async fn check_sign_in(ctx: &Ctx<'_>, args: SignInArgs<'_>) -> Result<(), SignInError> {
    match ctx.config.callbacks.sign_in(args).await? {
        SignInDecision::Allow => Ok(()),
        SignInDecision::Deny => Err(ErrorCode::AccessDenied.into()),
        // The app's target may leave the origin (as in NextAuth), but must be an http(s)
        // URL or a path; anything else is treated as a plain refusal.
        SignInDecision::Redirect(url) if is_app_target(&url) => Err(SignInError::Redirect(url)),
        SignInDecision::Redirect(_) => {
            tracing::warn!(
                "the sign_in callback redirected to a target that is not an http(s) URL or a path; refusing with AccessDenied"
            );
            Err(ErrorCode::AccessDenied.into())
        }
    }
}

/// Who signed in, and through what: what the `jwt` callback and the `sign_in` event see.
#[derive(Clone, Copy)]
pub(crate) struct SignedIn<'a> {
    pub user: &'a User,
    pub account: &'a Account,
    /// `Some(true)` for a user the sign-in created; `None` where NextAuth reports it as
    /// undefined (credentials sign-in events).
    pub is_new_user: Option<bool>,
    /// The provider's profile (OAuth).
    pub profile: Option<&'a serde_json::Value>,
}

/// Issues the session of a signed-in user, as the configured strategy keeps it: a session
/// row and its cookie (the user must be stored), or a JWT cookie after the `jwt` callback.
/// Returns the Set-Cookies.
///
/// Every first factor ends here, so this is where two-factor sign-in stops it: for a user
/// with a two-factor set-up no session is issued, and the error is
/// [`SignInError::TwoFactorRequired`] with the cookie of the pending sign-in
/// ([`pending`](super::pending)). The second factor then calls [`issue_session_now`].
pub(crate) async fn issue_session(ctx: &Ctx<'_>, signed_in: SignedIn<'_>) -> Result<Vec<HeaderValue>, SignInError> {
    match crate::two_factor::required(ctx, &signed_in.user.id).await {
        Ok(false) => issue_session_now(ctx, signed_in).await,
        Ok(true) => {
            tracing::info!(user_id = %signed_in.user.id, provider = %signed_in.account.provider, "first factor done; two-factor code required");
            let cookies = super::pending::start(ctx, signed_in);
            Err(SignInError::TwoFactorRequired(super::PendingCookies(cookies)))
        }
        Err(e) => Err(SignInError::adapter(
            "reading the two-factor set-up",
            &e,
            ErrorCode::Callback,
        )),
    }
}

/// [`issue_session`] without the two-factor check: for the second factor itself.
pub(crate) async fn issue_session_now(ctx: &Ctx<'_>, signed_in: SignedIn<'_>) -> Result<Vec<HeaderValue>, SignInError> {
    let user = signed_in.user;
    match &ctx.config.store {
        SessionStore::Database(adapter) => {
            crate::adapter::purge_if_due(&ctx.config.purge, adapter.as_ref(), ctx.now).await;
            let def = &ctx.profile.cookies.session_token;
            database::create(ctx.config, adapter.as_ref(), def, &ctx.req.cookies, &user.id, ctx.now)
                .await
                .map_err(|e| SignInError::adapter("creating the session", &e, ErrorCode::Callback))
        }
        SessionStore::Jwt => issue_jwt(ctx, signed_in).await,
    }
}

/// Runs the `jwt` callback for a sign-in and returns the session Set-Cookies (spec §5.1).
async fn issue_jwt(ctx: &Ctx<'_>, signed_in: SignedIn<'_>) -> Result<Vec<HeaderValue>, SignInError> {
    let SignedIn {
        user,
        account,
        is_new_user,
        profile,
    } = signed_in;
    let config = ctx.config;
    let trigger = if is_new_user == Some(true) {
        JwtTrigger::SignUp
    } else {
        JwtTrigger::SignIn
    };
    // The session id: kept across refreshes and `update()`, revoked by sign-out.
    let sid = Value::from(revocations::new_sid(unix_ms(ctx.now)));
    let mut token = Token::for_user(user);
    token.set(SID, sid.clone());
    let args = JwtArgs {
        token,
        user: Some(user),
        account: Some(account),
        profile,
        trigger: Some(trigger),
        is_new_user,
        session: None,
        refresher: crate::refresh::TokenRefresher::new(&config.refresher),
    };
    let mut token = config.callbacks.jwt(args).await?;
    token.claims_mut().entry(SID).or_insert(sid);
    let value = ctx
        .profile
        .session_codec
        .encode_claims(token.claims_mut(), config.jwt_max_age, unix(ctx.now));
    Ok(cookies::write_chunked(
        &ctx.profile.cookies.session_token,
        &value,
        Some(after(ctx.now, config.session.max_age)),
        &ctx.req.cookies,
        cookies::chunk_size(config.compat),
    ))
}

/// After the session is issued: `events.sign_in`, then the new-user page or the callback URL.
pub(crate) async fn finish_sign_in(ctx: &Ctx<'_>, signed_in: SignedIn<'_>, cookies: Vec<HeaderValue>) -> AuthResponse {
    finish_sign_in_to(ctx, signed_in, cookies, &ctx.callback_url).await
}

/// [`finish_sign_in`] towards `callback_url` (a pending sign-in's, for the second factor).
pub(crate) async fn finish_sign_in_to(
    ctx: &Ctx<'_>,
    signed_in: SignedIn<'_>,
    cookies: Vec<HeaderValue>,
    callback_url: &str,
) -> AuthResponse {
    let event = SignInEvent {
        user: signed_in.user,
        account: signed_in.account,
        profile: signed_in.profile,
        is_new_user: signed_in.is_new_user,
    };
    ctx.config.events.sign_in(event).await;
    let target = match (&ctx.config.pages.new_user, signed_in.is_new_user) {
        (Some(page), Some(true)) => with_param(page, "callbackUrl", callback_url),
        _ => callback_url.to_owned(),
    };
    AuthResponse::redirect(target).cookies(cookies)
}
