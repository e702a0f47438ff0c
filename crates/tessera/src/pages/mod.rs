//! The built-in pages (sign-in, sign-out, error, verify-request) and their [`Theme`].
//! Plain HTML forms: they work without JavaScript, and keep NextAuth's field names and
//! targets so custom pages can copy them (spec §10).

pub(crate) mod html;
pub(crate) mod theme;
pub(crate) mod unavailable;

pub use theme::{ColorScheme, Theme};

use askama::Template;
use http::StatusCode;

use crate::ErrorCode;
use crate::ctx::Ctx;
use crate::providers::style::{hex_to_rgba, is_css_color, is_logo, logo_url};
use crate::providers::{Provider, ProviderStyle};
use crate::url::BaseUrl;

struct Layout<'a> {
    title: &'a str,
    scheme: &'static str,
    brand: &'a str,
    button_text: &'a str,
    logo: Option<&'a str>,
}

impl<'a> Layout<'a> {
    fn new(theme: &'a Theme, title: &'a str) -> Self {
        Layout {
            title,
            scheme: theme.scheme(),
            brand: theme.brand_color.as_deref().unwrap_or("#346df1"),
            button_text: theme.button_text.as_deref().unwrap_or("#ffffff"),
            logo: theme.logo.as_deref(),
        }
    }
}

struct FieldView<'a> {
    name: &'a str,
    label: &'a str,
    input_type: &'a str,
    placeholder: &'a str,
    id: String,
}

struct ProviderView<'a> {
    id: &'a str,
    name: &'a str,
    kind: &'static str,
    action: String,
    fields: Vec<FieldView<'a>>,
    style: Option<StyleView>,
    /// Links under the form (the password provider's sign-up and forgotten password).
    links: Vec<(String, &'static str)>,
}

/// An OAuth button's brand style as NextAuth v4's sign-in page renders it: the custom
/// properties of the button's `style` attribute, and the light and dark logos.
#[derive(Debug, PartialEq, Eq)]
struct StyleView {
    /// `--provider-bg: #fff; --provider-dark-bg: #000; …` (empty when no colour is set).
    css: String,
    logo: Option<String>,
    logo_dark: Option<String>,
}

impl StyleView {
    /// `None` for a provider without a style. The dark values default to the light ones
    /// (as in NextAuth 4.24). Values were checked at build; any that would not pass are
    /// left out here all the same, and the template escapes what it writes.
    fn new(style: Option<&ProviderStyle>) -> Option<StyleView> {
        let style = style?;
        fn color(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|c| is_css_color(c))
        }
        let logo = |v: &Option<String>| v.as_deref().filter(|l| is_logo(l)).map(|l| logo_url(l).into_owned());
        let (bg, text) = (color(&style.bg), color(&style.text));
        let bg_dark = color(&style.bg_dark).or(bg);
        let text_dark = color(&style.text_dark).or(text);
        let mut props: Vec<(&str, String)> = Vec::new();
        for (name, value) in [
            ("--provider-bg", bg),
            ("--provider-dark-bg", bg_dark),
            ("--provider-color", text),
            ("--provider-dark-color", text_dark),
        ] {
            if let Some(v) = value {
                props.push((name, v.to_owned()));
            }
        }
        for (name, value) in [("--provider-bg-hover", bg), ("--provider-dark-bg-hover", bg_dark)] {
            if let Some(rgba) = value.and_then(|c| hex_to_rgba(c, 0.8)) {
                props.push((name, rgba));
            }
        }
        let css = props
            .iter()
            .map(|(name, value)| format!("{name}: {value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let light = logo(&style.logo);
        let dark = logo(&style.logo_dark).or_else(|| light.clone());
        Some(StyleView {
            css,
            logo: light,
            logo_dark: dark,
        })
    }
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage<'a> {
    layout: Layout<'a>,
    csrf_token: &'a str,
    callback_url: &'a str,
    error: Option<&'static str>,
    providers: Vec<ProviderView<'a>>,
}

#[derive(Template)]
#[template(path = "signout.html")]
struct SignOutPage<'a> {
    layout: Layout<'a>,
    csrf_token: &'a str,
    action: String,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    layout: Layout<'a>,
    heading: &'a str,
    message: &'a str,
    link: Option<(String, &'a str)>,
}

/// The sign-in page's message for an `?error=` value (spec §8.2): `None` for a value
/// that is not one of the codes.
pub(crate) fn sign_in_error_message(error: Option<ErrorCode>) -> &'static str {
    match error {
        Some(
            ErrorCode::Signin
            | ErrorCode::OAuthSignin
            | ErrorCode::OAuthCallback
            | ErrorCode::OAuthCallbackError
            | ErrorCode::OAuthCreateAccount
            | ErrorCode::EmailCreateAccount
            | ErrorCode::Callback,
        ) => "Try signing in with a different account.",
        Some(ErrorCode::OAuthAccountNotLinked) => {
            "To confirm your identity, sign in with the same account you used originally."
        }
        Some(ErrorCode::EmailSignin) => "The e-mail could not be sent.",
        Some(ErrorCode::CredentialsSignin) => "Sign in failed. Check the details you provided are correct.",
        Some(ErrorCode::SessionRequired) => "Please sign in to access this page.",
        // `@auth/core`'s sign-in page has no message of its own for `MissingCSRF`.
        Some(ErrorCode::Configuration | ErrorCode::AccessDenied | ErrorCode::Verification | ErrorCode::MissingCSRF)
        | None => "Unable to sign in.",
    }
}

