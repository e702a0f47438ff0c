//! Two-factor sign-in, for a server with Tessera's `TwoFactor` on: the signed-in user's
//! set-up ([`Client::two_factor_setup`], [`Client::enable_two_factor`],
//! [`Client::disable_two_factor`]) and what they take and answer ([`TwoFactorSetup`],
//! [`TwoFactorProof`]).
//!
//! Signing in is unchanged until the second step: the first factor
//! ([`Client::sign_in`] with `redirect: false`, or [`Client::sign_in_with_email_code`])
//! gives `error: "TwoFactorRequired"` for a user with a set-up, and no session; then
//! `sign_in("two-factor", …)` with the field `code` (a code of the authenticator app, or a
//! recovery code) finishes it, as `next-auth/react`'s `signIn("two-factor", {code})`.
//!
//! The set-up routes answer JSON in both protocols: `GET <base>/two-factor/setup` with
//! `Accept: application/json`; the POSTs (`enable`, `disable`) are a form with
//! `csrfToken` and `json=true`. A refusal is `{"error": <code>}` with its status, which
//! these calls return as [`ClientError::Refused`] with the code as a [`Refusal`]
//! (`WrongCode`, `SetupExpired`, `AlreadyEnabled`, `NotEnabled`, `SessionRequired`,
//! `TooManyRequests`, `MissingCSRF`).

use std::fmt;

use serde_json::Value;

use crate::client::{Client, FORM, JSON};
use crate::error::{ClientError, truncate_body};
use crate::refusal::Refusal;
use crate::transport::{HttpRequest, HttpResponse, Method};

/// A new two-factor secret for the signed-in user, not stored by the server until
/// [`Client::enable_two_factor`] gets a first code of it (within ten minutes, from the same
/// client: the server keeps it in an encrypted cookie). Its `Debug` does not show the
/// secret, nor the URI that carries it.
#[derive(Clone, PartialEq, Eq)]
pub struct TwoFactorSetup {
    /// The secret, base32 without padding (what an authenticator app takes typed in).
    pub secret: String,
    /// `otpauth://totp/<issuer>:<email>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
    pub uri: String,
    /// The URI as a QR code, an SVG element made by the server.
    pub qr_svg: String,
}

impl fmt::Debug for TwoFactorSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwoFactorSetup")
            .field("secret", &"<redacted>")
            .field("uri", &"<redacted>")
            .field("qr_svg", &format_args!("<{} bytes>", self.qr_svg.len()))
            .finish()
    }
}

/// What turns two-factor sign-in off ([`Client::disable_two_factor`]): a code (of the
/// authenticator app, or a recovery code) or the account's password (with the `password`
/// provider). Its `Debug` does not show either.
#[derive(Clone, PartialEq, Eq)]
pub enum TwoFactorProof {
    /// A code of the authenticator app, or an unused recovery code.
    Code(String),
    /// The account's password.
    Password(String),
}

impl fmt::Debug for TwoFactorProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TwoFactorProof::Code(_) => f.write_str("Code(<redacted>)"),
            TwoFactorProof::Password(_) => f.write_str("Password(<redacted>)"),
        }
    }
}

/// A field of a JSON answer that must be a string.
fn string_field(url: &str, data: &Value, name: &str) -> Result<String, ClientError> {
    data.get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| ClientError::json(url, format!("no string `{name}` in the answer")))
}

impl Client {
    /// Starts a set-up: `GET <base>/two-factor/setup` (JSON). `Ok(None)` when the user has
    /// one already (turn it off first to make another); otherwise a new secret, its
    /// `otpauth://` URI and a QR code to show. Refusals: [`Refusal::SessionRequired`].
    ///
    /// ```no_run
    /// # async fn demo(client: tessera_client::Client) -> Result<(), tessera_client::ClientError> {
    /// match client.two_factor_setup().await? {
    ///     None => println!("two-factor sign-in is on already"),
    ///     Some(setup) => {
    ///         println!("scan this: {}", setup.qr_svg);
    ///         // then, with the app's first code:
    ///         let recovery_codes = client.enable_two_factor("123456").await?;
    ///         println!("keep these safe: {recovery_codes:?}");
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn two_factor_setup(&self) -> Result<Option<TwoFactorSetup>, ClientError> {
        let url = self.url("two-factor/setup");
        let request = HttpRequest {
            method: Method::Get,
            url: url.clone(),
            headers: vec![("Accept".to_owned(), JSON.to_owned())],
            body: None,
        };
        let response = self.transport().send(request).await?;
        let data = answer(&url, &response)?;
        if data.get("enabled").and_then(Value::as_bool) == Some(true) {
            return Ok(None);
        }
        Ok(Some(TwoFactorSetup {
            secret: string_field(&url, &data, "secret")?,
            uri: string_field(&url, &data, "uri")?,
            qr_svg: string_field(&url, &data, "qrSvg")?,
        }))
    }

