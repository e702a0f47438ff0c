//! Set-up while signed in:
//!
//! * `GET {base}/two-factor/setup`: a new secret (20 random bytes), its `otpauth://` URI
//!   and a QR code (SVG, made here), kept in a short-lived encrypted cookie
//!   ([`SETUP_MAX_AGE_SECS`]) bound to the user, not stored; as JSON
//!   (`{"enabled": false, "secret", "uri", "qrSvg"}`, with `?json=true` or
//!   `Accept: application/json`) or as a page with the form that enables it. For a user with
//!   a set-up: `{"enabled": true}`, or the page with the form that disables it.
//! * `POST {base}/two-factor/enable` (`csrfToken`, `code`): the first code of the pending
//!   secret stores it (sealed) with ten recovery codes (hashed), and answers the codes,
//!   once: `{"recoveryCodes": [...]}` (with `json=true`) or a page.
//! * `POST {base}/two-factor/disable` (`csrfToken`, `code` — a TOTP or recovery code — or
//!   `password` when the password provider is on): deletes the set-up and its codes.
//!
//! Refusals are `{"error": <code>}` with a status (or the page with the message): 401
//! `SessionRequired`, 403 `MissingCSRF`, 400 `SetupExpired`, 401 `WrongCode`, 409
//! `AlreadyEnabled`, 400 `NotEnabled`, 429 `TooManyRequests`. Code attempts count against
//! the two-factor limits. The routes are same-origin POSTs with the CSRF token, as every
//! other write.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{TwoFactor, adapter, buckets, check_code, cookie_def, recovery, sealed, totp};
use crate::adapter::AdapterError;
use crate::cookies::CookieDef;
use crate::ctx::Ctx;
use crate::pages::{self, TwoFactorPage};
use crate::rate_limit;
use crate::response::AuthResponse;
use crate::session::current::current_user;
use crate::session::jwt::JweCodec;
use crate::session::{after, unix};
use crate::user::User;

/// How long a set-up may take between showing the secret and enabling it (ten minutes).
pub(crate) const SETUP_MAX_AGE_SECS: i64 = 600;

/// The pending set-up in its cookie.
#[derive(Serialize, Deserialize)]
struct PendingSetup {
    /// The user it was made for.
    sub: String,
    /// The secret, base32.
    key: String,
}

fn setup_cookie(ctx: &Ctx<'_>) -> CookieDef {
    cookie_def(ctx, "two-factor-setup", SETUP_MAX_AGE_SECS)
}

fn codec(ctx: &Ctx<'_>, def: &CookieDef) -> JweCodec {
    JweCodec::new(ctx.config.compat, &ctx.config.secrets, &def.name)
}

/// Whether the client asked for JSON: `json=true` (query or body) or `Accept: application/json`.
fn wants_json(ctx: &Ctx<'_>) -> bool {
    ctx.req.query("json") == Some("true")
        || ctx.req.body_str("json") == Some("true")
        || ctx
            .req
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/json"))
}

/// An answer: `json` for a client that asked for JSON, the page otherwise.
fn answer(
    ctx: &Ctx<'_>,
    status: StatusCode,
    json: &Value,
    page: impl FnOnce() -> TwoFactorPage<'static>,
) -> AuthResponse {
    let response = if wants_json(ctx) {
        AuthResponse::json_value(json)
    } else {
        AuthResponse::html(status, pages::render_two_factor(ctx, page()))
    };
    response.status(status).no_cache()
}

/// A refusal with its code.
fn refusal(ctx: &Ctx<'_>, status: StatusCode, code: &'static str) -> AuthResponse {
    answer(ctx, status, &json!({ "error": code }), || TwoFactorPage {
        heading: "Two-factor sign-in",
        error: Some(code),
        ..Default::default()
    })
}

fn unavailable(ctx: &Ctx<'_>, what: &str, e: &AdapterError) -> AuthResponse {
    tracing::error!(error = %e, "{what}: adapter failed");
    pages::unavailable::response(ctx)
}

/// The signed-in user, or the refusal.
async fn signed_in_user(ctx: &Ctx<'_>) -> Result<User, AuthResponse> {
    match current_user(ctx).await {
        Ok(Some((user, _))) => Ok(user),
        Ok(None) => Err(refusal(ctx, StatusCode::UNAUTHORIZED, "SessionRequired")),
        Err(e) => Err(unavailable(ctx, "two-factor set-up: reading the session", &e)),
    }
}

