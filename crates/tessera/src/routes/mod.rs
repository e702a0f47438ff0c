//! One module per action of the REST API (spec §2).

pub(crate) mod callback;
pub(crate) mod csrf;
pub(crate) mod error;
pub(crate) mod log;
pub(crate) mod password;
pub(crate) mod providers;
pub(crate) mod session;
pub(crate) mod sessions;
pub(crate) mod signin;
pub(crate) mod signout;
pub(crate) mod signup;
pub(crate) mod two_factor;
pub(crate) mod verify_request;

use http::Method;
use tessera_protocol::Action;

use crate::ctx::Ctx;
use crate::response::AuthResponse;

pub(crate) async fn dispatch(ctx: &Ctx<'_>) -> AuthResponse {
    let get = ctx.req.method == Method::GET;
    match ctx.req.action {
        Action::Session if get => session::get(ctx).await,
        Action::Session => session::update(ctx).await,
        Action::Csrf if get => csrf::get(ctx),
        Action::SignIn if get => signin::page(ctx),
        Action::SignIn => signin::start(ctx).await,
        Action::Callback => callback::handle(ctx).await,
        Action::SignOut if get => signout::page(ctx),
        Action::SignOut => signout::submit(ctx).await,
        Action::VerifyRequest if get => verify_request::page(ctx),
        Action::Error if get => error::page(ctx),
        Action::Sessions => sessions::handle(ctx).await,
        Action::SignUp => signup::handle(ctx).await,
        Action::Password => password::handle(ctx).await,
        Action::TwoFactor => two_factor::handle(ctx).await,
        _ => unsupported(ctx),
    }
}

pub(crate) fn unsupported(ctx: &Ctx<'_>) -> AuthResponse {
    AuthResponse::text(
        http::StatusCode::BAD_REQUEST,
        format!(
            "Error: This action with HTTP {} is not supported by NextAuth.js",
            ctx.req.method
        ),
    )
    .without_preamble()
}
