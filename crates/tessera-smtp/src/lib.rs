//! An SMTP [`Mailer`] for Tessera's email (magic link) provider, on [`lettre`] with rustls
//! (ring provider, webpki root certificates).
//!
//! [`SmtpMailer`] sends the sign-in email that [`EmailProvider`] asks for: `To` the
//! normalised address, `From` the configured sender, `Subject` [`VerificationRequest::subject`]
//! and a `multipart/alternative` body with [`VerificationRequest::text_body`] and
//! [`VerificationRequest::html_body`]. A failed send becomes a [`MailerError`] (the sign-in
//! then answers `error=EmailSignin`) whose message never contains the password.
//!
//! ```
//! use std::time::Duration;
//! use tessera::providers::EmailProvider;
//! use tessera_smtp::{SmtpMailer, Tls};
//!
//! # fn main() -> Result<(), tessera_smtp::SmtpConfigError> {
//! // With a builder: STARTTLS on port 587 unless told otherwise.
//! let mailer = SmtpMailer::builder("smtp.example.com")
//!     .credentials("apikey", "s3cret")
//!     .from("Tessera <no-reply@example.com>")
//!     .timeout(Duration::from_secs(10))
//!     .build()?;
//! assert_eq!((mailer.port(), mailer.tls()), (587, Tls::StartTls));
//! assert!(!format!("{mailer:?}").contains("s3cret"));
//!
//! // From a NextAuth-style EMAIL_SERVER URL (`smtps://` is TLS from the first byte, port 465).
//! let mailer = SmtpMailer::from_url("smtps://apikey:s3cret@smtp.example.com")?
//!     .from("no-reply@example.com")
//!     .build()?;
//! assert_eq!((mailer.port(), mailer.tls()), (465, Tls::Wrapper));
//!
//! // An invalid sender is refused when building, not when sending.
//! assert!(SmtpMailer::builder("smtp.example.com").from("not an address").build().is_err());
//!
//! let provider = EmailProvider::new(mailer);
//! # let _ = provider;
//! # Ok(())
//! # }
//! ```
//!
//! # URLs
//!
//! [`SmtpMailer::from_url`] and [`SmtpMailer::from_env`] (`EMAIL_SERVER`, `EMAIL_FROM`, as
//! in NextAuth) accept:
//!
//! | URL | TLS | default port |
//! | --- | --- | --- |
//! | `smtp://[user:password@]host[:port]` | [`Tls::StartTls`] (required: never falls back to plain text) | 587 |
//! | `smtps://[user:password@]host[:port]` | [`Tls::Wrapper`] (TLS from the first byte) | 465 |
//! | `smtp+insecure://[user:password@]host[:port]` | [`Tls::None`] (local development servers) | 25 |
//!
//! As in nodemailer, `smtp://host:465` means TLS from the first byte. User and password are
//! percent-decoded (write `@` in a password as `%40`). Paths, query strings and fragments
//! are refused rather than ignored.
//!
//! # Connections and TLS
//!
//! Sending needs a Tokio runtime (lettre's `tokio1` transport; the
//! [timeout](SmtpMailerBuilder::timeout) uses Tokio's timer). Every email opens its own
//! connection (no pool). Server certificates are checked against the webpki (Mozilla) roots
//! plus any [`SmtpMailerBuilder::add_root_certificate`]. Credentials are sent only over
//! TLS, except to a loopback host. lettre uses the rustls crypto provider installed for the
//! process if there is one and ring otherwise, so it never trips rustls' "several providers"
//! panic; [`SmtpMailer::check_connection`] tries the whole configuration at start-up.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls as LettreTls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use percent_encoding::percent_decode_str;
use tessera::providers::email::{Mailer, MailerError, VerificationRequest};

#[cfg(doc)]
use tessera::providers::EmailProvider;

/// The default time allowed for one email, connection included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How the connection is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Tls {
    /// Plain text (port 25 by default). For local development servers only: credentials
    /// are refused unless the host is a loopback address.
    None,
    /// Plain text upgraded with `STARTTLS`, which is required: if the server does not offer
    /// it, nothing is sent (port 587 by default).
    #[default]
    StartTls,
    /// TLS from the first byte, "implicit TLS" (port 465 by default).
    Wrapper,
}