fn render(t: &impl Template) -> String {
    t.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "page rendering failed");
        String::from("<!doctype html><title>Error</title><p>Something went wrong.</p>")
    })
}

/// The sign-in page; `pending`: the request has a pending two-factor sign-in, and the page
/// shows the code form alone (the first factor is done).
pub(crate) fn render_sign_in(ctx: &Ctx<'_>, callback_url: &str, error: Option<&str>, pending: bool) -> String {
    let providers = ctx
        .config
        .providers
        .iter()
        .filter(|p| matches!(p, Provider::TwoFactor(_)) == pending)
        .map(|p| match p {
            Provider::Credentials(c) => ProviderView {
                id: &c.id,
                name: &c.name,
                kind: "credentials",
                action: ctx.base_url(&format!("callback/{}", c.id)),
                fields: c
                    .fields
                    .iter()
                    .map(|f| FieldView {
                        name: &f.name,
                        label: &f.label,
                        input_type: &f.input_type,
                        placeholder: f.placeholder.as_deref().unwrap_or(""),
                        id: format!("input-{}-for-{}-provider", f.name, c.id),
                    })
                    .collect(),
                style: None,
                links: Vec::new(),
            },
            Provider::Email(e) => ProviderView {
                id: &e.id,
                name: &e.name,
                kind: "email",
                action: ctx.base_url(&format!("signin/{}", e.id)),
                fields: Vec::new(),
                style: None,
                links: Vec::new(),
            },
            Provider::OAuth(o) => ProviderView {
                id: &o.id,
                name: &o.name,
                kind: "oauth",
                action: ctx.base_url(&format!("signin/{}", o.id)),
                fields: Vec::new(),
                style: StyleView::new(o.style.as_ref()),
                links: Vec::new(),
            },
            Provider::Password(p) => ProviderView {
                id: &p.id,
                name: &p.name,
                kind: "credentials",
                action: ctx.base_url(&format!("callback/{}", p.id)),
                fields: ["email", "password"]
                    .into_iter()
                    .map(|name| FieldView {
                        name,
                        label: if name == "email" { "Email" } else { "Password" },
                        input_type: name,
                        placeholder: "",
                        id: format!("input-{name}-for-{}-provider", p.id),
                    })
                    .collect(),
                style: None,
                links: vec![
                    (ctx.base_url(&format!("signup/{}", p.id)), "Create an account"),
                    (ctx.base_url("password/forgot"), "Forgot your password?"),
                ],
            },
            Provider::TwoFactor(t) => ProviderView {
                id: crate::providers::two_factor::PROVIDER_ID,
                name: t.display_name(),
                kind: "credentials",
                action: ctx.base_url(&format!("callback/{}", crate::providers::two_factor::PROVIDER_ID)),
                fields: vec![FieldView {
                    name: "code",
                    label: "Code from your authenticator app, or a recovery code",
                    input_type: "text",
                    placeholder: "123456",
                    id: format!("input-code-for-{}-provider", crate::providers::two_factor::PROVIDER_ID),
                }],
                style: None,
                links: Vec::new(),
            },
        })
        .collect();
    render(&SignInPage {
        layout: Layout::new(&ctx.config.theme, "Sign In"),
        csrf_token: &ctx.csrf.token,
        callback_url,
        error: error.map(|e| match e {
            crate::providers::two_factor::TWO_FACTOR_REQUIRED => {
                "Enter the code from your authenticator app, or one of your recovery codes."
            }
            _ => sign_in_error_message(e.parse().ok()),
        }),
        providers,
    })
}

