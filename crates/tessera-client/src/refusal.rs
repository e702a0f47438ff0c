//! [`Refusal`]: why a server refused a password-account or two-factor set-up request (the
//! `error` code of its answer), as [`ClientError::Refused`](crate::ClientError::Refused)
//! carries it.

use std::fmt;

/// Why the server refused a password-account or two-factor set-up request: the `error`
/// code of its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// `InvalidEmail`: the address is not a valid one.
    InvalidEmail,
    /// `InvalidName`: the display name is too long (over 100 characters).
    InvalidName,
    /// `PasswordTooShort`: fewer than 8 characters.
    PasswordTooShort,
    /// `PasswordTooLong`: more than 128 characters.
    PasswordTooLong,
    /// `PasswordCommon`: one of the common passwords.
    PasswordCommon,
    /// `PasswordSameAsEmail`: the address, or its local part.
    PasswordSameAsEmail,
    /// `InvalidToken`: the reset link was used, has expired or is for another address.
    InvalidToken,
    /// `WrongPassword`: the current password of a change is not the user's.
    WrongPassword,
    /// `SessionRequired`: a change needs a signed-in client.
    SessionRequired,
    /// `TooManyRequests`: rate limited (HTTP 429); try again later.
    TooManyRequests,
    /// `MissingCSRF`: the CSRF token was missing or wrong.
    MissingCsrf,
    /// `EmailSignin`: the server could not send the mail.
    EmailSignin,
    /// `ServiceUnavailable`: the server's store failed (HTTP 503).
    ServiceUnavailable,
    /// `WrongCode`: a two-factor code (or the password, to turn it off) is not correct,
    /// or was used already.
    WrongCode,
    /// `SetupExpired`: no two-factor set-up was started by this client, or it expired.
    SetupExpired,
    /// `AlreadyEnabled`: two-factor sign-in is on already.
    AlreadyEnabled,
    /// `NotEnabled`: two-factor sign-in is not on.
    NotEnabled,
    /// Any other code.
    Other(String),
}

impl Refusal {
    /// The refusal of a wire code.
    ///
    /// ```
    /// use tessera_client::Refusal;
    /// assert_eq!(Refusal::from_code("PasswordCommon"), Refusal::PasswordCommon);
    /// assert_eq!(Refusal::from_code("MissingCSRF").code(), "MissingCSRF");
    /// assert_eq!(Refusal::from_code("Nope"), Refusal::Other("Nope".into()));
    /// ```
    pub fn from_code(code: &str) -> Refusal {
        match code {
            "InvalidEmail" => Refusal::InvalidEmail,
            "InvalidName" => Refusal::InvalidName,
            "PasswordTooShort" => Refusal::PasswordTooShort,
            "PasswordTooLong" => Refusal::PasswordTooLong,
            "PasswordCommon" => Refusal::PasswordCommon,
            "PasswordSameAsEmail" => Refusal::PasswordSameAsEmail,
            "InvalidToken" => Refusal::InvalidToken,
            "WrongPassword" => Refusal::WrongPassword,
            "SessionRequired" => Refusal::SessionRequired,
            "TooManyRequests" => Refusal::TooManyRequests,
            "MissingCSRF" => Refusal::MissingCsrf,
            "EmailSignin" => Refusal::EmailSignin,
            "ServiceUnavailable" => Refusal::ServiceUnavailable,
            "WrongCode" => Refusal::WrongCode,
            "SetupExpired" => Refusal::SetupExpired,
            "AlreadyEnabled" => Refusal::AlreadyEnabled,
            "NotEnabled" => Refusal::NotEnabled,
            other => Refusal::Other(other.to_owned()),
        }
    }

    /// The wire code (`PasswordCommon`, `MissingCSRF`, …).
    pub fn code(&self) -> &str {
        match self {
            Refusal::InvalidEmail => "InvalidEmail",
            Refusal::InvalidName => "InvalidName",
            Refusal::PasswordTooShort => "PasswordTooShort",
            Refusal::PasswordTooLong => "PasswordTooLong",
            Refusal::PasswordCommon => "PasswordCommon",
            Refusal::PasswordSameAsEmail => "PasswordSameAsEmail",
            Refusal::InvalidToken => "InvalidToken",
            Refusal::WrongPassword => "WrongPassword",
            Refusal::SessionRequired => "SessionRequired",
            Refusal::TooManyRequests => "TooManyRequests",
            Refusal::MissingCsrf => "MissingCSRF",
            Refusal::EmailSignin => "EmailSignin",
            Refusal::ServiceUnavailable => "ServiceUnavailable",
            Refusal::WrongCode => "WrongCode",
            Refusal::SetupExpired => "SetupExpired",
            Refusal::AlreadyEnabled => "AlreadyEnabled",
            Refusal::NotEnabled => "NotEnabled",
            Refusal::Other(code) => code,
        }
    }

    /// Whether the new password failed the server's policy (too short, too long, common,
    /// the address): ask the user for another one.
    pub fn is_policy(&self) -> bool {
        matches!(
            self,
            Refusal::PasswordTooShort
                | Refusal::PasswordTooLong
                | Refusal::PasswordCommon
                | Refusal::PasswordSameAsEmail
        )
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        let all = [
            Refusal::InvalidEmail,
            Refusal::InvalidName,
            Refusal::PasswordTooShort,
            Refusal::PasswordTooLong,
            Refusal::PasswordCommon,
            Refusal::PasswordSameAsEmail,
            Refusal::InvalidToken,
            Refusal::WrongPassword,
            Refusal::SessionRequired,
            Refusal::TooManyRequests,
            Refusal::MissingCsrf,
            Refusal::EmailSignin,
            Refusal::ServiceUnavailable,
            Refusal::WrongCode,
            Refusal::SetupExpired,
            Refusal::AlreadyEnabled,
            Refusal::NotEnabled,
            Refusal::Other("Something".into()),
        ];
        for refusal in all {
            assert_eq!(Refusal::from_code(refusal.code()), refusal);
            assert_eq!(refusal.to_string(), refusal.code());
        }
        assert!(Refusal::PasswordSameAsEmail.is_policy());
        assert!(!Refusal::WrongPassword.is_policy());
    }
}
