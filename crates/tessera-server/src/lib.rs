//! `tessera serve`: Tessera as a standalone auth server for existing NextAuth.js and Auth.js
//! apps, configured by a TOML file (`tessera.toml`) and the environment variables next-auth
//! already reads.
//!
//! The app keeps its `next-auth/react` front end and sends `/api/auth/*` to this server
//! (a Next.js `rewrites` entry); its own logic (checking a password, allowing a sign-in,
//! adding claims) is reached over HTTP through signed hooks.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = tessera_server::Config::load(None, &tessera_server::process_env)?;
//! tessera_server::logging::init(&config);
//! tessera_server::serve(config).await?;
//! # Ok(()) }
//! ```
//!
//! `tessera serve` (in the `tessera` command) does exactly this.

mod app;
mod config;
pub mod doctor;
pub mod hooks;
pub mod logging;
mod serve;

pub use app::{App, StartError};
pub use config::{Config, ConfigError, Env, LogFormat, process_env};
pub use serve::{serve, serve_until};