pub(crate) fn render_sign_out(ctx: &Ctx<'_>) -> String {
    render(&SignOutPage {
        layout: Layout::new(&ctx.config.theme, "Sign Out"),
        csrf_token: &ctx.csrf.token,
        action: ctx.base_url("signout"),
    })
}

pub(crate) fn render_verify_request(ctx: &Ctx<'_>) -> String {
    let host = ctx.url.host();
    // An email provider that sends codes: the page takes the code (a form POST, no script).
    let coded = ctx
        .req
        .query("provider")
        .and_then(|id| ctx.config.providers.iter().find(|p| p.id() == id))
        .and_then(|p| match p {
            Provider::Email(e) if e.code_mode().sends_code() => Some(e),
            _ => None,
        })
        .filter(|_| matches!(ctx.req.query("type"), None | Some("email")));
    if let Some(provider) = coded {
        let message = if provider.code_mode().sends_link() {
            "A sign in link and a code have been sent to your email address. Open the link, or enter the code here."
        } else {
            "A sign in code has been sent to your email address. Enter it here."
        };
        let action = format!("callback/{}", provider.id);
        return render_form(
            ctx,
            FormPage {
                title: "Verify Request",
                heading: "Check your email",
                error: ctx.req.query("error"),
                note: Some(message),
                action: &action,
                hidden: Vec::new(),
                fields: vec![
                    FormField {
                        name: "email",
                        label: "Email",
                        input_type: "email",
                        value: "",
                        autocomplete: "email",
                        required: true,
                    },
                    FormField {
                        name: "code",
                        label: "Code",
                        input_type: "text",
                        value: "",
                        autocomplete: "one-time-code",
                        required: true,
                    },
                ],
                submit: "Sign in with code",
                links: Vec::new(),
            },
        );
    }
    // The password provider's kinds: what was mailed is said without saying whether an
    // account exists (the same words for a new and a taken address, a known and an
    // unknown one).
    let message = match ctx.req.query("type") {
        Some("signup") => "A link to verify your address has been sent to your email address.",
        Some("reset") => "An email with the next steps has been sent to your email address.",
        _ => "A sign in link has been sent to your email address.",
    };
    render(&MessagePage {
        layout: Layout::new(&ctx.config.theme, "Verify Request"),
        heading: "Check your email",
        message,
        link: Some((ctx.url.origin.clone(), host)),
    })
}

/// One input of a password-provider page.
pub(crate) struct FormField<'a> {
    pub name: &'static str,
    pub label: &'static str,
    pub input_type: &'static str,
    /// Pre-filled value (never a password).
    pub value: &'a str,
    /// `email`, `name`, `current-password`, `new-password`.
    pub autocomplete: &'static str,
    pub required: bool,
}

struct FormFieldView<'a> {
    field: FormField<'a>,
    id: String,
}

impl<'a> std::ops::Deref for FormFieldView<'a> {
    type Target = FormField<'a>;
    fn deref(&self) -> &FormField<'a> {
        &self.field
    }
}

/// A page of the password provider: a heading, a form, links.
pub(crate) struct FormPage<'a> {
    pub title: &'static str,
    pub heading: &'static str,
    /// An error code of the answer (`?error=`), shown as its message.
    pub error: Option<&'a str>,
    pub note: Option<&'static str>,
    /// Where the form posts (under the base URL).
    pub action: &'a str,
    pub hidden: Vec<(&'static str, &'a str)>,
    pub fields: Vec<FormField<'a>>,
    pub submit: &'static str,
    /// Links under the form (paths under the base URL) and their text.
    pub links: Vec<(&'a str, &'static str)>,
}

#[derive(Template)]
#[template(path = "password.html")]
struct FormTemplate<'a> {
    layout: Layout<'a>,
    heading: &'a str,
    error: Option<&'static str>,
    note: Option<&'a str>,
    csrf_token: &'a str,
    action: String,
    hidden: Vec<(&'a str, &'a str)>,
    fields: Vec<FormFieldView<'a>>,
    submit: &'a str,
    links: Vec<(String, &'a str)>,
}

