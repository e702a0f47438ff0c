//! The email (magic link) provider (spec §7.2): a single-use link, valid for 24 hours by
//! default, whose token is stored only as `sha256hex(token ‖ secret)`; optionally a
//! one-time code with the link or instead of it ([`CodeMode`]).

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use unicode_normalization::UnicodeNormalization;

use crate::pages::html::escape_html;
use crate::pages::theme::Theme;

/// An address that is not acceptable (spec §7.2 and security invariant 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidEmail {
    /// Empty after trimming.
    #[error("the email address is empty")]
    Empty,
    /// Not exactly one `@` (after NFKC), or an `@` look-alike such as U+FF20 in the input.
    #[error("the email address must contain exactly one '@'")]
    At,
    /// Quotes, commas, semicolons, angle brackets, whitespace or control characters.
    #[error("the email address contains a character that is not allowed")]
    Character,
    /// An empty local part or a domain without a dot.
    #[error("the email address has no valid local part or domain")]
    Shape,
    /// Longer than 254 characters.
    #[error("the email address is too long")]
    TooLong,
}

/// Normalises then validates an address: Unicode NFKC first, trim, lower-case; exactly one
/// `@` (and none that NFKC produced from a look-alike); no quotes, commas, semicolons,
/// angle brackets or whitespace; a non-empty local part and a domain with a dot.
///
/// ```
/// use tessera::providers::email::normalize_email;
/// assert_eq!(normalize_email("  Bob@Example.COM ").unwrap(), "bob@example.com");
/// assert!(normalize_email("a@x.com,victim@y.com").is_err());
/// assert!(normalize_email("\"a@x.com\"@y.com").is_err());
/// assert!(normalize_email("victim@x.com\u{FF20}evil.com").is_err());
/// ```
pub fn normalize_email(input: &str) -> Result<String, InvalidEmail> {
    let nfkc: String = input.nfkc().collect();
    let trimmed = nfkc.trim();
    if trimmed.is_empty() {
        return Err(InvalidEmail::Empty);
    }
    // A look-alike (U+FF20, U+FE6B, …) that NFKC turned into '@' is refused outright.
    if input.matches('@').count() != trimmed.matches('@').count() {
        return Err(InvalidEmail::At);
    }
    // Lower-casing can undo NFKC (`Ω\u{301}\u{345}` lower-cases to `ώ\u{345}`, which NFKC
    // composes to `ῴ`) and lengthen the address (`İ` is `i` and a combining dot): NFKC
    // again, and measure the result, so that the output passes again unchanged.
    let lower: String = trimmed.to_lowercase().nfkc().collect();
    if lower.len() > 254 {
        return Err(InvalidEmail::TooLong);
    }
    if lower
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "\"',;<>()[]\\`".contains(c))
    {
        return Err(InvalidEmail::Character);
    }
    let mut parts = lower.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(InvalidEmail::At);
    };
    if local.is_empty()
        || domain.len() < 3
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
    {
        return Err(InvalidEmail::Shape);
    }
    Ok(lower)
}

/// Sending the link failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sending the sign-in email failed: {0}")]
pub struct MailerError(pub String);

/// Whether the email provider mails a one-time code, set with [`EmailProvider::code`].
///
/// The code is six digits, drawn uniformly from the operating system's random generator.
/// It is entered on the built-in verify-request page, or posted with the address to
/// `POST {base}/callback/{id}` (`email`, `code`, `csrfToken`). It is single use, valid for
/// [`EmailProvider::code_max_age`] (default 10 minutes), and burned after
/// [`EmailProvider::code_tries`] wrong codes for the address (default 5). With
/// [`WithLink`](Self::WithLink), using the link or the code burns the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CodeMode {
    /// A magic link only (the default, as next-auth).
    #[default]
    Off,
    /// A magic link and a code, in one mail: either signs in, once.
    WithLink,
    /// A code only, no link: for mail scanners that open links, or signing in on another
    /// device than the one reading the mail.
    Only,
}

impl CodeMode {
    /// Whether a code is mailed.
    pub fn sends_code(self) -> bool {
        self != CodeMode::Off
    }

    /// Whether a link is mailed.
    pub fn sends_link(self) -> bool {
        self != CodeMode::Only
    }
}

