//! Password accounts, for a server with Tessera's `password` provider:
//! [`Client::sign_up`], [`Client::request_password_reset`], [`Client::reset_password`],
//! [`Client::change_password`], and the two inputs they take ([`SignUp`],
//! [`PasswordReset`]).
//! Signing in with a password is [`Client::sign_in`]`("password", …)` with the fields
//! `email` and `password`, as `next-auth/react`'s `signIn("password", {email, password})`.
//!
//! Each call is `GET <base>/csrf`, then one POST of a form with the call's fields and
//! `csrfToken`, in the client's protocol: `json=true` last (next-auth 4), or
//! `X-Auth-Return-Redirect: 1` (next-auth 5, [`Compat::AuthJsV5`]). The server answers
//! `{"url": …}`; a refusal carries `?error=<code>` on that URL (with a 4xx status in
//! next-auth 4 mode, 200 in next-auth 5 mode, 429 in both when rate limited), which
//! these calls return as [`ClientError::Refused`] with the code as a [`Refusal`].

use std::fmt;

use tessera_protocol::{Compat, RedirectResponse};

use crate::client::{Client, read_url};
use crate::error::{ClientError, truncate_body};
use crate::platform::query_param;
use crate::refusal::Refusal;

/// A new account for [`Client::sign_up`]: an address, a password and an optional display
/// name. Its `Debug` does not show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SignUp {
    email: String,
    password: String,
    name: Option<String>,
}

impl fmt::Debug for SignUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignUp")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("name", &self.name)
            .finish()
    }
}

impl SignUp {
    /// An account for `email` with `password`, without a name.
    pub fn new(email: impl Into<String>, password: impl Into<String>) -> SignUp {
        SignUp {
            email: email.into(),
            password: password.into(),
            name: None,
        }
    }

    /// The display name (at most 100 characters).
    pub fn name(mut self, name: impl Into<String>) -> SignUp {
        self.name = Some(name.into());
        self
    }
}

/// What a mailed reset link carries: the token and the address it was sent to. Its
/// `Debug` does not show the token.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordReset {
    token: String,
    email: String,
}

impl fmt::Debug for PasswordReset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordReset")
            .field("token", &"<redacted>")
            .field("email", &self.email)
            .finish()
    }
}

impl PasswordReset {
    /// A reset of `email`'s password with `token`.
    pub fn new(token: impl Into<String>, email: impl Into<String>) -> PasswordReset {
        PasswordReset {
            token: token.into(),
            email: email.into(),
        }
    }

    /// The token and address of a mailed link (`<base>/password/reset?token=…&email=…`).
    ///
    /// ```
    /// use tessera_client::PasswordReset;
    /// let link = "http://localhost:3000/api/auth/password/reset?token=abc&email=ada%40example.com";
    /// let reset = PasswordReset::from_link(link).unwrap();
    /// assert_eq!(reset.email(), "ada@example.com");
    /// assert!(PasswordReset::from_link("http://localhost:3000/api/auth/password/reset").is_err());
    /// ```
    pub fn from_link(link: &str) -> Result<PasswordReset, ClientError> {
        let get = |name: &str| -> Result<String, ClientError> {
            query_param(link, name)?
                .filter(|v| !v.is_empty())
                .ok_or_else(|| ClientError::invalid_url(link, format!("a reset link has a `{name}` parameter")))
        };
        Ok(PasswordReset {
            token: get("token")?,
            email: get("email")?,
        })
    }

    /// The address the link was mailed to.
    pub fn email(&self) -> &str {
        &self.email
    }
}