/// A two-factor set-up page: the QR code and key of a new secret with the form that
/// enables it, the recovery codes once enabled, or the form that disables it.
#[derive(Default)]
pub(crate) struct TwoFactorPage<'a> {
    pub heading: &'static str,
    /// An error code of the answer, shown as its message.
    pub error: Option<&'a str>,
    pub note: Option<&'static str>,
    /// The QR code (SVG, generated here: inserted as it is).
    pub qr_svg: Option<String>,
    /// The secret, base32.
    pub secret: Option<&'a str>,
    pub recovery_codes: Vec<String>,
    /// Where the code form posts (under the base URL), if there is one.
    pub action: Option<&'static str>,
    /// The form takes a recovery code too.
    pub recovery: bool,
    /// The form takes the password instead of a code.
    pub password: bool,
    pub submit: &'static str,
}

#[derive(Template)]
#[template(path = "two_factor.html")]
struct TwoFactorTemplate<'a> {
    layout: Layout<'a>,
    heading: &'a str,
    error: Option<&'static str>,
    note: Option<&'a str>,
    qr_svg: Option<String>,
    secret: Option<&'a str>,
    recovery_codes: Vec<String>,
    csrf_token: &'a str,
    action: Option<String>,
    recovery: bool,
    password: bool,
    submit: &'a str,
    link: Option<(String, &'a str)>,
}

/// Renders a two-factor set-up page.
pub(crate) fn render_two_factor(ctx: &Ctx<'_>, page: TwoFactorPage<'_>) -> String {
    render(&TwoFactorTemplate {
        layout: Layout::new(&ctx.config.theme, "Two-factor sign-in"),
        heading: page.heading,
        error: page.error.map(two_factor_error_message),
        note: page.note,
        qr_svg: page.qr_svg,
        secret: page.secret,
        recovery_codes: page.recovery_codes,
        csrf_token: &ctx.csrf.token,
        action: page.action.map(|a| ctx.base_url(a)),
        recovery: page.recovery,
        password: page.password,
        submit: page.submit,
        link: Some((ctx.url.origin.clone(), "Home")),
    })
}

/// The message of a two-factor route's error code.
pub(crate) fn two_factor_error_message(code: &str) -> &'static str {
    match code {
        "WrongCode" => "The code is not correct, or it has been used already.",
        "SetupExpired" => "The set-up expired. Please start again.",
        "AlreadyEnabled" => "Two-factor sign-in is on already. Turn it off first to set it up again.",
        "NotEnabled" => "Two-factor sign-in is not on.",
        other => password_error_message(other),
    }
}

/// The message of a password route's error code.
pub(crate) fn password_error_message(code: &str) -> &'static str {
    match code {
        "PasswordTooShort" => "The password is too short: use at least 8 characters.",
        "PasswordTooLong" => "The password is too long: use at most 128 characters.",
        "PasswordCommon" => "This password is too common. Choose another one.",
        "PasswordSameAsEmail" => "The password must not be your email address.",
        "InvalidEmail" => "Enter a valid email address.",
        "InvalidName" => "The name is too long.",
        "InvalidToken" => "This link is no longer valid. It may have been used already or it may have expired.",
        "WrongPassword" => "The current password is not correct.",
        "SessionRequired" => "Please sign in first.",
        "TooManyRequests" => "Too many attempts. Please wait a while and try again.",
        "MissingCSRF" => "The form expired. Please try again.",
        "EmailSignin" => "The e-mail could not be sent.",
        "Verification" => "This code is not valid. It may have been used already or it may have expired.",
        _ => "Something went wrong. Please try again.",
    }
}

/// Renders a password-provider page.
pub(crate) fn render_form(ctx: &Ctx<'_>, page: FormPage<'_>) -> String {
    let fields = page
        .fields
        .into_iter()
        .map(|field| FormFieldView {
            id: format!("input-{}", field.name),
            field,
        })
        .collect();
    render(&FormTemplate {
        layout: Layout::new(&ctx.config.theme, page.title),
        heading: page.heading,
        error: page.error.map(password_error_message),
        note: page.note,
        csrf_token: &ctx.csrf.token,
        action: ctx.base_url(page.action),
        hidden: page.hidden,
        fields,
        submit: page.submit,
        links: page
            .links
            .into_iter()
            .map(|(path, text)| (ctx.base_url(path), text))
            .collect(),
    })
}

/// A message page with a link to a page under the base URL.
pub(crate) fn render_notice(ctx: &Ctx<'_>, heading: &str, message: &str, link: (&str, &str)) -> String {
    render(&MessagePage {
        layout: Layout::new(&ctx.config.theme, heading),
        heading,
        message,
        link: Some((ctx.base_url(link.0), link.1)),
    })
}