/// What a mail is for: the subject, text and button of [`VerificationRequest`]'s bodies.
/// The email provider sends [`SignIn`](Self::SignIn) links; the
/// [`password` provider](crate::providers::PasswordProvider) sends the others through the
/// same mailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MailPurpose {
    /// A magic sign-in link.
    SignIn,
    /// The link that verifies the address of a new password account.
    VerifyEmail,
    /// A password-reset link (valid one hour).
    ResetPassword,
    /// Someone tried to sign up with this address, which has an account already: the
    /// link leads to the forgotten-password page.
    AccountExists,
    /// Someone asked for a password reset for this address, which no account uses: the
    /// link leads to the sign-up page.
    NoAccount,
    /// A one-time sign-in code without a link ([`CodeMode::Only`]): the mail shows
    /// [`VerificationRequest::code`], and `url` is the page where it is entered.
    SignInCode,
}

/// The email to send. `Debug` does not show `url`: it may be a live sign-in or reset link.
#[non_exhaustive]
pub struct VerificationRequest<'a> {
    /// The normalised address.
    pub identifier: &'a str,
    /// The link (a magic link, a verification or reset link, or a page).
    pub url: &'a str,
    /// When the link stops working.
    pub expires: SystemTime,
    /// The site's host (`app.example.com`), for the subject and body.
    pub host: &'a str,
    /// The provider's id.
    pub provider_id: &'a str,
    /// The theme, for the HTML body's colours.
    pub theme: &'a Theme,
    /// What the mail is for.
    pub purpose: MailPurpose,
    /// The one-time sign-in code, when the email provider sends one ([`CodeMode`]): with
    /// the link ([`MailPurpose::SignIn`]) or alone ([`MailPurpose::SignInCode`]).
    pub code: Option<&'a str>,
}

impl fmt::Debug for VerificationRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerificationRequest")
            .field("identifier", &self.identifier)
            .field("url", &format_args!("{}", crate::secret::REDACTED))
            .field("expires", &self.expires)
            .field("host", &self.host)
            .field("provider_id", &self.provider_id)
            .field("theme", &self.theme)
            .field("purpose", &self.purpose)
            .field("code", &self.code.map(|_| crate::secret::REDACTED))
            .finish()
    }
}

/// The words of one kind of mail.
struct Wording {
    /// Subject and heading, before the host.
    heading: &'static str,
    /// Said before the link in the text body.
    lead: &'static str,
    button: &'static str,
    footer: &'static str,
}

impl MailPurpose {
    fn wording(self) -> Wording {
        match self {
            MailPurpose::SignIn => Wording {
                heading: "Sign in to",
                lead: "",
                button: "Sign in",
                footer: "If you did not request this email you can safely ignore it.",
            },
            MailPurpose::VerifyEmail => Wording {
                heading: "Verify your email address for",
                lead: "Open this link to verify the address of your new account:",
                button: "Verify email address",
                footer: "If you did not create an account you can safely ignore this email.",
            },
            MailPurpose::ResetPassword => Wording {
                heading: "Reset your password for",
                lead: "Open this link within one hour to choose a new password:",
                button: "Reset password",
                footer: "If you did not ask for this you can safely ignore it: your password stays as it is.",
            },
            MailPurpose::AccountExists => Wording {
                heading: "Your account at",
                lead: "Someone tried to create an account with this address, which already has one. \
                       If it was you, sign in, or reset your password here:",
                button: "Reset password",
                footer: "If it was not you, nothing has changed and you can safely ignore this email.",
            },
            MailPurpose::SignInCode => Wording {
                heading: "Sign in to",
                lead: "",
                button: "",
                footer: "If you did not request this email you can safely ignore it.",
            },
            MailPurpose::NoAccount => Wording {
                heading: "Password reset at",
                lead: "Someone asked to reset the password of the account with this address, but no \
                       account uses it. If it was you, you may have signed up with another address; \
                       or create an account here:",
                button: "Create an account",
                footer: "If it was not you, you can safely ignore this email.",
            },
        }
    }
}

