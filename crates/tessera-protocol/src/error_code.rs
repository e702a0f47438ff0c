use std::fmt;
use std::str::FromStr;

/// The `?error=` codes of NextAuth v4 (spec §8.1), and those Auth.js v5 adds where Tessera
/// speaks them ([`ErrorCode::MissingCSRF`], [`ErrorCode::OAuthCallbackError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Server misconfiguration.
    Configuration,
    /// The `sign_in` callback refused.
    AccessDenied,
    /// Email token invalid, expired, used or for another address.
    Verification,
    /// Legacy generic sign-in error.
    Signin,
    /// Building the authorization URL failed.
    OAuthSignin,
    /// Check cookies, state, token or userinfo failure.
    OAuthCallback,
    /// Creating the user failed during OAuth.
    OAuthCreateAccount,
    /// Creating the user failed during email sign-in.
    EmailCreateAccount,
    /// IdP returned an error, or another callback failure.
    Callback,
    /// The account is linked elsewhere or the email belongs to another user.
    OAuthAccountNotLinked,
    /// Email missing or invalid, or sending failed.
    EmailSignin,
    /// `authorize` refused the credentials.
    CredentialsSignin,
    /// The page requires a session.
    SessionRequired,
    /// Auth.js v5: the CSRF token of a sign-in or sign-out was missing or wrong
    /// (`<base>/signin?error=MissingCSRF`; next-auth 4 sends `?csrf=true` instead).
    MissingCSRF,
    /// Auth.js v5's name for [`ErrorCode::OAuthCallback`]: the identity provider's answer
    /// was an error or failed its checks.
    OAuthCallbackError,
}

impl ErrorCode {
    /// Every code.
    pub const ALL: [ErrorCode; 15] = [
        ErrorCode::Configuration,
        ErrorCode::AccessDenied,
        ErrorCode::Verification,
        ErrorCode::Signin,
        ErrorCode::OAuthSignin,
        ErrorCode::OAuthCallback,
        ErrorCode::OAuthCreateAccount,
        ErrorCode::EmailCreateAccount,
        ErrorCode::Callback,
        ErrorCode::OAuthAccountNotLinked,
        ErrorCode::EmailSignin,
        ErrorCode::CredentialsSignin,
        ErrorCode::SessionRequired,
        ErrorCode::MissingCSRF,
        ErrorCode::OAuthCallbackError,
    ];

    /// The wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Configuration => "Configuration",
            ErrorCode::AccessDenied => "AccessDenied",
            ErrorCode::Verification => "Verification",
            ErrorCode::Signin => "Signin",
            ErrorCode::OAuthSignin => "OAuthSignin",
            ErrorCode::OAuthCallback => "OAuthCallback",
            ErrorCode::OAuthCreateAccount => "OAuthCreateAccount",
            ErrorCode::EmailCreateAccount => "EmailCreateAccount",
            ErrorCode::Callback => "Callback",
            ErrorCode::OAuthAccountNotLinked => "OAuthAccountNotLinked",
            ErrorCode::EmailSignin => "EmailSignin",
            ErrorCode::CredentialsSignin => "CredentialsSignin",
            ErrorCode::SessionRequired => "SessionRequired",
            ErrorCode::MissingCSRF => "MissingCSRF",
            ErrorCode::OAuthCallbackError => "OAuthCallbackError",
        }
    }

    /// Whether `GET /error?error=<code>` bounces to the sign-in page (spec §2.11).
    pub const fn shown_on_signin_page(self) -> bool {
        !matches!(
            self,
            ErrorCode::Configuration | ErrorCode::AccessDenied | ErrorCode::Verification
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The string was not one of the known codes (it is then a free-form message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownErrorCode;

impl fmt::Display for UnknownErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown error code")
    }
}

impl std::error::Error for UnknownErrorCode {}

impl FromStr for ErrorCode {
    type Err = UnknownErrorCode;
    /// Exact, case-sensitive match, as the server's error route does.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorCode::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(UnknownErrorCode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_is_exact() {
        for c in ErrorCode::ALL {
            assert_eq!(c.as_str().parse::<ErrorCode>(), Ok(c));
        }
        assert_eq!("verification".parse::<ErrorCode>(), Err(UnknownErrorCode));
        assert_eq!(ErrorCode::ALL.iter().filter(|c| c.shown_on_signin_page()).count(), 12);
    }
}