impl Tls {
    /// The port used when none is given: 25, 587 or 465.
    pub const fn default_port(self) -> u16 {
        match self {
            Tls::None => 25,
            Tls::StartTls => 587,
            Tls::Wrapper => 465,
        }
    }
}

/// A configuration the mailer cannot be built from. Messages never contain the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SmtpConfigError {
    /// No sender: call [`SmtpMailerBuilder::from`] (or set `EMAIL_FROM`).
    #[error("no sender address: set one with `from(..)` (or EMAIL_FROM)")]
    MissingFrom,
    /// The sender is not a valid mailbox (`Name <user@example.com>` or `user@example.com`).
    #[error("the sender address {address:?} is not valid: {reason}")]
    InvalidFrom {
        /// What was given.
        address: String,
        /// Why it was refused.
        reason: String,
    },
    /// The host is empty or contains characters a host name cannot.
    #[error("the SMTP host is empty or not a valid host name")]
    InvalidHost,
    /// The URL could not be parsed or has parts that are not allowed (the URL itself is not
    /// repeated, as it may hold a password).
    #[error("the SMTP URL is not valid: {0}")]
    InvalidUrl(String),
    /// A URL scheme other than `smtp`, `smtps` and `smtp+insecure`.
    #[error("unsupported SMTP URL scheme {0:?}: use smtp:// (STARTTLS), smtps:// (TLS) or smtp+insecure:// (no TLS)")]
    UnsupportedScheme(String),
    /// Credentials with [`Tls::None`] to a host that is not a loopback address.
    #[error("refusing to send SMTP credentials in plain text to {0}: use Tls::StartTls or Tls::Wrapper")]
    PlaintextCredentials(String),
    /// A root certificate that is not valid PEM, or a TLS configuration rustls refuses.
    #[error("the TLS configuration is not valid: {0}")]
    Tls(String),
    /// A required environment variable is missing or not UTF-8.
    #[error("the environment variable {0} is not set")]
    MissingEnv(&'static str),
}

/// Sends Tessera's sign-in emails over SMTP. Cheap to clone; see the [crate docs](crate).
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    host: String,
    port: u16,
    tls: Tls,
    user: Option<String>,
    /// The password and its base64 forms (AUTH LOGIN, AUTH PLAIN), scrubbed from errors.
    redact: Vec<String>,
    timeout: Duration,
    /// The sender's domain in ASCII (punycode), for `Message-ID`.
    id_domain: String,
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("from", &self.from.to_string())
            .field("user", &self.user)
            .field("password", &self.user.as_ref().map(|_| Redacted))
            .field("timeout", &self.timeout)
            .finish()
    }
}

struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl SmtpMailer {
    /// A builder for a server at `host` (a name or an IP address, without brackets).
    pub fn builder(host: impl Into<String>) -> SmtpMailerBuilder {
        SmtpMailerBuilder {
            host: host.into(),
            port: None,
            tls: Tls::default(),
            credentials: None,
            from: None,
            timeout: DEFAULT_TIMEOUT,
            hello_name: None,
            root_certificates: Vec::new(),
        }
    }

    /// A builder from an `smtp://`, `smtps://` or `smtp+insecure://` URL (see the
    /// [crate docs](crate#urls)). The sender still has to be set with
    /// [`SmtpMailerBuilder::from`].
    pub fn from_url(url: &str) -> Result<SmtpMailerBuilder, SmtpConfigError> {
        // `url::ParseError` does not repeat the input, which may hold a password.
        let url = url::Url::parse(url.trim()).map_err(|e| SmtpConfigError::InvalidUrl(e.to_string()))?;
        let tls = match url.scheme() {
            "smtp" if url.port() == Some(465) => Tls::Wrapper,
            "smtp" => Tls::StartTls,
            "smtps" => Tls::Wrapper,
            "smtp+insecure" => Tls::None,
            other => return Err(SmtpConfigError::UnsupportedScheme(other.to_owned())),
        };
        let host = match url.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err(SmtpConfigError::InvalidUrl("no host".into())),
        };
        if !matches!(url.path(), "" | "/") {
            return Err(SmtpConfigError::InvalidUrl("a path is not allowed".into()));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(SmtpConfigError::InvalidUrl(
                "query strings and fragments are not supported".into(),
            ));
        }
        let decode = |s: &str, what: &str| {
            percent_decode_str(s)
                .decode_utf8()
                .map(std::borrow::Cow::into_owned)
                .map_err(|_| SmtpConfigError::InvalidUrl(format!("the {what} is not UTF-8")))
        };
        let mut builder = SmtpMailer::builder(host).tls(tls);
        if let Some(port) = url.port() {
            builder = builder.port(port);
        }
        if !url.username().is_empty() || url.password().is_some() {
            let user = decode(url.username(), "user name")?;
            let password = decode(url.password().unwrap_or(""), "password")?;
            builder = builder.credentials(user, password);
        }
        Ok(builder)
    }

    /// A mailer from `EMAIL_SERVER` (a URL, see [`from_url`](Self::from_url)) and
    /// `EMAIL_FROM`, the variables NextAuth's email provider is configured with.
    pub fn from_env() -> Result<SmtpMailer, SmtpConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<SmtpMailer, SmtpConfigError> {
        let server = get("EMAIL_SERVER").ok_or(SmtpConfigError::MissingEnv("EMAIL_SERVER"))?;
        let from = get("EMAIL_FROM").ok_or(SmtpConfigError::MissingEnv("EMAIL_FROM"))?;
        Self::from_url(&server)?.from(from).build()
    }

    /// The server's host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How the connection is encrypted.
    pub fn tls(&self) -> Tls {
        self.tls
    }

    /// The sender, as it appears in `From`.
    pub fn from_address(&self) -> String {
        self.from.to_string()
    }

    /// Connects, greets the server (with STARTTLS and AUTH as configured) and disconnects:
    /// a start-up check that the configuration works, without sending anything.
    pub async fn check_connection(&self) -> Result<(), MailerError> {
        match tokio::time::timeout(self.timeout, self.transport.test_connection()).await {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err(self.failure("the server did not answer NOOP")),
            Ok(Err(e)) => Err(self.failure(&e.to_string())),
            Err(_) => Err(self.failure(&format!("timed out after {:?}", self.timeout))),
        }
    }

    fn message(&self, request: &VerificationRequest<'_>) -> Result<Message, MailerError> {
        let to: Address = request
            .identifier
            .parse()
            .map_err(|e| MailerError(format!("the recipient address is not valid: {e}")))?;
        let message_id = format!("<{}@{}>", uuid::Uuid::new_v4().simple(), self.id_domain);
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(request.subject())
            .message_id(Some(message_id))
            .multipart(MultiPart::alternative_plain_html(
                request.text_body(),
                request.html_body(),
            ))
            .map_err(|e| MailerError(format!("building the message failed: {e}")))
    }

    /// A [`MailerError`] naming the server, with every form of the password scrubbed.
    fn failure(&self, detail: &str) -> MailerError {
        let mut detail = detail.to_owned();
        for secret in &self.redact {
            detail = detail.replace(secret.as_str(), "<redacted>");
        }
        MailerError(format!("SMTP {}:{}: {detail}", self.host, self.port))
    }
}

#[tessera::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, request: VerificationRequest<'_>) -> Result<(), MailerError> {
        let message = self.message(&request)?;
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(self.failure(&e.to_string())),
            Err(_) => Err(self.failure(&format!("timed out after {:?}", self.timeout))),
        }
    }
}

/// Configures an [`SmtpMailer`]; nothing is checked until [`build`](Self::build).
#[derive(Clone)]
#[must_use]
pub struct SmtpMailerBuilder {
    host: String,
    port: Option<u16>,
    tls: Tls,
    credentials: Option<(String, String)>,
    from: Option<String>,
    timeout: Duration,
    hello_name: Option<String>,
    root_certificates: Vec<Vec<u8>>,
}

impl fmt::Debug for SmtpMailerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailerBuilder")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.credentials.as_ref().map(|(u, _)| u))
            .field("password", &self.credentials.as_ref().map(|_| Redacted))
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .field("hello_name", &self.hello_name)
            .field("root_certificates", &self.root_certificates.len())
            .finish()
    }
}

