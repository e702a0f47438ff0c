//! `tessera serve`: Tessera as a standalone auth server for existing NextAuth.js and Auth.js
//! apps, configured by a TOML file (`tessera.toml`) and the environment variables next-auth
//! already reads.
//!
//! The app keeps its `next-auth/react` front end and sends `/api/auth/*` to this server
//! (a Next.js `rewrites` entry); its own logic (checking a password, allowing a sign-in,
//! adding claims) is reached over HTTP through signed hooks.

pub mod hooks;