impl VerificationRequest<'_> {
    /// `Sign in to <host>` (or the heading of the mail's [purpose](MailPurpose)).
    pub fn subject(&self) -> String {
        format!("{} {}", self.purpose.wording().heading, self.host)
    }

    /// The plain-text body: the code first when there is one, then the link (unless the
    /// mail is a [`SignInCode`](MailPurpose::SignInCode) only).
    pub fn text_body(&self) -> String {
        let w = self.purpose.wording();
        let mut body = format!("{} {}\n", w.heading, self.host);
        if let Some(code) = self.code {
            body.push_str(&format!("Your sign-in code: {code}\n"));
        }
        if self.purpose != MailPurpose::SignInCode {
            let lead = match (w.lead, self.code) {
                ("", Some(_)) => "Or open this link:",
                (lead, _) => lead,
            };
            if !lead.is_empty() {
                body.push_str(lead);
                body.push('\n');
            }
            body.push_str(self.url);
            body.push('\n');
        }
        body.push_str(&format!("\n{}\n", w.footer));
        body
    }

    /// The HTML body: the host, the code when there is one, and a button (unless the mail
    /// is a [`SignInCode`](MailPurpose::SignInCode) only), everything escaped.
    pub fn html_body(&self) -> String {
        const CELL: &str = "font-family:Helvetica,Arial,sans-serif;color:#444444";
        let w = self.purpose.wording();
        let brand = self.theme.brand_color.as_deref().unwrap_or("#346df1");
        let button_text = self.theme.button_text.as_deref().unwrap_or("#ffffff");
        // A zero-width space before each dot stops mail clients from turning the host into a link.
        let host = escape_html(self.host).replace('.', "&#8203;.");
        let url = escape_html(self.url);
        let (heading, button, footer) = (w.heading, w.button, w.footer);
        let lead = if w.lead.is_empty() {
            String::new()
        } else {
            format!(
                "\n<tr><td align=\"center\" style=\"padding:0 10px;font-size:16px;line-height:22px;{CELL}\">{}</td></tr>",
                escape_html(w.lead)
            )
        };
        let code = self.code.map_or(String::new(), |code| {
            format!(
                "\n<tr><td align=\"center\" style=\"padding:0 10px;font-size:16px;{CELL}\">Your sign-in code</td></tr>\n<tr><td align=\"center\" style=\"padding:0 0 10px 0;font-size:32px;letter-spacing:6px;font-weight:bold;font-family:Menlo,Consolas,monospace;color:{brand}\">{}</td></tr>",
                escape_html(code)
            )
        });
        let button = if self.purpose == MailPurpose::SignInCode {
            String::new()
        } else {
            format!(
                r#"
<tr><td align="center" style="padding:20px 0"><table border="0" cellspacing="0" cellpadding="0"><tr>
<td align="center" style="border-radius:5px" bgcolor="{brand}"><a href="{url}" target="_blank" style="font-size:18px;font-family:Helvetica,Arial,sans-serif;color:{button_text};text-decoration:none;border-radius:5px;padding:10px 20px;border:1px solid {brand};display:inline-block;font-weight:bold">{button}</a></td>
</tr></table></td></tr>"#
            )
        };
        format!(
            r#"<body style="background:#f9f9f9;margin:0;padding:24px 0">
<table width="100%" border="0" cellspacing="20" cellpadding="0" style="background:#ffffff;max-width:600px;margin:auto;border-radius:10px">
<tr><td align="center" style="padding:10px 0;font-size:22px;{CELL}">{heading} <strong>{host}</strong></td></tr>{lead}{code}{button}
<tr><td align="center" style="padding:0 0 10px 0;font-size:16px;line-height:22px;{CELL}">{footer}</td></tr>
</table></body>"#
        )
    }
}

/// Delivers sign-in emails. Implemented by `tessera-smtp`'s `SmtpMailer` and by [`DevMailer`].
#[async_trait::async_trait]
pub trait Mailer: Send + Sync + 'static {
    /// Sends the link. An error makes the sign-in fail with `EmailSignin`, and the stored
    /// token is deleted.
    async fn send(&self, request: VerificationRequest<'_>) -> Result<(), MailerError>;
}

/// Prints the link on standard error instead of mailing it (for development).
#[derive(Debug, Clone, Copy, Default)]
pub struct DevMailer;

