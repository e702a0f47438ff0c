//! `tessera migrate`: creates or upgrades Tessera's tables, or, for tables the
//! application owns (next-auth's `pg-adapter`, `prisma`, `drizzle`), checks them and
//! creates nothing.

use std::process::ExitCode;

use tessera::adapter::AdapterError;
use tessera_sqlx::{Schema, UnknownSchema};

/// A usage mistake.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UsageError {
    #[error("migrate needs a database URL (an argument or DATABASE_URL)")]
    NoUrl,
    #[error("{0} needs a value")]
    MissingValue(&'static str),
    #[error("unknown option {0:?}")]
    UnknownOption(String),
    #[error("unexpected argument {0:?} (one database URL only)")]
    Unexpected(String),
    /// A schema name that is not one of [`Schema::ALL`], from `--schema` or the environment.
    #[error("{from}: {source}")]
    Schema {
        /// `--schema` or `AUTH_DB_SCHEMA`.
        from: &'static str,
        source: UnknownSchema,
    },
}

impl UsageError {
    /// Whether the usage text helps: not when the message already says what would do.
    pub(crate) fn shows_usage(&self) -> bool {
        matches!(
            self,
            UsageError::MissingValue(_) | UsageError::UnknownOption(_) | UsageError::Unexpected(_)
        )
    }
}

/// What `tessera migrate` was asked to do.
#[derive(Debug)]
pub(crate) struct Options {
    url: String,
    schema: Schema,
}

impl Options {
    /// `[--schema <name>] [<database url>]` (in any order; `--schema=<name>` too), the URL
    /// defaulting to `DATABASE_URL` and the schema to `AUTH_DB_SCHEMA`, then `tessera`, as
    /// `env` finds them (an empty value counts as unset).
    pub(crate) fn parse(args: &[&str], env: &dyn Fn(&str) -> Option<String>) -> Result<Options, UsageError> {
        let mut url = None;
        let mut named = None;
        let mut it = args.iter();
        while let Some(&arg) = it.next() {
            match arg {
                "--schema" => named = Some(*it.next().ok_or(UsageError::MissingValue("--schema"))?),
                a if a.starts_with("--schema=") => named = Some(&a["--schema=".len()..]),
                a if a.starts_with("--") => return Err(UsageError::UnknownOption(a.to_owned())),
                a if url.is_some() => return Err(UsageError::Unexpected(a.to_owned())),
                a => url = Some(a.to_owned()),
            }
        }
        let env = |k: &str| env(k).filter(|v| !v.is_empty());
        let url = url.or_else(|| env("DATABASE_URL")).ok_or(UsageError::NoUrl)?;
        let schema = match (named, env(Schema::ENV)) {
            (Some(name), _) => name.parse().map_err(|source| UsageError::Schema {
                from: "--schema",
                source,
            })?,
            (None, Some(name)) => name.parse().map_err(|source| UsageError::Schema {
                from: Schema::ENV,
                source,
            })?,
            (None, None) => Schema::Tessera,
        };
        Ok(Options { url, schema })
    }
}

/// Migrates (for [`Schema::Tessera`]) or checks the tables: exit status 0 when they are
/// ready, 1 (with the reason on standard error) when not.
pub(crate) fn run(o: &Options) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tessera: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Connecting runs Tessera's migrations (idempotent: applied ones are skipped), or, on
    // tables the application owns, reads their columns and creates nothing.
    let connected = runtime.block_on(tessera_sqlx::connect_with_schema(&o.url, o.schema));
    let schema = o.schema;
    match connected {
        Ok(_) if schema.is_app_owned() => {
            println!("tessera: next-auth's {schema} tables are as expected (nothing was created or changed)");
            ExitCode::SUCCESS
        }
        Ok(_) => {
            println!("tessera: the database is up to date");
            ExitCode::SUCCESS
        }
        Err(e) if schema.is_app_owned() => {
            eprintln!(
                "tessera: next-auth's {schema} tables cannot be used: {}\n\
                 (the application owns them: `tessera migrate` creates and changes nothing there)",
                reason(&e)
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("tessera: migration failed: {}", reason(&e));
            ExitCode::FAILURE
        }
    }
}

/// What went wrong, without the error kind's prefix (every failure here is the backend's).
fn reason(e: &AdapterError) -> String {
    match e {
        AdapterError::Backend(message) => message.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Options, UsageError};
    use tessera_sqlx::Schema;

    fn parse(args: &[&str], vars: &[(&str, &str)]) -> Result<Options, UsageError> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Options::parse(args, &|k| {
            vars.iter().find(|(name, _)| name == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn the_option_beats_the_environment_which_beats_the_default() {
        let db = [("DATABASE_URL", "postgres://db")];
        let o = parse(&[], &db).expect("defaults");
        assert_eq!((o.url.as_str(), o.schema), ("postgres://db", Schema::Tessera));
        let o = parse(&[], &[db[0], ("AUTH_DB_SCHEMA", "prisma")]).expect("from the environment");
        assert_eq!(o.schema, Schema::Prisma);
        let o = parse(&[], &[db[0], ("AUTH_DB_SCHEMA", "")]).expect("empty is unset");
        assert_eq!(o.schema, Schema::Tessera);
        for args in [
            &["--schema", "drizzle", "postgres://x"][..],
            &["postgres://x", "--schema", "drizzle"],
            &["--schema=drizzle", "postgres://x"],
        ] {
            let o = parse(args, &[db[0], ("AUTH_DB_SCHEMA", "prisma")]).expect("the option");
            assert_eq!(
                (o.url.as_str(), o.schema),
                ("postgres://x", Schema::Drizzle),
                "{args:?}"
            );
        }
    }

    #[test]
    fn mistakes_are_named() {
        let said = |args: &[&str], vars: &[(&str, &str)]| parse(args, vars).expect_err("a mistake").to_string();
        assert_eq!(
            said(&["--schema", "mongo", "x"], &[]),
            format!("--schema: {}", "mongo".parse::<Schema>().expect_err("unknown"))
        );
        assert_eq!(
            said(&["x"], &[("AUTH_DB_SCHEMA", "pg_adapter")]),
            "AUTH_DB_SCHEMA: unknown database schema \"pg_adapter\" (expected \"tessera\", \"pg-adapter\", \"prisma\" or \"drizzle\")"
        );
        assert_eq!(said(&["x", "--schema"], &[]), "--schema needs a value");
        assert_eq!(said(&["x", "--force"], &[]), "unknown option \"--force\"");
        assert_eq!(
            said(&["x", "y"], &[]),
            "unexpected argument \"y\" (one database URL only)"
        );
        assert_eq!(
            said(&["--schema", "prisma"], &[]),
            "migrate needs a database URL (an argument or DATABASE_URL)"
        );
    }
}
