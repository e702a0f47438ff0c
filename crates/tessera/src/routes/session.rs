//! `GET /session` (read and refresh) and `POST /session` (the client's `update()`), spec §2.1–2.2.

use std::time::SystemTime;

use http::StatusCode;
use serde_json::Value;
use tessera_protocol::Session;

use crate::Ctx;
use crate::callbacks::{JwtArgs, JwtTrigger, SessionArgs};
use crate::config::{Config, CookieProfile, SessionStrategy};
use crate::cookies::{self, RequestCookies};
use crate::events::SessionEvent;
use crate::jwt::Compat;
use crate::log_value::Untrusted;
use crate::response::AuthResponse;
use crate::session::database;
use crate::session::{Token, after, unix};

/// The client's `update(data)`.
struct UpdateSessionBody {
    data: Option<Value>,
}

pub(crate) async fn get(ctx: &mut Ctx<'_>) -> AuthResponse {
    refresh(ctx, None).await.no_cache()
}

pub(crate) async fn update(ctx: &mut Ctx<'_>) -> AuthResponse {
    if !ctx.csrf_verified() {
        return no_session(ctx.config).status(StatusCode::BAD_REQUEST);
    }
    let data = ctx.req.body.get("data").cloned();
    // The answer is the session: never cached, like `GET /session`.
    refresh(ctx, Some(UpdateSessionBody { data })).await.no_cache()
}

/// The "no session" body: `{}` for next-auth v4, `null` for Auth.js v5.
fn no_session(config: &Config) -> AuthResponse {
    match config.compat {
        Compat::NextAuthV4 => AuthResponse::json(&b"{}"[..]),
        Compat::AuthJsV5 => AuthResponse::json(&b"null"[..]),
    }
}

async fn refresh(ctx: &mut Ctx<'_>, update: Option<UpdateSessionBody>) -> AuthResponse {
    let config = ctx.config;
    let def = &ctx.profile.cookies.session_token;
    let Some(raw) = ctx.req.cookies.chunked(&def.name) else {
        return no_session(config);
    };
    let now = ctx.now;
    let clear = |ctx: &Ctx<'_>| no_session(config).cookies(cookies::clear_chunked(def, &ctx.req.cookies));
    if let (Some(adapter), SessionStrategy::Database) = (&config.adapter, config.strategy) {
        let data = update.as_ref().map(|u| u.data.as_ref());
        return match database::lookup(config, adapter.as_ref(), &raw, data, now, true).await {
            Ok(Some((session, row))) => {
                let expires = after(now, config.session.max_age);
                let set = cookies::write_chunked(def, &row.session_token, Some(expires), &ctx.req.cookies, usize::MAX);
                if let Some(events) = &config.events {
                    events
                        .session(SessionEvent {
                            session: &session,
                            token: None,
                        })
                        .await;
                }
                AuthResponse::json_value(&session).cookies(set)
            }
            Ok(None) => clear(ctx),
            Err(e) => {
                tracing::error!(error = %e, "database session read failed");
                no_session(config)
            }
        };
    }
    let claims = match ctx.profile.session_codec.decode(&raw, unix(now)) {
        Ok(c) => c,
        Err(e) => {
            // The error can quote the token's header (`alg …`), which anyone can write.
            let error = Untrusted(&e);
            tracing::debug!(?error, "session token rejected");
            return clear(ctx);
        }
    };
    let (trigger, data) = match &update {
        Some(u) => (Some(JwtTrigger::Update), u.data.as_ref()),
        None => (None, None),
    };
    let Some((session, mut token)) = run_callbacks(config, Token::from_claims(claims), trigger, data, now).await else {
        return clear(ctx);
    };
    let max_age = config.session.max_age;
    let value = ctx
        .profile
        .session_codec
        .encode_claims(token.claims_mut(), max_age, unix(now));
    let set = cookies::write_chunked(
        def,
        &value,
        Some(after(now, max_age)),
        &ctx.req.cookies,
        cookies::chunk_size(config.compat),
    );
    if let Some(events) = &config.events {
        events
            .session(SessionEvent {
                session: &session,
                token: Some(&token),
            })
            .await;
    }
    AuthResponse::json_value(&session).cookies(set)
}

/// `jwt` then `session` callbacks on a decoded token. `None` when either fails.
async fn run_callbacks(
    config: &Config,
    token: Token,
    trigger: Option<JwtTrigger>,
    data: Option<&Value>,
    now: SystemTime,
) -> Option<(Session, Token)> {
    let token = match &config.callbacks {
        None => token,
        Some(cb) => {
            let args = JwtArgs {
                token,
                user: None,
                account: None,
                profile: None,
                trigger,
                is_new_user: None,
                session: data,
                refresher: crate::refresh::TokenRefresher::new(config),
            };
            match cb.jwt(args).await {
                Ok(t) => t,
                Err(e) => {
                    tracing::error!(error = %e, "jwt callback failed");
                    return None;
                }
            }
        }
    };
    let session = token.default_session(after(now, config.session.max_age));
    let session = match &config.callbacks {
        None => session,
        Some(cb) => {
            let args = SessionArgs {
                session,
                token: Some(&token),
                user: None,
                new_session: None,
                trigger: None,
            };
            match cb.session(args).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "session callback failed");
                    return None;
                }
            }
        }
    };
    Some((session, token))
}

/// Reads the session without writing cookies or the database (server-side session access).
pub(crate) async fn read(
    config: &Config,
    profile: &CookieProfile,
    cookies: &RequestCookies,
    now: SystemTime,
) -> Option<Session> {
    let raw = cookies.chunked(&profile.cookies.session_token.name)?;
    if let (Some(adapter), SessionStrategy::Database) = (&config.adapter, config.strategy) {
        return match database::lookup(config, adapter.as_ref(), &raw, None, now, false).await {
            Ok(found) => found.map(|(session, _)| session),
            Err(e) => {
                tracing::error!(error = %e, "database session read failed");
                None
            }
        };
    }
    let claims = profile.session_codec.decode(&raw, unix(now)).ok()?;
    run_callbacks(config, Token::from_claims(claims), None, None, now)
        .await
        .map(|(session, _)| session)
}