#[async_trait::async_trait]
impl Mailer for DevMailer {
    async fn send(&self, request: VerificationRequest<'_>) -> Result<(), MailerError> {
        // Scripts find magic links by "sign-in link for <address>: <url>"; the password
        // provider's mails say what they are instead.
        let what = match request.purpose {
            MailPurpose::SignIn => "sign-in link",
            MailPurpose::VerifyEmail => "verification link",
            MailPurpose::ResetPassword => "password reset link",
            MailPurpose::AccountExists => "account-exists notice",
            MailPurpose::NoAccount => "no-account notice",
            MailPurpose::SignInCode => "sign-in code page",
        };
        if let Some(code) = request.code {
            eprintln!("tessera dev mailer: sign-in code for {}: {code}", request.identifier);
        }
        if request.purpose != MailPurpose::SignInCode {
            eprintln!("tessera dev mailer: {what} for {}: {}", request.identifier, request.url);
        }
        Ok(())
    }
}

/// An email provider.
///
/// ```
/// use tessera::providers::email::{DevMailer, EmailProvider};
/// use std::time::Duration;
///
/// let provider = EmailProvider::new(DevMailer).max_age(Duration::from_secs(60 * 60));
/// assert_eq!(provider.id, "email");
/// ```
#[derive(Clone)]
pub struct EmailProvider {
    /// Provider id (default `email`).
    pub id: String,
    /// Display name (default `Email`).
    pub name: String,
    /// Seconds a link stays valid (default 24 hours); set with [`EmailProvider::max_age`].
    /// `-1` for a lifetime with a fraction of a second, refused by `build()`.
    pub(crate) max_age: i64,
    /// Whether a one-time code is mailed (default [`CodeMode::Off`]).
    pub(crate) code_mode: CodeMode,
    /// Seconds a code stays valid, when set (see [`Self::code_lifetime`]).
    pub(crate) code_max_age: Option<i64>,
    /// Wrong codes allowed for one address before its codes are burned (default 5).
    pub(crate) code_tries: u32,
    /// Who sends the link.
    pub mailer: Arc<dyn Mailer>,
}

impl fmt::Debug for EmailProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailProvider")
            .field("id", &self.id)
            .field("max_age", &self.max_age)
            .field("code_mode", &self.code_mode)
            .field("code_max_age", &self.code_max_age)
            .field("code_tries", &self.code_tries)
            .finish_non_exhaustive()
    }
}

impl EmailProvider {
    /// A provider with id `email` sending through `mailer`.
    pub fn new(mailer: impl Mailer) -> Self {
        EmailProvider {
            id: "email".into(),
            name: "Email".into(),
            max_age: 24 * 60 * 60,
            code_mode: CodeMode::Off,
            code_max_age: None,
            code_tries: 5,
            mailer: Arc::new(mailer),
        }
    }

    /// Sets the id.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// Sets the display name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets how long links stay valid (default 24 hours), in whole seconds: at most 10
    /// years, and zero for links that expire at once. `build()` refuses other values with
    /// [`ConfigError`](crate::ConfigError)`::InvalidDuration` or `DurationTooLong`.
    pub fn max_age(mut self, max_age: std::time::Duration) -> Self {
        self.max_age = crate::session::seconds(max_age);
        self
    }

    /// Mails a one-time code with the link, or instead of it (default [`CodeMode::Off`]:
    /// the link only, as next-auth).
    ///
    /// ```
    /// use tessera::providers::email::{CodeMode, DevMailer, EmailProvider};
    /// use std::time::Duration;
    ///
    /// let provider = EmailProvider::new(DevMailer)
    ///     .code(CodeMode::WithLink)
    ///     .code_max_age(Duration::from_secs(5 * 60))
    ///     .code_tries(3);
    /// assert_eq!(provider.code_mode(), CodeMode::WithLink);
    /// ```
    pub fn code(mut self, mode: CodeMode) -> Self {
        self.code_mode = mode;
        self
    }

    /// Whether a one-time code is mailed.
    pub fn code_mode(&self) -> CodeMode {
        self.code_mode
    }

    /// Sets how long codes stay valid (default 10 minutes, or the link's
    /// [`max_age`](Self::max_age) when that is shorter), in whole seconds: at most the
    /// link's, and zero for codes that expire at once. `build()` refuses other values.
    pub fn code_max_age(mut self, max_age: std::time::Duration) -> Self {
        self.code_max_age = Some(crate::session::seconds(max_age));
        self
    }