impl SmtpMailerBuilder {
    /// The port (default: [`Tls::default_port`] of the chosen mode, so 587 for STARTTLS,
    /// 465 for the TLS wrapper and 25 without TLS).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// How the connection is encrypted (default [`Tls::StartTls`]).
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = tls;
        self
    }

    /// The user name and password for `AUTH` (PLAIN or LOGIN, whichever the server offers).
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((user.into(), password.into()));
        self
    }

    /// The sender: `Name <user@example.com>` or `user@example.com`. Required; checked by
    /// [`build`](Self::build).
    pub fn from(mut self, from: impl Into<String>) -> Self {
        self.from = Some(from.into());
        self
    }

    /// The most one email may take, connecting included (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The name given in `EHLO` (default: this machine's host name).
    pub fn hello_name(mut self, name: impl Into<String>) -> Self {
        self.hello_name = Some(name.into());
        self
    }

    /// Also trusts this PEM-encoded CA certificate (or bundle), e.g. a private relay's.
    /// The webpki roots stay trusted.
    pub fn add_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// Checks the configuration and builds the mailer (no connection is made).
    pub fn build(self) -> Result<SmtpMailer, SmtpConfigError> {
        let host = self.host.trim().to_owned();
        if host.is_empty()
            || host.len() > 253
            || host
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "/@?#[]%\\<>\"',;".contains(c))
        {
            return Err(SmtpConfigError::InvalidHost);
        }
        let from_text = self.from.ok_or(SmtpConfigError::MissingFrom)?;
        let from: Mailbox =
            from_text
                .trim()
                .parse()
                .map_err(|e: lettre::address::AddressError| SmtpConfigError::InvalidFrom {
                    address: from_text.clone(),
                    reason: e.to_string(),
                })?;
        if self.tls == Tls::None && self.credentials.is_some() && !is_loopback(&host) {
            return Err(SmtpConfigError::PlaintextCredentials(host));
        }
        let port = self.port.unwrap_or(self.tls.default_port());

        let tls = match self.tls {
            Tls::None => LettreTls::None,
            Tls::StartTls | Tls::Wrapper => {
                let mut params = TlsParameters::builder(host.clone());
                for pem in &self.root_certificates {
                    // lettre accepts input without any certificate in it as an empty list.
                    if !pem.windows(CERT_BEGIN.len()).any(|w| w == CERT_BEGIN.as_bytes()) {
                        return Err(SmtpConfigError::Tls(
                            "root certificate: no PEM certificate found".into(),
                        ));
                    }
                    let cert = Certificate::from_pem(pem)
                        .map_err(|e| SmtpConfigError::Tls(format!("root certificate: {e}")))?;
                    params = params.add_root_certificate(cert);
                }
                let params = params.build_rustls().map_err(|e| SmtpConfigError::Tls(e.to_string()))?;
                if self.tls == Tls::Wrapper {
                    LettreTls::Wrapper(params)
                } else {
                    LettreTls::Required(params)
                }
            }
        };

        let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(port)
            .tls(tls)
            .timeout(Some(self.timeout));
        if let Some(name) = self.hello_name {
            transport = transport.hello_name(ClientId::Domain(name));
        }
        let mut redact = Vec::new();
        let user = match self.credentials {
            Some((user, password)) => {
                if !password.is_empty() {
                    redact.push(BASE64.encode(format!("\0{user}\0{password}")));
                    redact.push(BASE64.encode(&password));
                    redact.push(password.clone());
                }
                transport = transport.credentials(Credentials::new(user.clone(), password));
                Some(user)
            }
            None => None,
        };
        let id_domain = url::Host::parse(from.email.domain())
            .map(|h| h.to_string())
            .unwrap_or_else(|_| "localhost".into());
        Ok(SmtpMailer {
            id_domain,
            transport: transport.build(),
            from,
            host,
            port,
            tls: self.tls,
            user,
            redact,
            timeout: self.timeout,
        })
    }
}

