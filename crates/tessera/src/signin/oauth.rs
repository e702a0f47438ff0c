//! OAuth 2 / OIDC sign-in: `POST /signin/:id` sends the browser to the provider with the
//! check cookies set (spec §7.1 A); `GET|POST /callback/:id` verifies the checks, exchanges
//! the code, validates the ID token, maps the profile and handles the account (§7.1 B).

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::HeaderValue;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::accounts::{create_user_and_link, link_account};
use super::{SignInError, SignedIn, check_sign_in, finish_sign_in, issue_session};
use crate::adapter::{Adapter, AdapterError, NewUser};
use crate::callbacks::SignInArgs;
use crate::cookies::{CHECK_MAX_AGE_SECS, CookieDef, SameSite};
use crate::ctx::Ctx;
use crate::log_value::Untrusted;
use crate::oauth::discovery::Metadata;
use crate::oauth::http_client::get_json;
use crate::oauth::id_token::{self, Expected};
use crate::oauth::token::{self, TokenRequest};
use crate::oauth::{FlowError, HttpClient};
use crate::providers::oauth::{Checks, OAuthProvider, TokenSet};
use crate::random;
use crate::response::AuthResponse;
use crate::secret::ct_eq;
use crate::session::jwt::JweCodec;
use crate::session::{SessionStore, after, unix};
use crate::user::{Account, AccountType};
use crate::{ErrorCode, User};

/// Authorization parameters a sign-in request's query may not override.
const RESERVED: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "callbackUrl",
];

fn http<'a>(ctx: &'a Ctx<'_>) -> Result<&'a dyn HttpClient, FlowError> {
    ctx.config
        .http
        .as_deref()
        .ok_or_else(|| FlowError::new("no HTTP client configured"))
}

/// 32 random bytes, base64url (43 characters): a state, verifier or nonce.
fn check_value() -> String {
    URL_SAFE_NO_PAD.encode(random::bytes::<32>())
}

/// The three check cookies with their codecs, in the order state, PKCE, nonce.
fn check_cookies<'a>(ctx: &'a Ctx<'_>, checks: Checks) -> Vec<(&'a CookieDef, &'a JweCodec)> {
    let c = &ctx.profile.cookies;
    let k = &ctx.profile.check_codecs;
    [
        (checks.state, &c.state, &k.state),
        (checks.pkce, &c.pkce_code_verifier, &k.pkce),
        (checks.nonce, &c.nonce, &k.nonce),
    ]
    .into_iter()
    .filter(|(on, _, _)| *on)
    .map(|(_, def, codec)| (def, codec))
    .collect()
}

/// At most this many parameters of the sign-in request's query go on to the authorization
/// URL (`signIn(id, options, authorizationParams)` passes a handful); the rest are ignored.
const MAX_REQUEST_PARAMS: usize = 64;

/// The authorization URL's query: pairs in order, with the position of each name's first
/// occurrence, so that `set` is a lookup rather than a scan (security review L13: a
/// 10 000-parameter request cost 10⁸ comparisons).
struct QueryPairs {
    pairs: Vec<(String, String)>,
    first: HashMap<String, usize>,
}

impl QueryPairs {
    fn new(pairs: Vec<(String, String)>) -> Self {
        let mut first = HashMap::with_capacity(pairs.len());
        for (i, (k, _)) in pairs.iter().enumerate() {
            first.entry(k.clone()).or_insert(i);
        }
        QueryPairs { pairs, first }
    }
}

/// Sets `key` in place when present, else appends it (`URLSearchParams.set`).
fn set(pairs: &mut QueryPairs, key: &str, value: &str) {
    match pairs.first.get(key) {
        Some(&i) => pairs.pairs[i].1 = value.to_owned(),
        None => {
            pairs.first.insert(key.to_owned(), pairs.pairs.len());
            pairs.pairs.push((key.to_owned(), value.to_owned()));
        }
    }
}

/// `POST /signin/:id` (CSRF verified).
pub(crate) async fn start(ctx: &Ctx<'_>, provider: &OAuthProvider) -> AuthResponse {
    match authorization_url(ctx, provider).await {
        Ok((url, cookies)) => AuthResponse::redirect(url).cookies(cookies),
        Err(e) => {
            let error = Untrusted(&e);
            tracing::error!(provider = %provider.id, ?error, "OAuth sign-in could not start");
            SignInError::from(ErrorCode::OAuthSignin).into_response(ctx)
        }
    }
}

