//! `tessera`: the command-line companion.
//!
//! ```text
//! tessera serve [--config <file>]      run the auth server (tessera.toml, environment)
//! tessera doctor [--config <file>]     check that configuration before it goes live
//! tessera secret                       print a new random secret
//! tessera migrate [<database url>]     create or upgrade Tessera's tables (default: $DATABASE_URL),
//!     --schema <name>                  or check next-auth's (default: $AUTH_DB_SCHEMA, then tessera)
//! tessera jwt decode <token|->         decrypt a session cookie and print its claims
//!     --secret <s>                     (default: $NEXTAUTH_SECRET, then $AUTH_SECRET)
//!     --v5                             Auth.js v5 token (A256CBC-HS512)
//!     --salt <cookie name>             key salt (v4 session: empty; v5: authjs.session-token)
//! ```

#![allow(clippy::print_stdout, reason = "a command-line tool: its results go to stdout")]

mod decode;
mod migrate;

use std::process::ExitCode;

const USAGE: &str = "\
usage:
  tessera serve [--config <file>]  run the auth server: the file (default ./tessera.toml, optional)
                                  with the environment overriding it (NEXTAUTH_URL, NEXTAUTH_SECRET,
                                  DATABASE_URL, REDIS_URL, PORT, AUTH_<PROVIDER>_ID/_SECRET, …)
  tessera doctor [--config <file>] check that configuration before it goes live: secret, URL and
                                  cookies, database and tables, Redis, SMTP, OpenID Connect, hooks
                                  (exit status 1 when something must be fixed)
  tessera secret                  print a new random secret (base64, 32 bytes)
  tessera migrate [<database url>]  create or upgrade Tessera's tables (default: $DATABASE_URL;
                                  postgres://… or a SQLite file path / sqlite: URL)
      --schema <name>             the tables (default: $AUTH_DB_SCHEMA, then tessera): tessera, or
                                  next-auth's pg-adapter (PostgreSQL only), prisma or drizzle, which the application
                                  owns: they are only checked, nothing is created or changed
                                  (exit status 1 when they do not fit, saying why)
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
        ["migrate", rest @ ..] => match migrate::Options::parse(rest, &|name| std::env::var(name).ok()) {
            Ok(options) => migrate::run(&options),
            Err(e) if e.shows_usage() => {
                eprintln!("tessera: {e}\n\n{USAGE}");
                ExitCode::from(2)
            }
            Err(e) => {
                eprintln!("tessera: {e}");
                ExitCode::from(2)
            }
        },
        [command @ ("serve" | "doctor"), rest @ ..] => match config_path(rest) {
            Ok(path) if *command == "serve" => serve(path.as_deref()),
            Ok(path) => doctor(path.as_deref()),
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

/// `--config <file>` (or `--config=<file>`), the only option of `serve` and `doctor`.
fn config_path(args: &[&str]) -> Result<Option<std::path::PathBuf>, String> {
    match args {
        [] => Ok(None),
        ["--config", path] => Ok(Some(path.into())),
        [one] if one.starts_with("--config=") => Ok(Some(one["--config=".len()..].into())),
        _ => Err(format!("unexpected arguments: {}", args.join(" "))),
    }
}

/// The configuration at `path` (or the default), and a runtime to use it in; or the exit
/// status of the failure, already reported.
fn load(path: Option<&std::path::Path>) -> Result<(tessera_server::Config, tokio::runtime::Runtime), ExitCode> {
    let config = tessera_server::Config::load(path, &tessera_server::process_env).map_err(|e| {
        eprintln!("tessera: {e}");
        ExitCode::from(2)
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("tessera: cannot start the runtime: {e}");
            ExitCode::FAILURE
        })?;
    Ok((config, runtime))
}

fn doctor(path: Option<&std::path::Path>) -> ExitCode {
    let (config, runtime) = match load(path) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let report = runtime.block_on(tessera_server::doctor::check(&config));
    println!("{report}");
    if report.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn serve(path: Option<&std::path::Path>) -> ExitCode {
    let (config, runtime) = match load(path) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    tessera_server::logging::init(&config);
    match runtime.block_on(tessera_server::serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tessera: {e}");
            ExitCode::FAILURE
        }
    }
}
