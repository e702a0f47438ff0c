//! `tessera jwt decode`: decrypts a token and says precisely why when it cannot.

use std::io::Read;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use tessera::Compat;
use tessera::Secret;
use tessera::jwt::{JweCodec, JwtError};

/// A usage mistake.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UsageError {
    #[error("missing token (pass it as an argument, or '-' to read standard input)")]
    MissingToken,
    #[error("{0} needs a value")]
    MissingValue(&'static str),
    #[error("unknown option {0:?}")]
    UnknownOption(String),
    #[error("no secret: pass --secret or set NEXTAUTH_SECRET (or AUTH_SECRET)")]
    NoSecret,
    #[error("cannot read the token from standard input: {0}")]
    Stdin(String),
}

#[derive(Debug)]
pub(crate) struct Options {
    token: String,
    secret: Secret,
    compat: Compat,
    salt: Option<String>,
}

impl Options {
    pub(crate) fn parse(args: &[&str]) -> Result<Options, UsageError> {
        let mut token = None;
        let mut secret = None;
        let mut compat = Compat::NextAuthV4;
        let mut salt = None;
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match *arg {
                "--secret" => secret = Some(it.next().ok_or(UsageError::MissingValue("--secret"))?.to_string()),
                "--salt" => salt = Some(it.next().ok_or(UsageError::MissingValue("--salt"))?.to_string()),
                "--v5" => compat = Compat::AuthJsV5,
                "-" => {
                    let mut s = String::new();
                    std::io::stdin()
                        .read_to_string(&mut s)
                        .map_err(|e| UsageError::Stdin(e.to_string()))?;
                    token = Some(s.trim().to_owned());
                }
                a if a.starts_with("--") => return Err(UsageError::UnknownOption(a.to_owned())),
                a => token = Some(a.to_owned()),
            }
        }
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let secret = secret
            .or_else(|| env("NEXTAUTH_SECRET"))
            .or_else(|| env("AUTH_SECRET"))
            .ok_or(UsageError::NoSecret)?;
        let token = token.filter(|t| !t.is_empty()).ok_or(UsageError::MissingToken)?;
        Ok(Options {
            token,
            secret: Secret::new(secret),
            compat,
            salt,
        })
    }
}

fn iso(secs: i64) -> String {
    tessera::iso8601(UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64))
}

pub(crate) fn run(o: Options) -> ExitCode {
    // A cookie value copied from a browser may still be percent-encoded.
    let token = o.token.replace("%2E", ".");
    let salt = o.salt.unwrap_or_else(|| match o.compat {
        Compat::NextAuthV4 => String::new(),
        Compat::AuthJsV5 => "authjs.session-token".into(),
    });
    let codec = JweCodec::new(o.compat, &[o.secret], &salt);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let plaintext = match codec.decrypt(&token) {
        Ok(p) => p,
        Err(e) => {
            let hint = match e {
                JwtError::Decrypt => {
                    " (wrong secret, a tampered token, or a different salt: check cookies use their cookie name, v5 tokens need --v5)"
                }
                JwtError::Malformed => " (expected five base64url segments: header..iv.ciphertext.tag)",
                _ => "",
            };
            eprintln!("tessera: cannot decode the token: {e}{hint}");
            return ExitCode::from(1);
        }
    };
    let claims: serde_json::Map<String, serde_json::Value> = match serde_json::from_slice(&plaintext) {
        Ok(c) => c,
        Err(_) => {
            eprintln!("tessera: the token decrypts, but its payload is not a JSON object");
            return ExitCode::from(1);
        }
    };
    println!("{}", serde_json::to_string_pretty(&claims).unwrap_or_default());
    match codec.decode(&token, now) {
        Ok(_) => {
            if let Some(exp) = claims.get("exp").and_then(serde_json::Value::as_i64) {
                eprintln!("valid; expires {} (in {} s)", iso(exp), exp - now);
            } else {
                eprintln!("valid; no expiry");
            }
            ExitCode::SUCCESS
        }
        Err(JwtError::Expired { exp, .. }) => {
            eprintln!(
                "tessera: the token expired at {} ({} s ago); claims shown above",
                iso(exp),
                now - exp
            );
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("tessera: the token decrypts but is not valid: {e}");
            ExitCode::from(1)
        }
    }
}