async fn authorization_url(ctx: &Ctx<'_>, p: &OAuthProvider) -> Result<(String, Vec<HeaderValue>), FlowError> {
    let meta = p.metadata(http(ctx)?).await?;
    let mut endpoint = url::Url::parse(&meta.authorization_endpoint)
        .map_err(|e| FlowError::new(format!("authorization endpoint: {e}")))?;
    // openid-client keeps the endpoint's own query first.
    let mut pairs = QueryPairs::new(endpoint.query_pairs().into_owned().collect());
    endpoint.set_query(None);
    let redirect_uri = ctx.base_url(&format!("callback/{}", p.id));
    set(&mut pairs, "client_id", &p.client_id);
    set(&mut pairs, "scope", "openid");
    set(&mut pairs, "response_type", "code");
    set(&mut pairs, "redirect_uri", &redirect_uri);
    for (k, v) in &p.params {
        set(&mut pairs, k, v);
    }
    let requested = ctx.req.query.iter().filter(|(k, _)| !RESERVED.contains(&k.as_str()));
    for (k, v) in requested.take(MAX_REQUEST_PARAMS) {
        set(&mut pairs, k, v);
    }

    let checks = p.checks_in_effect();
    let now = unix(ctx.now);
    let mut cookies = Vec::new();
    // `form_post` callbacks (Apple) arrive as a cross-site POST, which carries no
    // `SameSite=Lax` cookie: on https the check cookies and the callback URL go out as
    // `SameSite=None; Secure` instead (browsers refuse `None` without `Secure`).
    let form_post = pairs
        .pairs
        .iter()
        .any(|(k, v)| k == "response_mode" && v == "form_post");
    let cross_site = |def: &CookieDef| -> Option<CookieDef> {
        (form_post && def.options.secure).then(|| {
            let mut def = def.clone();
            def.options.same_site = SameSite::None;
            def
        })
    };
    if let Some(def) = cross_site(&ctx.profile.cookies.callback_url) {
        cookies.push(def.set(&ctx.callback_url, None));
    }
    for (def, codec) in check_cookies(ctx, checks) {
        let value = check_value();
        if std::ptr::eq(def, &ctx.profile.cookies.state) {
            set(&mut pairs, "state", &value);
        } else if std::ptr::eq(def, &ctx.profile.cookies.pkce_code_verifier) {
            let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(value.as_bytes()));
            set(&mut pairs, "code_challenge", &challenge);
            set(&mut pairs, "code_challenge_method", "S256");
        } else {
            set(&mut pairs, "nonce", &value);
        }
        let max_age = def.options.max_age.unwrap_or(CHECK_MAX_AGE_SECS);
        let mut payload = Map::new();
        payload.insert("value".into(), Value::String(value));
        payload.insert("provider".into(), Value::String(p.id.clone()));
        let jwe = codec.encode_claims(&mut payload, max_age, now);
        let expires = Some(after(ctx.now, max_age));
        cookies.push(cross_site(def).as_ref().unwrap_or(def).set(&jwe, expires));
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs.pairs)
        .finish()
        .replace('+', "%20");
    Ok((format!("{endpoint}?{query}"), cookies))
}

/// The verified check values of a callback.
#[derive(Default)]
struct CheckValues {
    state: Option<String>,
    pkce: Option<String>,
    nonce: Option<String>,
}

/// Reads the check cookies: each must be present, decrypt, hold a non-empty value, and
/// name this provider.
fn read_checks(ctx: &Ctx<'_>, p: &OAuthProvider) -> Result<CheckValues, FlowError> {
    let mut out = CheckValues::default();
    let now = unix(ctx.now);
    for (def, codec) in check_cookies(ctx, p.checks_in_effect()) {
        let raw = ctx
            .req
            .cookies
            .get(&def.name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| FlowError::new(format!("the {} cookie is missing", def.name)))?;
        let claims = codec
            .decode(raw, now)
            .map_err(|e| FlowError::new(format!("the {} cookie is invalid: {e}", def.name)))?;
        let value = claims
            .get("value")
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| FlowError::new(format!("the {} cookie has no value", def.name)))?;
        if claims.get("provider").and_then(Value::as_str) != Some(p.id.as_str()) {
            return Err(FlowError::new(format!(
                "the {} cookie belongs to another provider",
                def.name
            )));
        }
        let slot = if std::ptr::eq(def, &ctx.profile.cookies.state) {
            &mut out.state
        } else if std::ptr::eq(def, &ctx.profile.cookies.pkce_code_verifier) {
            &mut out.pkce
        } else {
            &mut out.nonce
        };
        *slot = Some(value.to_owned());
    }
    Ok(out)
}