    /// Turns two-factor sign-in on with a first `code` of the secret
    /// [`two_factor_setup`](Client::two_factor_setup) gave this client:
    /// `POST <base>/two-factor/enable`. Returns the ten recovery codes, shown this once
    /// (each signs in once instead of a code). The code is used up: the next sign-in needs
    /// a later one. Refusals: [`Refusal::WrongCode`], [`Refusal::SetupExpired`] (no set-up
    /// started, or over ten minutes ago), [`Refusal::AlreadyEnabled`],
    /// [`Refusal::SessionRequired`], [`Refusal::TooManyRequests`].
    pub async fn enable_two_factor(&self, code: &str) -> Result<Vec<String>, ClientError> {
        let (url, data) = self
            .two_factor_post("two-factor/enable", ("code", code.to_owned()))
            .await?;
        let codes = data
            .get("recoveryCodes")
            .and_then(Value::as_array)
            .ok_or_else(|| ClientError::json(&url, "no `recoveryCodes` in the answer"))?;
        codes
            .iter()
            .map(|c| {
                c.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ClientError::json(&url, "a recovery code is not a string"))
            })
            .collect()
    }

    /// Turns two-factor sign-in off: `POST <base>/two-factor/disable` with `code` or
    /// `password`. Refusals: [`Refusal::WrongCode`] (a wrong code or password),
    /// [`Refusal::NotEnabled`], [`Refusal::SessionRequired`], [`Refusal::TooManyRequests`].
    ///
    /// ```no_run
    /// use tessera_client::TwoFactorProof;
    /// # async fn demo(client: tessera_client::Client) -> Result<(), tessera_client::ClientError> {
    /// client.disable_two_factor(TwoFactorProof::Password("violet-anvil-sings-42".into())).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn disable_two_factor(&self, proof: TwoFactorProof) -> Result<(), ClientError> {
        let field = match proof {
            TwoFactorProof::Code(code) => ("code", code),
            TwoFactorProof::Password(password) => ("password", password),
        };
        self.two_factor_post("two-factor/disable", field).await?;
        Ok(())
    }

    /// `GET /csrf`, then a JSON-answered form POST of `field` to `<base>/<path>`.
    async fn two_factor_post(&self, path: &str, field: (&str, String)) -> Result<(String, Value), ClientError> {
        let url = self.url(path);
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair(field.0, &field.1)
            .append_pair("csrfToken", &self.get_csrf_token().await?)
            .append_pair("json", "true")
            .finish();
        let request = HttpRequest {
            method: Method::Post,
            url: url.clone(),
            headers: vec![
                ("Content-Type".to_owned(), FORM.to_owned()),
                ("Accept".to_owned(), JSON.to_owned()),
            ],
            body: Some(body),
        };
        let response = self.transport().send(request).await?;
        let data = answer(&url, &response)?;
        Ok((url, data))
    }
}

/// The JSON object of a set-up route's answer, or the refusal it carries
/// (`{"error": <code>}`), or the status of an answer that is not the protocol's JSON.
fn answer(url: &str, response: &HttpResponse) -> Result<Value, ClientError> {
    let status_error = || ClientError::Status {
        url: url.to_owned(),
        status: response.status,
        body: truncate_body(&response.body, 1024),
    };
    let data: Value = match serde_json::from_slice(&response.body) {
        Ok(data @ Value::Object(_)) => data,
        // Not the protocol's JSON: a proxy's or an older server's page.
        _ if !response.ok() => return Err(status_error()),
        Ok(_) => return Err(ClientError::json(url, "expected an object")),
        Err(e) => return Err(ClientError::json(url, e)),
    };
    if let Some(code) = data.get("error").and_then(Value::as_str) {
        return Err(ClientError::Refused {
            url: url.to_owned(),
            status: response.status,
            reason: Refusal::from_code(code),
        });
    }
    if !response.ok() {
        return Err(status_error());
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets_codes_and_passwords() {
        let setup = TwoFactorSetup {
            secret: "JBSWY3DPEHPK3PXP".into(),
            uri: "otpauth://totp/x:a?secret=JBSWY3DPEHPK3PXP".into(),
            qr_svg: "<svg/>".into(),
        };
        let shown = format!("{setup:?}");
        assert!(!shown.contains("JBSWY3DPEHPK3PXP"), "{shown}");
        for proof in [
            TwoFactorProof::Code("123456".into()),
            TwoFactorProof::Password("hunter2-secret".into()),
        ] {
            let shown = format!("{proof:?}");
            assert!(!shown.contains("123456") && !shown.contains("hunter2"), "{shown}");
        }
    }

    #[test]
    fn answers_are_objects_refusals_or_statuses() {
        let reply = |status: u16, body: &str| HttpResponse {
            status,
            body: body.as_bytes().to_vec(),
        };
        let url = "http://h/api/auth/two-factor/enable";
        assert_eq!(answer(url, &reply(200, r#"{"a":1}"#)).unwrap()["a"], 1);
        assert!(matches!(
            answer(url, &reply(401, r#"{"error":"WrongCode"}"#)),
            Err(ClientError::Refused {
                status: 401,
                reason: Refusal::WrongCode,
                ..
            })
        ));
        assert!(matches!(
            answer(url, &reply(502, "<html>bad gateway</html>")),
            Err(ClientError::Status { status: 502, .. })
        ));
        assert!(matches!(answer(url, &reply(200, "[1]")), Err(ClientError::Json { .. })));
        assert!(matches!(
            answer(url, &reply(200, "nope")),
            Err(ClientError::Json { .. })
        ));
    }
}