const CERT_BEGIN: &str = "-----BEGIN CERTIFICATE-----";

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {

    use super::*;

    fn build(b: SmtpMailerBuilder) -> SmtpMailer {
        b.from("Tessera <no-reply@example.com>").build().unwrap()
    }

    #[test]
    fn ports_follow_the_tls_mode_unless_set() {
        let m = build(SmtpMailer::builder("smtp.example.com"));
        assert_eq!((m.host(), m.port(), m.tls()), ("smtp.example.com", 587, Tls::StartTls));
        let m = build(SmtpMailer::builder("smtp.example.com").tls(Tls::Wrapper));
        assert_eq!((m.port(), m.tls()), (465, Tls::Wrapper));
        let m = build(SmtpMailer::builder("smtp.example.com").tls(Tls::None));
        assert_eq!((m.port(), m.tls()), (25, Tls::None));
        // The order of `port` and `tls` does not matter.
        let m = build(SmtpMailer::builder("h.example").port(2525).tls(Tls::Wrapper));
        assert_eq!((m.port(), m.tls()), (2525, Tls::Wrapper));
        let m = build(SmtpMailer::builder("h.example").tls(Tls::None).port(1025));
        assert_eq!((m.port(), m.tls()), (1025, Tls::None));
    }

    #[test]
    fn the_sender_is_checked_at_build() {
        let b = SmtpMailer::builder("smtp.example.com");
        assert_eq!(b.clone().build().unwrap_err(), SmtpConfigError::MissingFrom);
        for bad in ["", "not an address", "a@", "Name <a@b.c", "a@b.c, d@e.f", "<>"] {
            let err = b.clone().from(bad).build().unwrap_err();
            assert!(matches!(err, SmtpConfigError::InvalidFrom { .. }), "{bad:?}: {err:?}");
        }
        let m = b.clone().from("  no-reply@example.com ").build().unwrap();
        assert_eq!(m.from_address(), "no-reply@example.com");
        let m = b.clone().from("Tessera <no-reply@example.com>").build().unwrap();
        assert_eq!(m.from_address(), "Tessera <no-reply@example.com>");
        assert_eq!(m.id_domain, "example.com");
        let m = b.from("Ünïcode <post@bücher.example>").build().unwrap();
        assert_eq!(m.id_domain, "xn--bcher-kva.example");
    }

    #[test]
    fn hosts_are_checked() {
        for bad in ["", "  ", "a b", "user@host", "host/path", "[::1]", "h%2Eexample"] {
            let err = SmtpMailer::builder(bad).from("a@b.co").build().unwrap_err();
            assert_eq!(err, SmtpConfigError::InvalidHost, "{bad:?}");
        }
        build(SmtpMailer::builder("::1").tls(Tls::None));
        build(SmtpMailer::builder("127.0.0.1"));
    }

    #[test]
    fn plain_text_credentials_only_to_loopback() {
        let err = SmtpMailer::builder("smtp.example.com")
            .tls(Tls::None)
            .credentials("u", "hunter2")
            .from("a@b.co")
            .build()
            .unwrap_err();
        assert_eq!(err, SmtpConfigError::PlaintextCredentials("smtp.example.com".into()));
        assert!(!err.to_string().contains("hunter2"));
        for host in ["localhost", "127.0.0.1", "127.1.2.3", "::1"] {
            build(SmtpMailer::builder(host).tls(Tls::None).credentials("u", "p"));
        }
    }

    #[test]
    fn urls() {
        let m = SmtpMailer::from_url("smtp://user:p%40ss@smtp.example.com:2587")
            .unwrap()
            .from("a@b.co")
            .build()
            .unwrap();
        assert_eq!((m.host(), m.port(), m.tls()), ("smtp.example.com", 2587, Tls::StartTls));
        assert_eq!(m.user.as_deref(), Some("user"));
        assert!(m.redact.contains(&"p@ss".to_owned()));

        let cases = [
            ("smtp://h.example", 587, Tls::StartTls),
            ("smtp://h.example:587", 587, Tls::StartTls),
            ("smtp://h.example:465", 465, Tls::Wrapper),
            ("smtps://h.example", 465, Tls::Wrapper),
            ("smtps://h.example:2465/", 2465, Tls::Wrapper),
            ("smtp+insecure://h.example", 25, Tls::None),
            ("smtp+insecure://127.0.0.1:1025", 1025, Tls::None),
            ("SMTP://H.Example", 587, Tls::StartTls),
        ];
        for (url, port, tls) in cases {
            let m = SmtpMailer::from_url(url).unwrap().from("a@b.co").build().unwrap();
            assert_eq!((m.port(), m.tls()), (port, tls), "{url}");
            assert!(m.user.is_none());
        }
        let m = SmtpMailer::from_url("smtp+insecure://u:p@[::1]:1025")
            .unwrap()
            .from("a@b.co")
            .build()
            .unwrap();
        assert_eq!((m.host(), m.port()), ("::1", 1025));

        for (bad, want) in [
            ("http://h.example", "unsupported"),
            ("smtp://", "not valid"),
            ("smtp:h.example", "not valid"),
            ("smtp://u:topsecret@h.example/path", "path"),
            ("smtp://u:topsecret@h.example?tls=none", "query"),
            ("smtp://u:topsecret@h.example#x", "query"),
            ("smtp://u:topsecret@h.example:99999", "not valid"),
            ("smtp://u:top%FFsecret@h.example", "UTF-8"),
            ("not a url", "not valid"),
        ] {
            let err = SmtpMailer::from_url(bad).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(want), "{bad}: {msg}");
            assert!(!msg.contains("topsecret"), "{bad}: {msg}");
        }
        // Plain text with credentials to a remote host is refused at build.
        let err = SmtpMailer::from_url("smtp+insecure://u:p@h.example")
            .unwrap()
            .from("a@b.co")
            .build()
            .unwrap_err();
        assert!(matches!(err, SmtpConfigError::PlaintextCredentials(_)));
    }

    #[test]
    fn environment() {
        let env = |server: Option<&str>, from: Option<&str>| {
            let (server, from) = (server.map(str::to_owned), from.map(str::to_owned));
            SmtpMailer::from_lookup(move |name| match name {
                "EMAIL_SERVER" => server.clone(),
                "EMAIL_FROM" => from.clone(),
                _ => None,
            })
        };
        let m = env(
            Some("smtp://apikey:k@smtp.example.com:587"),
            Some("Me <me@example.com>"),
        )
        .unwrap();
        assert_eq!((m.port(), m.tls()), (587, Tls::StartTls));
        assert_eq!(m.from_address(), "Me <me@example.com>");
        assert_eq!(
            env(None, Some("a@b.co")).unwrap_err(),
            SmtpConfigError::MissingEnv("EMAIL_SERVER")
        );
        assert_eq!(
            env(Some("smtp://h.example"), None).unwrap_err(),
            SmtpConfigError::MissingEnv("EMAIL_FROM")
        );
    }

    #[test]
    fn debug_and_errors_redact_the_password() {
        let b = SmtpMailer::builder("smtp.example.com")
            .credentials("apikey", "hunter2-secret")
            .from("a@b.co");
        let builder_debug = format!("{b:?}");
        let m = b.build().unwrap();
        let debug = format!("{m:?}");
        for d in [&builder_debug, &debug] {
            assert!(!d.contains("hunter2"), "{d}");
            assert!(d.contains("apikey") && d.contains("<redacted>"), "{d}");
        }
        let plain_blob = BASE64.encode("\0apikey\0hunter2-secret");
        let e = m.failure(&format!(
            "permanent error (535): bad hunter2-secret {plain_blob} {}",
            BASE64.encode("hunter2-secret")
        ));
        assert!(!e.0.contains("hunter2") && !e.0.contains(&plain_blob), "{e}");
        assert!(
            e.0.starts_with("SMTP smtp.example.com:587: permanent error (535)"),
            "{e}"
        );
    }

    #[test]
    fn root_certificates_must_be_pem() {
        let err = SmtpMailer::builder("smtp.example.com")
            .add_root_certificate("not a certificate")
            .from("a@b.co")
            .build()
            .unwrap_err();
        assert!(matches!(err, SmtpConfigError::Tls(_)), "{err:?}");
        let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let err = SmtpMailer::builder("smtp.example.com")
            .add_root_certificate(garbage)
            .from("a@b.co")
            .build()
            .unwrap_err();
        assert!(matches!(err, SmtpConfigError::Tls(_)), "{err:?}");
    }
}