/// The error page for `error` (a code, matched regardless of case as NextAuth does), with
/// its status (spec §2.11).
pub(crate) fn render_error(ctx: &Ctx<'_>, error: &str) -> (StatusCode, String) {
    let signin = ctx.base_url("signin");
    let code = ErrorCode::ALL
        .into_iter()
        .find(|c| c.as_str().eq_ignore_ascii_case(error));
    let (status, heading, message, link) = match code {
        None if error.eq_ignore_ascii_case(unavailable::SERVICE_UNAVAILABLE) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable",
            "Signing in and out is unavailable for a moment. Please try again shortly.",
            Some((ctx.url.origin.clone(), ctx.url.host())),
        ),
        Some(ErrorCode::Configuration) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Server error",
            "There is a problem with the server configuration. Check the server logs for more information.",
            None,
        ),
        Some(ErrorCode::AccessDenied) => (
            StatusCode::FORBIDDEN,
            "Access Denied",
            "You do not have permission to sign in.",
            Some((signin, "Sign in")),
        ),
        Some(ErrorCode::Verification) => (
            StatusCode::FORBIDDEN,
            "Unable to sign in",
            "The sign in link is no longer valid. It may have been used already or it may have expired.",
            Some((signin, "Sign in")),
        ),
        _ => (
            StatusCode::OK,
            "Error",
            "Something went wrong while signing you in.",
            Some((ctx.url.origin.clone(), ctx.url.host())),
        ),
    };
    let html = render(&MessagePage {
        layout: Layout::new(&ctx.config.theme, "Error"),
        heading,
        message,
        link,
    });
    (status, html)
}

/// A standalone message page (used for request errors outside the routes).
pub(crate) fn render_message(theme: &Theme, url: &BaseUrl, heading: &str, message: &str) -> String {
    render(&MessagePage {
        layout: Layout::new(theme, heading),
        heading,
        message,
        link: Some((url.origin.clone(), "Home")),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn sign_in_error_messages_follow_nextauth() {
        use crate::ErrorCode;
        assert_eq!(
            super::sign_in_error_message(Some(ErrorCode::CredentialsSignin)),
            "Sign in failed. Check the details you provided are correct."
        );
        assert_eq!(
            super::sign_in_error_message(Some(ErrorCode::OAuthCallback)),
            "Try signing in with a different account."
        );
        assert_eq!(super::sign_in_error_message(None), "Unable to sign in.");
    }

    #[test]
    fn escape_html_escapes_markup_and_quotes() {
        assert_eq!(
            super::html::escape_html(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    use super::*;

    #[test]
    fn signin_style_view_follows_nextauth() {
        let github = ProviderStyle::new()
            .logo("/github.svg")
            .logo_dark("/github-dark.svg")
            .bg("#fff")
            .bg_dark("#000")
            .text("#000")
            .text_dark("#fff");
        assert_eq!(
            StyleView::new(Some(&github)),
            Some(StyleView {
                css: "--provider-bg: #fff; --provider-dark-bg: #000; --provider-color: #000; \
                      --provider-dark-color: #fff; --provider-bg-hover: rgba(255, 255, 255, 0.8); \
                      --provider-dark-bg-hover: rgba(0, 0, 0, 0.8)"
                    .into(),
                logo: Some("https://authjs.dev/img/providers/github.svg".into()),
                logo_dark: Some("https://authjs.dev/img/providers/github-dark.svg".into()),
            })
        );
        // Dark values default to the light ones; non-hex colours get no hover colour.
        let plain = ProviderStyle::new()
            .logo("https://cdn.example.com/l.png")
            .bg("rgb(1, 2, 3)");
        assert_eq!(
            StyleView::new(Some(&plain)),
            Some(StyleView {
                css: "--provider-bg: rgb(1, 2, 3); --provider-dark-bg: rgb(1, 2, 3)".into(),
                logo: Some("https://cdn.example.com/l.png".into()),
                logo_dark: Some("https://cdn.example.com/l.png".into()),
            })
        );
        assert_eq!(StyleView::new(None), None);
    }

    #[test]
    fn signin_style_view_drops_values_that_would_not_pass_build() {
        let hostile = ProviderStyle::new()
            .logo("javascript:alert(1)")
            .bg("red;}body{display:none")
            .text("#000");
        assert_eq!(
            StyleView::new(Some(&hostile)),
            Some(StyleView {
                css: "--provider-color: #000; --provider-dark-color: #000".into(),
                logo: None,
                logo_dark: None,
            })
        );
    }
}