/// The parameters of the authorization response: the query (GET) or the form body
/// (POST, `response_mode=form_post`).
fn callback_params(ctx: &Ctx<'_>) -> Map<String, Value> {
    if ctx.req.method == http::Method::POST {
        ctx.req.body.clone()
    } else {
        let mut m = Map::new();
        for (k, v) in &ctx.req.query {
            m.entry(k.clone()).or_insert_with(|| Value::String(v.clone()));
        }
        m
    }
}

/// What the provider told us about the user.
struct Outcome {
    profile: Map<String, Value>,
    tokens: TokenSet,
}

/// Steps 3–6: state and `iss`, the token request, the ID token, the profile.
async fn exchange(
    ctx: &Ctx<'_>,
    p: &OAuthProvider,
    params: &Map<String, Value>,
    checks: &CheckValues,
) -> Result<Outcome, FlowError> {
    let param = |k: &str| params.get(k).and_then(Value::as_str);
    match (&checks.state, param("state")) {
        (Some(want), Some(got)) if ct_eq(want, got) => {}
        (Some(_), Some(_)) => return Err(FlowError::new("state mismatch")),
        (Some(_), None) => return Err(FlowError::new("state missing from the response")),
        (None, Some(_)) => return Err(FlowError::new("unexpected state in the response")),
        (None, None) => {}
    }
    let http = http(ctx)?;
    let meta: std::sync::Arc<Metadata> = p.metadata(http).await?;
    match (param("iss"), &meta.issuer) {
        (Some(iss), Some(issuer)) if iss != issuer => {
            return Err(FlowError::new(format!("iss mismatch: {iss} (expected {issuer})")));
        }
        (None, _) if meta.authorization_response_iss_parameter_supported => {
            return Err(FlowError::new("iss missing from the response"));
        }
        _ => {}
    }
    let code = param("code")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| FlowError::new("code missing from the response"))?;
    let redirect_uri = ctx.base_url(&format!("callback/{}", p.id));
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri.as_str()),
    ];
    if let Some(v) = &checks.pkce {
        form.push(("code_verifier", v.as_str()));
    }
    let now = unix(ctx.now);
    let request = TokenRequest {
        endpoint: &meta.token_endpoint,
        client_id: &p.client_id,
        client_secret: &p.client_secret,
        auth: &p.token_auth,
        params: form,
    };
    let mut tokens = token::request(http, request, now).await?;
    if tokens.session_state.is_none() {
        tokens.session_state = param("session_state").map(str::to_owned);
    }

    let mut profile = if p.is_oidc() {
        let id_token = tokens
            .id_token
            .as_deref()
            .ok_or_else(|| FlowError::new("id_token missing from the token response"))?;
        let (Some(issuer), Some(jwks_uri)) = (&meta.issuer, &meta.jwks_uri) else {
            return Err(FlowError::new("the provider has no issuer or jwks_uri"));
        };
        let expected = Expected {
            issuer,
            client_id: &p.client_id,
            nonce: checks.nonce.as_deref(),
            access_token: tokens.access_token.as_deref(),
            algorithms: &p.algorithms,
            now,
        };
        let mut claims = id_token::validate(http, jwks_uri, &p.state.jwks, id_token, &expected).await?;
        if p.fetch_userinfo
            && let Some(url) = &meta.userinfo_endpoint
        {
            let info = userinfo(http, url, &tokens).await?;
            if info.get("sub") != claims.get("sub") {
                return Err(FlowError::new("userinfo sub does not match the ID token"));
            }
            claims.extend(info);
        }
        claims
    } else {
        let url = meta
            .userinfo_endpoint
            .as_deref()
            .ok_or_else(|| FlowError::new("the provider has no userinfo endpoint"))?;
        userinfo(http, url, &tokens).await?
    };
    if let Some(hook) = &p.profile_hook {
        hook.complete(&mut profile, &tokens, http)
            .await
            .map_err(|e| FlowError::new(format!("profile hook: {e}")))?;
    }
    Ok(Outcome { profile, tokens })
}

async fn userinfo(http: &dyn HttpClient, url: &str, tokens: &TokenSet) -> Result<Map<String, Value>, FlowError> {
    let at = tokens
        .access_token
        .as_deref()
        .ok_or_else(|| FlowError::new("access_token missing from the token response"))?;
    get_json(http, url, Some(at)).await
}

