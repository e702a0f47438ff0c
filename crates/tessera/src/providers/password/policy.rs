//! What a new password must be (OWASP's Authentication Cheat Sheet, NIST SP 800-63B §5.1.1):
//! at least [`MIN_PASSWORD_CHARS`] characters, at most [`MAX_PASSWORD_CHARS`], not one of
//! the common passwords ([`is_common_password`]) and not the account's own address. No
//! composition rules (digits, symbols): they make passwords no stronger and users no
//! happier. Passwords are compared and hashed after Unicode NFKC, so the same password typed
//! on two keyboards is the same password.

use std::collections::HashSet;
use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;

/// The shortest new password accepted, in characters (Unicode scalar values, after NFKC).
pub const MIN_PASSWORD_CHARS: usize = 8;

/// The longest password accepted, in characters (after NFKC): long enough for any
/// passphrase or password manager, short enough that nobody makes the server hash a
/// megabyte. Longer input is refused before any hashing, at sign-in too.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// The bytes a password of [`MAX_PASSWORD_CHARS`] characters can take in UTF-8 before
/// normalisation may still shorten it: input longer than this is refused without looking
/// further (NFKC of the rest is not computed).
const MAX_INPUT_BYTES: usize = MAX_PASSWORD_CHARS * 4 * 4;

/// Why a new password is refused. [`code`](Self::code) is what the `?error=` of the
/// answer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordPolicyError {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    /// More than [`MAX_PASSWORD_CHARS`] characters.
    #[error("the password must have at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
    /// One of the common passwords ([`is_common_password`]).
    #[error("this password is too common: choose another")]
    Common,
    /// The account's email address, or the part of it before the `@`.
    #[error("the password must not be the email address")]
    SameAsEmail,
}

impl PasswordPolicyError {
    /// The error code in answers (`?error=PasswordTooShort`, …).
    ///
    /// ```
    /// use tessera::providers::password::PasswordPolicyError;
    /// assert_eq!(PasswordPolicyError::Common.code(), "PasswordCommon");
    /// ```
    pub const fn code(self) -> &'static str {
        match self {
            PasswordPolicyError::TooShort => "PasswordTooShort",
            PasswordPolicyError::TooLong => "PasswordTooLong",
            PasswordPolicyError::Common => "PasswordCommon",
            PasswordPolicyError::SameAsEmail => "PasswordSameAsEmail",
        }
    }
}

/// A password as it is hashed: NFKC of the input, when it is at most
/// [`MAX_PASSWORD_CHARS`] characters long; `Err(TooLong)` otherwise, without normalising
/// input that is far too long.
pub(crate) fn normalized(password: &str) -> Result<String, PasswordPolicyError> {
    if password.len() > MAX_INPUT_BYTES {
        return Err(PasswordPolicyError::TooLong);
    }
    let nfkc: String = password.nfkc().collect();
    if nfkc.chars().count() > MAX_PASSWORD_CHARS {
        return Err(PasswordPolicyError::TooLong);
    }
    Ok(nfkc)
}

/// Checks a new password for the account of `email` (normalised, when known) and returns
/// it as it is hashed (NFKC).
///
/// ```
/// use tessera::providers::password::{PasswordPolicyError, check_new_password};
/// assert!(check_new_password("violet-anvil-sings", Some("ada@example.com")).is_ok());
/// assert_eq!(check_new_password("short", None), Err(PasswordPolicyError::TooShort));
/// assert_eq!(check_new_password(&"x".repeat(129), None), Err(PasswordPolicyError::TooLong));
/// assert_eq!(check_new_password("Password123", None), Err(PasswordPolicyError::Common));
/// assert_eq!(check_new_password("ada@example.com", Some("ada@example.com")), Err(PasswordPolicyError::SameAsEmail));
/// ```
pub fn check_new_password(password: &str, email: Option<&str>) -> Result<String, PasswordPolicyError> {
    let nfkc = normalized(password)?;
    if nfkc.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordPolicyError::TooShort);
    }
    if is_common_password(&nfkc) {
        return Err(PasswordPolicyError::Common);
    }
    if let Some(email) = email {
        let lower = nfkc.to_lowercase();
        let local = email.split('@').next().unwrap_or(email);
        if lower == email || lower == local {
            return Err(PasswordPolicyError::SameAsEmail);
        }
    }
    Ok(nfkc)
}

/// The common passwords of 8 to 128 characters (17,950 of them, lower-case, one a line,
/// sorted): every such entry of the `passwords` list of the npm package
/// `@zxcvbn-ts/language-common` 4.1.3 (49,233 entries ranked by frequency in leaked
/// password corpora; MIT, see `common-passwords.LICENSE`), 168 KB embedded. Shorter ones
/// are refused by the length rule anyway.
const COMMON_PASSWORDS: &str = include_str!("common-passwords.txt");

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| COMMON_PASSWORDS.lines().collect());

/// Whether `password` (compared in lower case) is one of the 17,950 common passwords of 8
/// or more characters of `@zxcvbn-ts/language-common` 4.1.3.
///
/// ```
/// use tessera::providers::password::is_common_password;
/// assert!(is_common_password("iloveyou"));
/// assert!(is_common_password("Qwertyuiop"));
/// assert!(!is_common_password("violet-anvil-sings"));
/// ```
pub fn is_common_password(password: &str) -> bool {
    COMMON.contains(password.to_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_what_its_documentation_says() {
        assert_eq!(COMMON.len(), 17_950);
        assert!(
            COMMON
                .iter()
                .all(|p| (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&p.chars().count()))
        );
        assert!(COMMON.iter().all(|p| *p == p.to_lowercase()));
        for p in ["password", "12345678", "trustno1", "1qaz2wsx", "sunshine"] {
            assert!(is_common_password(p), "{p}");
        }
    }

    #[test]
    fn lengths_are_counted_in_characters_after_nfkc() {
        // Eight characters, sixteen bytes.
        assert!(check_new_password("äöüßéèêë", None).is_ok());
        assert_eq!(check_new_password("äöüßéèê", None), Err(PasswordPolicyError::TooShort));
        assert!(check_new_password(&"é".repeat(128), None).is_ok());
        assert_eq!(
            check_new_password(&"é".repeat(129), None),
            Err(PasswordPolicyError::TooLong)
        );
        // Full-width letters are their ASCII selves: "ｐａｓｓｗｏｒｄ" is "password".
        assert_eq!(
            check_new_password("\u{FF50}\u{FF41}\u{FF53}\u{FF53}\u{FF57}\u{FF4F}\u{FF52}\u{FF44}", None),
            Err(PasswordPolicyError::Common)
        );
        // A megabyte is refused without normalising it.
        assert_eq!(normalized(&"a".repeat(1 << 20)), Err(PasswordPolicyError::TooLong));
    }

    #[test]
    fn the_address_is_not_a_password() {
        let email = Some("grace.hopper@example.com");
        assert_eq!(
            check_new_password("Grace.Hopper", email),
            Err(PasswordPolicyError::SameAsEmail)
        );
        assert!(check_new_password("grace.hopper-cobol-1959", email).is_ok());
    }
}
