//! The pending sign-in: what a first factor established, kept in a short-lived encrypted
//! cookie ([`MAX_AGE_SECS`]) until the second factor finishes it. It carries the user, the
//! account and profile of the first factor (what the `jwt` callback and the `sign_in`
//! event will see) and the callback URL, so the session issued at the end is the one the
//! first factor would have issued. The cookie is a JWE under a key of its own (salt: its
//! name) and expires by its `exp` claim, whatever the browser keeps.

use http::HeaderValue;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::SignedIn;
use crate::cookies::{self, CookieDef};
use crate::ctx::Ctx;
use crate::session::jwt::JweCodec;
use crate::session::{after, unix};
use crate::two_factor::cookie_def;
use crate::user::{Account, User};

/// How long a pending sign-in lasts (five minutes).
pub(crate) const MAX_AGE_SECS: i64 = 300;

/// A first factor waiting for the second.
#[derive(Serialize, Deserialize)]
pub(crate) struct Pending {
    pub user: User,
    pub account: Account,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_new_user: Option<bool>,
    /// The callback URL of the first factor.
    pub callback_url: String,
}

impl Pending {
    /// The sign-in it stands for.
    pub(crate) fn signed_in(&self) -> SignedIn<'_> {
        SignedIn {
            user: &self.user,
            account: &self.account,
            is_new_user: self.is_new_user,
            profile: self.profile.as_ref(),
        }
    }
}

/// The pending sign-in cookie.
pub(crate) fn def(ctx: &Ctx<'_>) -> CookieDef {
    cookie_def(ctx, "two-factor", MAX_AGE_SECS)
}

fn codec(ctx: &Ctx<'_>, def: &CookieDef) -> JweCodec {
    JweCodec::new(ctx.config.compat, &ctx.config.secrets, &def.name)
}

/// The Set-Cookies that start a pending sign-in for `signed_in`.
pub(crate) fn start(ctx: &Ctx<'_>, signed_in: SignedIn<'_>) -> Vec<HeaderValue> {
    let pending = Pending {
        user: signed_in.user.clone(),
        account: signed_in.account.clone(),
        profile: signed_in.profile.cloned(),
        is_new_user: signed_in.is_new_user,
        callback_url: ctx.callback_url.clone(),
    };
    // A struct serializes to an object.
    let mut claims = match serde_json::to_value(&pending) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let def = def(ctx);
    let value = codec(ctx, &def).encode_claims(&mut claims, MAX_AGE_SECS, unix(ctx.now));
    cookies::write_chunked(
        &def,
        &value,
        Some(after(ctx.now, MAX_AGE_SECS)),
        &ctx.req.cookies,
        cookies::chunk_size(ctx.config.compat),
    )
}

/// The request's pending sign-in: `None` when there is none, or it is expired, tampered
/// with, or sealed under a secret no longer configured.
pub(crate) fn read(ctx: &Ctx<'_>) -> Option<Pending> {
    let def = def(ctx);
    let raw = ctx.req.cookies.chunked(&def.name)?;
    let claims = codec(ctx, &def).decode(&raw, unix(ctx.now)).ok()?;
    serde_json::from_value(Value::Object(claims)).ok()
}

/// The Set-Cookies that end the pending sign-in.
pub(crate) fn clear(ctx: &Ctx<'_>) -> Vec<HeaderValue> {
    cookies::clear_chunked(&def(ctx), &ctx.req.cookies)
}