/// The check cookies of this provider that came with the request, cleared (state, PKCE, nonce).
fn clears(ctx: &Ctx<'_>, p: &OAuthProvider) -> Vec<HeaderValue> {
    check_cookies(ctx, p.checks_in_effect())
        .into_iter()
        .filter(|(def, _)| ctx.req.cookies.get(&def.name).is_some())
        .map(|(def, _)| def.clear())
        .collect()
}

/// `GET|POST /callback/:id`. Every answer clears the check cookies the request carried.
pub(crate) async fn callback(ctx: &Ctx<'_>, p: &OAuthProvider) -> AuthResponse {
    let cleared = clears(ctx, p);
    match sign_in(ctx, p).await {
        Ok((response, session)) => response.cookies(cleared).cookies(session),
        Err(e) => e.into_response(ctx).cookies(cleared),
    }
}

/// The callback after the check cookies: the response and the session cookies.
async fn sign_in(ctx: &Ctx<'_>, p: &OAuthProvider) -> Result<(AuthResponse, Vec<HeaderValue>), SignInError> {
    let params = callback_params(ctx);
    if let Some(e) = ctx.req.query("error").or(ctx.req.body_str("error")) {
        // Anyone can send these: escaped and cut for the log line (L5).
        let description = ctx
            .req
            .query("error_description")
            .or(ctx.req.body_str("error_description"));
        let (error, description) = (Untrusted(e), Untrusted(description.unwrap_or("")));
        tracing::info!(provider = %p.id, ?error, ?description, "the provider returned an error");
        return Err(ErrorCode::Callback.into());
    }
    let checks = read_checks(ctx, p).map_err(|e| {
        let error = Untrusted(&e);
        tracing::warn!(provider = %p.id, ?error, "OAuth callback refused");
        SignInError::from(ErrorCode::OAuthCallback)
    })?;
    let Outcome { profile, tokens } = exchange(ctx, p, &params, &checks).await.map_err(|e| {
        let error = Untrusted(&e);
        tracing::warn!(provider = %p.id, ?error, "OAuth callback failed");
        SignInError::from(ErrorCode::OAuthCallback)
    })?;
    let raw = Value::Object(profile);
    let mut user = match (p.profile)(&raw, &tokens) {
        Ok(u) if !u.id.is_empty() => u,
        Ok(_) | Err(_) => {
            tracing::warn!(provider = %p.id, "the profile has no id or could not be mapped");
            return Err(SignInError::Redirect(ctx.base_url("signin")));
        }
    };
    user.email = verified_email(p, user.email.take(), &raw);
    let mut account = Account {
        provider: p.id.clone(),
        kind: AccountType::OAuth,
        provider_account_id: user.id.clone(),
        user_id: None,
        extra: tokens.account_fields(),
    };

    let (user, is_new_user) = match ctx.config.adapter.as_deref() {
        None => {
            let args = SignInArgs {
                user: &user,
                account: &account,
                profile: Some(&raw),
                credentials: None,
                verification_request: None,
            };
            check_sign_in(ctx, args).await?;
            (user, None)
        }
        Some(adapter) => {
            let (user, new) = link(ctx, p, adapter, user, &mut account, &raw).await?;
            (user, Some(new))
        }
    };
    let signed_in = SignedIn {
        user: &user,
        account: &account,
        is_new_user,
        profile: Some(&raw),
    };
    let session = issue_session(ctx, signed_in).await?;
    let response = finish_sign_in(ctx, signed_in, Vec::new()).await;
    Ok((response, session))
}

fn backend(e: &AdapterError) -> SignInError {
    SignInError::adapter("OAuth callback", e, ErrorCode::Callback)
}

/// The signed-in user, from the session cookie of the request.
async fn current_user(ctx: &Ctx<'_>, adapter: &dyn Adapter) -> Result<Option<User>, AdapterError> {
    let Some(raw) = ctx.req.cookies.chunked(&ctx.profile.cookies.session_token.name) else {
        return Ok(None);
    };
    match &ctx.config.store {
        SessionStore::Jwt => {
            let Ok(claims) = ctx.profile.session_codec.decode(&raw, unix(ctx.now)) else {
                return Ok(None);
            };
            match claims.get("sub").and_then(Value::as_str) {
                Some(sub) => adapter.get_user(sub).await,
                None => Ok(None),
            }
        }
        SessionStore::Database(_) if !crate::session::database::is_token_shaped(&raw) => Ok(None),
        SessionStore::Database(_) => Ok(match adapter.get_session_and_user(&raw).await? {
            Some((s, u)) if s.expires > ctx.now => Some(u),
            _ => None,
        }),
    }
}

