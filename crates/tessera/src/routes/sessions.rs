//! Session management (beyond NextAuth; database strategy): `GET /sessions` lists the
//! signed-in user's sessions, `POST /sessions/revoke` (`id`), `/sessions/revoke-others` and
//! `/sessions/revoke-all` end them. POSTs need the CSRF token; all need a session. (JWT
//! sessions end by sign-out and `Auth::revoke_user_sessions`.)

use http::StatusCode;
use sha2::{Digest, Sha256};
use tessera_protocol::SessionInfo;

use crate::adapter::{Adapter, AdapterError, AdapterSession};
use crate::cookies;
use crate::ctx::Ctx;
use crate::response::AuthResponse;
use crate::session::database::is_token_shaped;
use crate::session::{SessionStore, iso8601};

/// The public id of a session: a hash of its token, so the list never leaks bearer tokens.
pub(crate) fn session_id(token: &str) -> String {
    hex::encode(&Sha256::digest(token.as_bytes())[..16])
}

fn message(status: StatusCode, text: &str) -> AuthResponse {
    AuthResponse::json_value(&serde_json::json!({ "message": text })).status(status)
}

pub(crate) async fn handle(ctx: &Ctx<'_>) -> AuthResponse {
    let SessionStore::Database(adapter) = &ctx.config.store else {
        // Under JWT the server keeps no list of sessions to show or pick from: say so, never
        // pretend (L2). Sign-out and `Auth::revoke_user_sessions` do end JWT sessions.
        return message(
            StatusCode::BAD_REQUEST,
            "Session management routes need database sessions: JWT sessions cannot be listed server-side",
        );
    };
    let adapter: &dyn Adapter = adapter.as_ref();
    let get = ctx.req.method == http::Method::GET;
    let op = ctx.req.provider_id.clone();
    match (get, op.as_deref()) {
        (true, None) | (false, Some("revoke" | "revoke-others" | "revoke-all")) => {}
        _ => return crate::routes::unsupported(ctx),
    }
    if !get && !ctx.csrf_verified() {
        return message(StatusCode::FORBIDDEN, "Missing or invalid CSRF token");
    }
    let def = &ctx.profile.cookies.session_token;
    let Some(token) = ctx.req.cookies.chunked(&def.name).filter(|t| is_token_shaped(t)) else {
        return message(StatusCode::UNAUTHORIZED, "Not signed in");
    };
    let result: Result<AuthResponse, AdapterError> = async {
        let current = match adapter.get_session_and_user(&token).await? {
            Some((row, _)) if row.expires > ctx.now => row,
            _ => return Ok(message(StatusCode::UNAUTHORIZED, "Not signed in")),
        };
        Ok(match op.as_deref() {
            None => list(adapter, &current).await?,
            Some("revoke") => {
                let Some(id) = ctx.req.body_str("id") else {
                    return Ok(message(StatusCode::BAD_REQUEST, "Missing session id"));
                };
                let target = adapter
                    .list_sessions(&current.user_id)
                    .await?
                    .into_iter()
                    .find(|s| session_id(&s.session_token) == id);
                let Some(target) = target else {
                    return Ok(message(StatusCode::NOT_FOUND, "No such session"));
                };
                adapter.delete_session(&target.session_token).await?;
                let response = list(adapter, &current).await?;
                if target.session_token == current.session_token {
                    response.cookies(cookies::clear_chunked(def, &ctx.req.cookies))
                } else {
                    response
                }
            }
            Some("revoke-others") => {
                adapter
                    .delete_user_sessions(&current.user_id, Some(&current.session_token))
                    .await?;
                list(adapter, &current).await?
            }
            _ => {
                adapter.delete_user_sessions(&current.user_id, None).await?;
                AuthResponse::json(&b"[]"[..]).cookies(cookies::clear_chunked(def, &ctx.req.cookies))
            }
        })
    }
    .await;
    result.unwrap_or_else(|e| {
        tracing::error!(error = %e, "session management: adapter failed");
        crate::pages::unavailable::with_retry(message(
            StatusCode::SERVICE_UNAVAILABLE,
            "The session store is unavailable",
        ))
    })
}

async fn list(adapter: &dyn Adapter, current: &AdapterSession) -> Result<AuthResponse, AdapterError> {
    let sessions = adapter.list_sessions(&current.user_id).await?;
    let infos: Vec<SessionInfo> = sessions.iter().map(|s| info(s, &current.session_token)).collect();
    Ok(AuthResponse::json_value(&infos).no_cache())
}

pub(crate) fn info(s: &AdapterSession, current: &str) -> SessionInfo {
    SessionInfo {
        id: session_id(&s.session_token),
        expires: iso8601(s.expires),
        current: s.session_token == current,
    }
}