    /// Seconds a code stays valid: as set, or 10 minutes, or the link's lifetime when
    /// that is shorter.
    pub(crate) fn code_lifetime(&self) -> i64 {
        self.code_max_age.unwrap_or(self.max_age.min(10 * 60))
    }

    /// Sets how many wrong codes one address may get before its codes are burned (default
    /// 5, from 1 to 20): the codes issued in the same period (of
    /// [`code_max_age`](Self::code_max_age)) then fail, the right one included, until they
    /// expire. `build()` refuses other values.
    pub fn code_tries(mut self, tries: u32) -> Self {
        self.code_tries = tries;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_cases_are_rejected() {
        use InvalidEmail::{At, Character, Empty, Shape};
        for (bad, why) in [
            ("a@x.com,victim@y.com", Character),
            ("a@x.com;victim@y.com", Character),
            ("\"a@x.com\"@y.com", Character),
            ("victim@x.com\u{FF20}evil.com", At),
            ("victim@x.com\u{FE6B}evil.com", At),
            ("user\u{FF20}example.com", At),
            ("<b>a</b>@x.com", Character),
            ("a b@x.com", Character),
            ("a@x", Shape),
            ("@x.com", Shape),
            ("a@", Shape),
            ("a@@x.com", At),
            ("a@x..com", Shape),
            ("a@.x.com", Shape),
            ("", Empty),
            ("   ", Empty),
            ("a\n@x.com", Character),
        ] {
            assert_eq!(normalize_email(bad), Err(why), "{bad:?} must be refused");
        }
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize_email("  Bob@Example.COM ").unwrap(), "bob@example.com");
        // NFKC: full-width letters become ASCII before validation.
        assert_eq!(normalize_email("\u{FF22}ob@example.com").unwrap(), "bob@example.com");
        assert_eq!(
            normalize_email("a+tag@sub.example.co.uk").unwrap(),
            "a+tag@sub.example.co.uk"
        );
    }

    #[test]
    fn bodies_escape_and_name_the_host() {
        let theme = Theme::default();
        let r = VerificationRequest {
            identifier: "a@b.c",
            url: "http://h/cb?a=1&b=\"<x>",
            expires: SystemTime::now(),
            host: "app.example.com",
            provider_id: "email",
            theme: &theme,
            purpose: MailPurpose::SignIn,
            code: None,
        };
        assert_eq!(r.subject(), "Sign in to app.example.com");
        assert!(r.text_body().contains("http://h/cb?a=1&b=\"<x>"));
        let html = r.html_body();
        assert!(html.contains("http://h/cb?a=1&amp;b=&quot;&lt;x&gt;"));
        assert!(!html.contains("<x>"));
        assert!(html.contains("app&#8203;.example&#8203;.com"));
    }

    #[test]
    fn code_mails_show_the_code_and_hide_it_from_debug() {
        let theme = Theme::default();
        let with_link = VerificationRequest {
            identifier: "a@b.c",
            url: "http://h/cb?token=t",
            expires: SystemTime::now(),
            host: "app.example.com",
            provider_id: "email",
            theme: &theme,
            purpose: MailPurpose::SignIn,
            code: Some("042917"),
        };
        assert_eq!(
            with_link.text_body(),
            "Sign in to app.example.com\nYour sign-in code: 042917\nOr open this link:\nhttp://h/cb?token=t\n\n\
             If you did not request this email you can safely ignore it.\n"
        );
        assert!(with_link.html_body().contains(">042917</td>"));
        assert!(with_link.html_body().contains(r#"href="http://h/cb?token=t""#));
        let debug = format!("{with_link:?}");
        assert!(!debug.contains("042917") && !debug.contains("token=t"), "{debug}");

        let only = VerificationRequest {
            purpose: MailPurpose::SignInCode,
            url: "http://h/verify-request",
            ..with_link
        };
        assert_eq!(only.subject(), "Sign in to app.example.com");
        assert!(!only.text_body().contains("http://h"), "{}", only.text_body());
        assert!(!only.html_body().contains("href"), "{}", only.html_body());
        assert!(only.html_body().contains(">042917</td>"));
    }
}