/// `GET {base}/two-factor/setup`.
pub(crate) async fn show(ctx: &Ctx<'_>, config: &TwoFactor) -> AuthResponse {
    let user = match signed_in_user(ctx).await {
        Ok(u) => u,
        Err(refused) => return refused,
    };
    match adapter(ctx).get_two_factor(&user.id).await {
        Ok(None) => {}
        Ok(Some(_)) => {
            let password = password_provider(ctx).is_some();
            return answer(ctx, StatusCode::OK, &json!({ "enabled": true }), || TwoFactorPage {
                heading: "Two-factor sign-in is on",
                note: Some("To turn it off, enter a code from your authenticator app or a recovery code."),
                action: Some("two-factor/disable"),
                recovery: true,
                password,
                submit: "Turn off two-factor sign-in",
                ..Default::default()
            });
        }
        Err(e) => return unavailable(ctx, "two-factor set-up: reading the set-up", &e),
    }
    let secret: [u8; totp::SECRET_BYTES] = crate::random::bytes();
    let key = totp::base32(&secret);
    let host = ctx.url.host();
    let issuer = config.issuer.as_deref().unwrap_or(host);
    let account = user.email.as_deref().unwrap_or(&user.id);
    let uri = totp::uri(issuer, account, &key);
    let qr_svg = qr_svg(&uri);
    let def = setup_cookie(ctx);
    let pending = PendingSetup {
        sub: user.id.clone(),
        key: key.clone(),
    };
    let mut claims = match serde_json::to_value(&pending) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let value = codec(ctx, &def).encode_claims(&mut claims, SETUP_MAX_AGE_SECS, unix(ctx.now));
    let cookie = def.set(&value, Some(after(ctx.now, SETUP_MAX_AGE_SECS)));
    let body = json!({ "enabled": false, "secret": key, "uri": uri, "qrSvg": qr_svg });
    let page = || TwoFactorPage {
        heading: "Set up two-factor sign-in",
        note: Some("Scan this code with your authenticator app, then enter the code it shows."),
        qr_svg: qr_svg.clone(),
        secret: None,
        action: Some("two-factor/enable"),
        submit: "Turn on two-factor sign-in",
        ..Default::default()
    };
    // The page shows the key too: it borrows it, so it is rendered here.
    if wants_json(ctx) {
        return answer(ctx, StatusCode::OK, &body, page).cookies([cookie]);
    }
    let html = pages::render_two_factor(
        ctx,
        TwoFactorPage {
            secret: Some(&key),
            ..page()
        },
    );
    AuthResponse::html(StatusCode::OK, html).no_cache().cookies([cookie])
}

/// The QR code of `uri` as an SVG element (`None` if it does not fit in a QR code).
fn qr_svg(uri: &str) -> Option<String> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    // The element alone, without the XML declaration, to sit inside HTML.
    let start = image.find("<svg")?;
    Some(image[start..].to_owned())
}

/// Counts a code attempt for `user_id`: `Err` with the 429 when a limit is full.
async fn count_attempt(ctx: &Ctx<'_>, user_id: &str) -> Result<rate_limit::Reservation, AuthResponse> {
    ctx.config
        .limits
        .acquire(&buckets(ctx, user_id))
        .await
        .map_err(|refused| {
            tracing::warn!(user_id = %user_id, "two-factor set-up rate limited");
            rate_limit::too_many(refusal(ctx, StatusCode::TOO_MANY_REQUESTS, "TooManyRequests"), refused)
        })
}

