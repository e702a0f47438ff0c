//! `tessera`: the command-line companion.
//!
//! ```text
//! tessera secret                       print a new random secret
//! tessera jwt decode <token|->         decrypt a session cookie and print its claims
//!     --secret <s>                     (default: $NEXTAUTH_SECRET, then $AUTH_SECRET)
//!     --v5                             Auth.js v5 token (A256CBC-HS512)
//!     --salt <cookie name>             key salt (v4 session: empty; v5: authjs.session-token)
//! ```

mod decode;

use std::process::ExitCode;

const USAGE: &str = "\
usage:
  tessera secret                  print a new random secret (base64, 32 bytes)
  tessera jwt decode <token|->    decrypt a session token and print its claims
      --secret <secret>           the secret (default: $NEXTAUTH_SECRET, then $AUTH_SECRET)
      --v5                        the token is an Auth.js v5 token
      --salt <cookie name>        key salt: '' for a next-auth v4 session (default),
                                  the cookie name for check cookies and v5 tokens
                                  (v5 default: authjs.session-token)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["secret"] => {
            println!("{}", tessera::Secret::generate().expose());
            ExitCode::SUCCESS
        }
        ["jwt", "decode", rest @ ..] => match decode::Options::parse(rest) {
            Ok(options) => decode::run(options),
            Err(e) => {
                eprintln!("tessera: {e}\n\n{USAGE}");
                ExitCode::from(2)
            }
        },
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