/// The profile's `email_verified` claim: `Some(true)` for `true` or `"true"` (Cognito and
/// Apple send strings), `None` when absent or `null`, `Some(false)` for any other value.
fn profile_email_verified(raw: &Value) -> Option<bool> {
    match raw.get("email_verified")? {
        Value::Null => None,
        Value::Bool(b) => Some(*b),
        Value::String(s) => Some(s == "true"),
        _ => Some(false),
    }
}

/// The email of the mapped profile as Tessera keeps it: normalised, and `None` when it is
/// not a valid address (L9: never stored raw) or when the profile says it is unverified
/// (`email_verified: false`, M1: such an address could pre-register a user that its real
/// owner would later adopt by email sign-in). Both cases are logged.
fn verified_email(p: &OAuthProvider, email: Option<String>, raw: &Value) -> Option<String> {
    let email = email?;
    let Ok(normalized) = crate::providers::email::normalize_email(&email) else {
        tracing::warn!(
            provider = %p.id,
            email = ?Untrusted(&email),
            "the provider's email is not a valid address; signing in without it"
        );
        return None;
    };
    if profile_email_verified(raw) == Some(false) {
        tracing::info!(provider = %p.id, "the provider says the email is unverified; signing in without it");
        return None;
    }
    Some(normalized)
}

/// The `sign_in` callback, then the account rules of spec §7.1 step 10. Returns the user
/// to sign in and whether it was created.
async fn link(
    ctx: &Ctx<'_>,
    p: &OAuthProvider,
    adapter: &dyn Adapter,
    profile_user: User,
    account: &mut Account,
    raw: &Value,
) -> Result<(User, bool), SignInError> {
    let by_account = adapter
        .get_user_by_account(&account.provider, &account.provider_account_id)
        .await
        .map_err(|e| backend(&e))?;
    let args = SignInArgs {
        user: by_account.as_ref().unwrap_or(&profile_user),
        account,
        profile: Some(raw),
        credentials: None,
        verification_request: None,
    };
    check_sign_in(ctx, args).await?;
    let current = current_user(ctx, adapter).await.map_err(|e| backend(&e))?;

    if let Some(owner) = by_account {
        return match current {
            Some(c) if c.id != owner.id => {
                tracing::info!(provider = %p.id, "the account is linked to another user");
                Err(ErrorCode::OAuthAccountNotLinked.into())
            }
            _ => {
                account.user_id = Some(owner.id.clone());
                Ok((owner, false))
            }
        };
    }
    if let Some(c) = current {
        link_account(ctx, adapter, &c, account, Some(raw))
            .await
            .map_err(|e| backend(&e))?;
        return Ok((c, false));
    }
    let by_email = match &profile_user.email {
        Some(email) => adapter.get_user_by_email(email).await.map_err(|e| backend(&e))?,
        None => None,
    };
    let Some(existing) = by_email else {
        let new = NewUser {
            name: profile_user.name.clone(),
            email: profile_user.email.clone(),
            image: profile_user.image.clone(),
            email_verified: None,
        };
        // User and account in one transaction (L11): no orphan user can hold the email.
        let user = create_user_and_link(ctx, adapter, new, account, Some(raw))
            .await
            .map_err(|e| {
                SignInError::adapter("OAuth callback: creating the user", &e, ErrorCode::OAuthCreateAccount)
            })?;
        return Ok((user, true));
    };
    // The IdP must vouch for the address explicitly (I1): a missing claim is not proof, as
    // with Azure AD/Entra, whose `email` is unverified and mutable.
    let allowed = p.allow_dangerous_email_account_linking
        && existing.email_verified.is_some()
        && profile_email_verified(raw) == Some(true);
    if !allowed {
        tracing::info!(provider = %p.id, "a user with this email exists; not linking");
        return Err(ErrorCode::OAuthAccountNotLinked.into());
    }
    let user = existing;
    link_account(ctx, adapter, &user, account, Some(raw))
        .await
        .map_err(|e| backend(&e))?;
    // NextAuth reports a sign-in through dangerous email linking as a new user too.
    Ok((user, true))
}