/// `POST {base}/two-factor/enable`.
pub(crate) async fn enable(ctx: &Ctx<'_>) -> AuthResponse {
    if !ctx.csrf_verified() {
        return refusal(ctx, StatusCode::FORBIDDEN, "MissingCSRF");
    }
    let user = match signed_in_user(ctx).await {
        Ok(u) => u,
        Err(refused) => return refused,
    };
    let adapter = adapter(ctx);
    match adapter.get_two_factor(&user.id).await {
        Ok(None) => {}
        Ok(Some(_)) => return refusal(ctx, StatusCode::CONFLICT, "AlreadyEnabled"),
        Err(e) => return unavailable(ctx, "two-factor enable: reading the set-up", &e),
    }
    let def = setup_cookie(ctx);
    let pending = ctx
        .req
        .cookies
        .get(&def.name)
        .and_then(|raw| codec(ctx, &def).decode(raw, unix(ctx.now)).ok())
        .and_then(|claims| serde_json::from_value::<PendingSetup>(Value::Object(claims)).ok())
        .filter(|p| p.sub == user.id);
    let Some(secret) = pending.and_then(|p| totp::from_base32(&p.key)) else {
        return refusal(ctx, StatusCode::BAD_REQUEST, "SetupExpired");
    };
    let reservation = match count_attempt(ctx, &user.id).await {
        Ok(r) => r,
        Err(refused) => return refused,
    };
    let code = ctx.req.body_str("code").unwrap_or_default().trim();
    let Some(step) = totp::matching_step(&secret, code, ctx.now) else {
        return refusal(ctx, StatusCode::UNAUTHORIZED, "WrongCode");
    };
    ctx.config.limits.refund(reservation).await;
    let codes = recovery::generate();
    let hashes: Vec<String> = codes
        .iter()
        .filter_map(|c| recovery::normalize(c))
        .map(|c| recovery::hash(&user.id, &c))
        .collect();
    let sealed = sealed::seal(ctx.config, &user.id, &secret);
    if let Err(e) = adapter.set_two_factor(&user.id, &sealed, &hashes).await {
        return unavailable(ctx, "two-factor enable: storing the set-up", &e);
    }
    // The code that enabled it is used: it cannot sign in again.
    if let Err(e) = adapter.use_two_factor_step(&user.id, step).await {
        return unavailable(ctx, "two-factor enable: storing the step", &e);
    }
    tracing::info!(user_id = %user.id, "two-factor sign-in turned on");
    let body = json!({ "recoveryCodes": codes });
    answer(ctx, StatusCode::OK, &body, || TwoFactorPage {
        heading: "Two-factor sign-in is on",
        note: Some(
            "Keep these recovery codes somewhere safe: each signs you in once if you lose your \
             authenticator app. They will not be shown again.",
        ),
        recovery_codes: codes.clone(),
        ..Default::default()
    })
    .cookies([def.clear()])
}

/// `POST {base}/two-factor/disable`.
pub(crate) async fn disable(ctx: &Ctx<'_>) -> AuthResponse {
    if !ctx.csrf_verified() {
        return refusal(ctx, StatusCode::FORBIDDEN, "MissingCSRF");
    }
    let user = match signed_in_user(ctx).await {
        Ok(u) => u,
        Err(refused) => return refused,
    };
    let adapter = adapter(ctx);
    let record = match adapter.get_two_factor(&user.id).await {
        Ok(Some(record)) => record,
        Ok(None) => return refusal(ctx, StatusCode::BAD_REQUEST, "NotEnabled"),
        Err(e) => return unavailable(ctx, "two-factor disable: reading the set-up", &e),
    };
    let reservation = match count_attempt(ctx, &user.id).await {
        Ok(r) => r,
        Err(refused) => return refused,
    };
    let code = ctx.req.body_str("code").map(str::trim).filter(|c| !c.is_empty());
    let proven = match code {
        Some(code) => match check_code(ctx, &user.id, &record, code).await {
            Ok(check) => check.accepted(),
            Err(e) => return unavailable(ctx, "two-factor disable: checking the code", &e),
        },
        None => match password_matches(ctx, &user).await {
            Ok(ok) => ok,
            Err(e) => return unavailable(ctx, "two-factor disable: checking the password", &e),
        },
    };
    if !proven {
        return refusal(ctx, StatusCode::UNAUTHORIZED, "WrongCode");
    }
    ctx.config.limits.refund(reservation).await;
    if let Err(e) = adapter.delete_two_factor(&user.id).await {
        return unavailable(ctx, "two-factor disable: deleting the set-up", &e);
    }
    tracing::info!(user_id = %user.id, "two-factor sign-in turned off");
    answer(ctx, StatusCode::OK, &json!({ "enabled": false }), || TwoFactorPage {
        heading: "Two-factor sign-in is off",
        ..Default::default()
    })
}

/// The password provider, if one is configured.
fn password_provider<'a>(ctx: &Ctx<'a>) -> Option<&'a crate::providers::PasswordProvider> {
    ctx.config.providers.iter().find_map(|p| match p {
        crate::providers::Provider::Password(p) => Some(p),
        _ => None,
    })
}

/// Whether the request's `password` is the user's (only with the password provider).
async fn password_matches(ctx: &Ctx<'_>, user: &User) -> Result<bool, AdapterError> {
    let (Some(provider), Some(password)) = (password_provider(ctx), ctx.req.body_str("password")) else {
        return Ok(false);
    };
    let stored = adapter(ctx).get_password_hash(&user.id).await?;
    let hasher = &provider.resolved().hasher;
    Ok(crate::providers::password::normalized(password).is_ok_and(|p| hasher.verify(&p, stored.as_deref())))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_qr_code_is_an_svg_element() {
        let svg = super::qr_svg("otpauth://totp/Example:a%40b.c?secret=JBSWY3DPEHPK3PXP&issuer=Example").expect("fits");
        assert!(svg.starts_with("<svg"), "{svg:.40}");
        assert!(svg.trim_end().ends_with("</svg>"));
    }
}
