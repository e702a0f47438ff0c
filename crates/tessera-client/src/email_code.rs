//! One-time email codes, for a server whose email provider mails a code
//! (Tessera's `EmailProvider::code`): [`Client::sign_in_with_email_code`].
//!
//! Asking for the code is the usual email sign-in, [`Client::sign_in`]`("email", …)` with
//! the field `email`; the mail carries six digits (with the link, or instead of it).

use tessera_protocol::{Compat, SignInResult};

use crate::client::{Client, path_segment};
use crate::error::ClientError;

impl Client {
    /// Signs in with a mailed one-time code: `GET <base>/csrf`, then
    /// `POST <base>/callback/<provider>` with `email`, `code`, `csrfToken`, `callbackUrl`
    /// (the client's location) and, in next-auth 4 mode, `json=true` (next-auth 5:
    /// `X-Auth-Return-Redirect: 1`). `provider` is the email provider's id, `"email"` by
    /// default on the server.
    ///
    /// Returns the result as [`sign_in`](Client::sign_in) with `redirect: false` does:
    /// signed in, `{error: None, ok: true, url: <callback URL>}` and the session cookie; a
    /// wrong, used, expired or burned code (after too many wrong ones, the right one
    /// fails too), `error: "Verification"` (status 401; next-auth 5 mode: 200, `ok: true`,
    /// so look at `error`); rate limited, status 429. A server with two-factor sign-in on
    /// answers `error: "TwoFactorRequired"` for a user with a set-up: finish with
    /// `sign_in("two-factor", …)`.
    ///
    /// ```no_run
    /// use tessera_client::{Client, ClientError, SignInOptions};
    ///
    /// # async fn demo(client: Client, code_from_the_mail: &str) -> Result<(), ClientError> {
    /// let ask = SignInOptions::new().redirect(false).field("email", "ada@example.com");
    /// client.sign_in("email", ask, &[]).await?;
    /// let result = client.sign_in_with_email_code("email", "ada@example.com", code_from_the_mail).await?;
    /// match result.error.as_deref() {
    ///     None => println!("signed in"),
    ///     Some(error) => println!("refused: {error}"),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn sign_in_with_email_code(
        &self,
        provider: &str,
        email: &str,
        code: &str,
    ) -> Result<SignInResult, ClientError> {
        let target = self.url(&format!("callback/{}", path_segment(provider)));
        let mut params = vec![
            ("email".to_owned(), email.to_owned()),
            ("code".to_owned(), code.to_owned()),
            ("csrfToken".to_owned(), self.get_csrf_token().await?),
            ("callbackUrl".to_owned(), self.current_location()),
        ];
        if self.compat_mode() == Compat::NextAuthV4 {
            params.push(("json".to_owned(), "true".to_owned()));
        }
        let (status, url) = self.post_form(&target, &params).await?;
        self.sign_in_result(&target, status, url)
    }
}