impl Client {
    /// Creates a password account: `POST <base>/signup/<provider>` with `email`,
    /// `password`, `name` (when set). Returns the "check your email" page
    /// (`<base>/verify-request?provider=<provider>&type=signup`); the server mails a
    /// verification link, and (by default) sign-in waits until it is opened.
    ///
    /// The answer is the same for a new address and a taken one (the owner of a taken
    /// one gets a mail instead): it never tells whether an account exists. Refusals:
    /// [`Refusal::InvalidEmail`], [`Refusal::InvalidName`], the policy's
    /// ([`Refusal::is_policy`]), [`Refusal::TooManyRequests`].
    ///
    /// ```no_run
    /// use tessera_client::{Client, ClientError, Refusal, SignInOptions, SignUp};
    ///
    /// # async fn demo() -> Result<(), ClientError> {
    /// let client = Client::new("http://localhost:3000")?;
    /// match client.sign_up("password", SignUp::new("ada@example.com", "password1")).await {
    ///     Err(ClientError::Refused { reason, .. }) if reason.is_policy() => println!("choose another: {reason}"),
    ///     other => println!("check your email: {}", other?.url),
    /// }
    /// // Once the mailed link is opened:
    /// let options = SignInOptions::new()
    ///     .redirect(false)
    ///     .field("email", "ada@example.com")
    ///     .field("password", "violet-anvil-sings-42");
    /// client.sign_in("password", options, &[]).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn sign_up(&self, provider: &str, account: SignUp) -> Result<RedirectResponse, ClientError> {
        let id = crate::client::path_segment(provider);
        let mut fields = vec![
            ("email".to_owned(), account.email),
            ("password".to_owned(), account.password),
        ];
        if let Some(name) = account.name {
            fields.push(("name".to_owned(), name));
        }
        self.account_post(&format!("signup/{id}"), fields, false).await
    }

    /// Asks for a reset link: `POST <base>/password/forgot` with `email`. Returns the
    /// "check your email" page (`<base>/verify-request?provider=password&type=reset`),
    /// the same for every address (an unknown one is mailed a note that no account uses
    /// it). Refusals: [`Refusal::InvalidEmail`], [`Refusal::TooManyRequests`].
    ///
    /// ```no_run
    /// # async fn demo(client: tessera_client::Client) -> Result<(), tessera_client::ClientError> {
    /// let page = client.request_password_reset("ada@example.com").await?;
    /// println!("check your email: {}", page.url);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn request_password_reset(&self, email: &str) -> Result<RedirectResponse, ClientError> {
        let fields = vec![("email".to_owned(), email.to_owned())];
        self.account_post("password/forgot", fields, false).await
    }

    /// Sets a new password with a mailed reset link: `POST <base>/password/reset` with
    /// `token`, `email`, `password`, `callbackUrl` (the client's location). Every session
    /// of the user ends, this client's too (its cookie is cleared); it does not sign in.
    /// Returns the sign-in page (`<base>/signin?callbackUrl=…`). Refusals:
    /// [`Refusal::InvalidToken`] (used, expired, another address), the policy's (the link
    /// stays usable).
    ///
    /// ```no_run
    /// use tessera_client::{Client, PasswordReset};
    ///
    /// # async fn demo(client: Client, mailed_link: &str) -> Result<(), tessera_client::ClientError> {
    /// let reset = PasswordReset::from_link(mailed_link)?;
    /// let signin = client.reset_password(&reset, "a-new-long-password").await?;
    /// println!("now sign in: {}", signin.url);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn reset_password(
        &self,
        reset: &PasswordReset,
        new_password: &str,
    ) -> Result<RedirectResponse, ClientError> {
        let fields = vec![
            ("token".to_owned(), reset.token.clone()),
            ("email".to_owned(), reset.email.clone()),
            ("password".to_owned(), new_password.to_owned()),
        ];
        self.account_post("password/reset", fields, true).await
    }

    /// Changes the signed-in user's password: `POST <base>/password/change` with
    /// `currentPassword`, `newPassword`, `callbackUrl` (the client's location). The
    /// user's other sessions end; this one stays. Returns the callback URL. Refusals:
    /// [`Refusal::SessionRequired`], [`Refusal::WrongPassword`] (counted against the
    /// sign-in limits), the policy's, [`Refusal::TooManyRequests`].
    ///
    /// ```no_run
    /// use tessera_client::{ClientError, Refusal};
    ///
    /// # async fn demo(client: tessera_client::Client) -> Result<(), ClientError> {
    /// match client.change_password("the-old-password", "a-new-long-password").await {
    ///     Ok(_) => println!("changed; other sessions signed out"),
    ///     Err(ClientError::Refused { reason: Refusal::WrongPassword, .. }) => println!("wrong password"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn change_password(&self, current: &str, new_password: &str) -> Result<RedirectResponse, ClientError> {
        let fields = vec![
            ("currentPassword".to_owned(), current.to_owned()),
            ("newPassword".to_owned(), new_password.to_owned()),
        ];
        self.account_post("password/change", fields, true).await
    }

    /// `GET /csrf`, then the POST of `fields` to `<base>/<path>`, in the client's protocol,
    /// with `callbackUrl` when `with_callback`; the answer's URL, or the refusal in it.
    async fn account_post(
        &self,
        path: &str,
        mut fields: Vec<(String, String)>,
        with_callback: bool,
    ) -> Result<RedirectResponse, ClientError> {
        let url = self.url(path);
        fields.push(("csrfToken".to_owned(), self.get_csrf_token().await?));
        if with_callback {
            fields.push(("callbackUrl".to_owned(), self.current_location()));
        }
        if self.compat_mode() == Compat::NextAuthV4 {
            fields.push(("json".to_owned(), "true".to_owned()));
        }
        let response = self.send_form(&url, &fields).await?;
        let target = match read_url(&url, &response) {
            Ok(target) => target,
            // Not the protocol's JSON: a proxy's or an older server's error page.
            Err(_) if !response.ok() => {
                return Err(ClientError::Status {
                    url,
                    status: response.status,
                    body: truncate_body(&response.body, 1024),
                });
            }
            Err(e) => return Err(e),
        };
        let target = target.ok_or_else(|| ClientError::json(&url, "no `url` in the answer"))?;
        if let Some(code) = query_param(&target, "error")?.filter(|c| !c.is_empty()) {
            return Err(ClientError::Refused {
                url,
                status: response.status,
                reason: Refusal::from_code(&code),
            });
        }
        if !response.ok() {
            return Err(ClientError::Status {
                url,
                status: response.status,
                body: truncate_body(&response.body, 1024),
            });
        }
        Ok(RedirectResponse { url: target })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_passwords_and_tokens() {
        let sign_up = format!("{:?}", SignUp::new("ada@example.com", "hunter2-secret").name("Ada"));
        assert!(
            !sign_up.contains("hunter2-secret") && sign_up.contains("ada@example.com"),
            "{sign_up}"
        );
        let reset = format!("{:?}", PasswordReset::new("tok-secret-123", "ada@example.com"));
        assert!(
            !reset.contains("tok-secret-123") && reset.contains("ada@example.com"),
            "{reset}"
        );
    }

    #[test]
    fn a_reset_link_needs_its_token_and_address() {
        let ok = PasswordReset::from_link("http://h/api/auth/password/reset?token=t&email=a%40b.c").unwrap();
        assert_eq!(ok, PasswordReset::new("t", "a@b.c"));
        for bad in [
            "http://h/api/auth/password/reset?email=a%40b.c",
            "http://h/api/auth/password/reset?token=&email=a%40b.c",
            "http://h/api/auth/password/reset?token=t",
            "not a link",
        ] {
            assert!(
                matches!(PasswordReset::from_link(bad), Err(ClientError::InvalidUrl { .. })),
                "{bad}"
            );
        }
    }
}
