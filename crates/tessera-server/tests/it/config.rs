//! `tessera.toml` and the environment: what is read, what wins, and every refusal with its
//! line, key and reason.

use std::collections::HashMap;

use tessera_server::{Config, ConfigError};

/// An environment holding `vars` and nothing else.
fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    move |name| map.get(name).cloned()
}

const SECRET: (&str, &str) = ("NEXTAUTH_SECRET", "0123456789abcdef-env-secret");

fn parse(text: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::parse(text, "tessera.toml", &env(vars))
}

fn refused(text: &str, vars: &[(&str, &str)]) -> ConfigError {
    match parse(text, vars) {
        Ok(config) => panic!("accepted: {config:?}"),
        Err(e) => e,
    }
}

const FULL: &str = r##"
url = "https://app.example.com"
secret = "file-secret-0123456789"
old_secrets = ["older-secret-0123456789"]
compat = "v5"
trust_host = false
allowed_hosts = ["app.example.com"]
trusted_proxies = ["10.0.0.0/8"]
use_secure_cookies = true
max_body_bytes = 65536

[server]
port = 8080
address = "127.0.0.1"
log_format = "json"
log_level = "info,tessera=debug"

[session]
strategy = "jwt"
max_age = "7d"
update_age = "1h"
jwt_max_age = "1d"
cache_ttl = "10s"
update = { name = 64 }

[database]
url = "postgres://tessera:db-password@db.internal/app"
schema = "pg-adapter"

[redis]
url = "redis://:redis-password@cache.internal:6379"
prefix = "app:"

[[providers]]
id = "github"
client_id = "Iv1.github"
client_secret = "github-client-secret"

[[providers]]
id = "corp"
type = "oidc"
name = "Corp SSO"
issuer = "https://sso.example.com"
client_id = "tessera"
client_secret = "corp-client-secret"

[[providers]]
id = "email"
type = "email"
server = "smtp://mailer:smtp-password@smtp.example.com:587"
from = "Example <noreply@example.com>"
max_age = "10m"

[[providers]]
id = "credentials"
type = "credentials"
name = "Password"
fields = [{ name = "email", label = "Email", type = "email" }, { name = "password", type = "password" }]

[pages]
sign_in = "/login"
error = "/auth/error"

[theme]
color_scheme = "dark"
brand_color = "#7c3aed"

[rate_limits]
credentials_per_client = { max = 50, window = "15m" }
email_per_address = false

[hooks]
secret = "hook-secret-0123456789"
timeout = "2s"
authorize = "http://127.0.0.1:4000/authorize"
sign_in = "http://127.0.0.1:4000/sign-in"
"##;

#[test]
fn a_full_file_is_read() {
    let config = parse(FULL, &[]).unwrap();
    assert_eq!(config.port(), 8080);
    assert_eq!(config.listen_addr().to_string(), "127.0.0.1:8080");
    assert_eq!(config.log_format(), tessera_server::LogFormat::Json);
    assert_eq!(config.log_level(), Some("info,tessera=debug"));
    let debug = format!("{config:?}");
    for secret in [
        "file-secret",
        "older-secret",
        "db-password",
        "redis-password",
        "github-client-secret",
        "corp-client-secret",
        "smtp-password",
        "hook-secret",
    ] {
        assert!(!debug.contains(secret), "Debug shows {secret}: {debug}");
    }
    for shown in [
        "jwt_max_age: Some(86400s)",
        "Corp SSO",
        "PgAdapter",
        "/login",
        "#7c3aed",
        "AuthJsV5",
        "Jwt",
    ] {
        assert!(debug.contains(shown), "Debug lacks {shown}: {debug}");
    }
}

#[test]
fn the_environment_wins_over_the_file() {
    let vars = [
        ("NEXTAUTH_URL", "https://env.example.com"),
        ("PORT", "9999"),
        ("AUTH_COMPAT", "v4"),
        ("DATABASE_URL", "postgres://env-db/app"),
        ("AUTH_DB_SCHEMA", "prisma"),
        ("TESSERA_LOG_FORMAT", "text"),
        ("RUST_LOG", "warn"),
        SECRET,
    ];
    let config = parse(FULL, &vars).unwrap();
    assert_eq!(config.port(), 9999);
    assert_eq!(config.log_format(), tessera_server::LogFormat::Text);
    assert_eq!(config.log_level(), Some("warn"));
    let debug = format!("{config:?}");
    assert!(debug.contains("https://env.example.com"), "{debug}");
    assert!(debug.contains("NextAuthV4"), "{debug}");
    assert!(debug.contains("Prisma"), "{debug}");
}

#[test]
fn without_a_file_the_environment_alone_configures_the_server() {
    let vars = [
        SECRET,
        ("AUTH_GITHUB_ID", "gh-id"),
        ("AUTH_GITHUB_SECRET", "gh-secret"),
        ("AUTH_KEYCLOAK_ID", "kc-id"),
        ("AUTH_KEYCLOAK_SECRET", "kc-secret"),
        ("AUTH_KEYCLOAK_ISSUER", "https://sso.example.com/realms/main"),
        ("EMAIL_SERVER", "smtp://127.0.0.1:2525"),
        ("EMAIL_FROM", "noreply@example.com"),
        ("DATABASE_URL", "postgres://127.0.0.1/test"),
    ];
    let config = Config::load(Some(std::path::Path::new("/nonexistent/tessera.toml")), &env(&vars));
    assert!(
        config.unwrap_err().to_string().contains("cannot read"),
        "a named file must exist"
    );
    // `Config::load(None, …)` reads ./tessera.toml when present, and nothing when it is
    // absent: `parse("")` is that configuration without touching the working directory.
    let config = Config::parse("", "environment", &env(&vars)).unwrap();
    let debug = format!("{config:?}");
    for id in ["\"github\"", "\"keycloak\"", "\"email\""] {
        assert!(debug.contains(id), "{id} missing: {debug}");
    }
    assert!(
        debug.contains("Database"),
        "a database means database sessions: {debug}"
    );
    assert!(!debug.contains("gh-secret") && !debug.contains("kc-secret"));
}

#[test]
fn environment_presets_are_not_added_to_a_file_that_lists_providers() {
    let file = "[[providers]]\nid = \"google\"\nclient_id = \"g\"\nclient_secret = \"s\"\n";
    let config = parse(file, &[SECRET, ("AUTH_GITHUB_ID", "a"), ("AUTH_GITHUB_SECRET", "b")]).unwrap();
    let debug = format!("{config:?}");
    assert!(debug.contains("\"google\"") && !debug.contains("\"github\""), "{debug}");
}

#[test]
fn provider_credentials_come_from_the_environment_under_the_providers_id() {
    let file = "[[providers]]\nid = \"work\"\npreset = \"github\"\nname = \"GitHub (work)\"\n";
    let error = refused(file, &[]);
    assert_eq!(error.line(), Some(1));
    assert!(error.to_string().contains("AUTH_WORK_ID"), "{error}");
    let config = parse(file, &[("AUTH_WORK_ID", "id"), ("AUTH_WORK_SECRET", "s")]).unwrap();
    assert!(format!("{config:?}").contains("GitHub (work)"));
}

/// Each broken file: the line, the key and the words the message must hold.
#[test]
fn mistakes_are_refused_with_line_key_and_reason() {
    let cases: &[(&str, Option<usize>, &str, &str)] = &[
        (
            "url = \"x\"\nsecrt = \"y\"\n",
            Some(2),
            "secrt",
            "unknown field `secrt`",
        ),
        (
            "[session]\nstrategy = \"jwtt\"\n",
            Some(2),
            "session.strategy",
            "expected `jwt` or `database`",
        ),
        (
            "[session]\nmax_age = \"3 weeks\"\n",
            Some(2),
            "session.max_age",
            "\"30d\"",
        ),
        ("[session]\nmax_age = -5\n", Some(2), "session.max_age", "negative"),
        ("[server]\nport = 70000\n", Some(2), "server.port", ""),
        ("[server]\naddress = \"localhost\"\n", Some(2), "server.address", ""),
        ("compat = \"v6\"\n", Some(1), "compat", "v4"),
        (
            "[database]\nurl = \"postgres://x\"\nschema = \"mongo\"\n",
            Some(3),
            "database.schema",
            "mongo",
        ),
        (
            "[rate_limits]\nemail_per_client = true\n",
            Some(2),
            "rate_limits.email_per_client",
            "false",
        ),
        (
            "[rate_limits]\nemail_per_hour = false\n",
            Some(2),
            "rate_limits.email_per_hour",
            "unknown field",
        ),
        (
            "[theme]\ncolor_scheme = \"blue\"\n",
            Some(2),
            "theme.color_scheme",
            "dark",
        ),
        (
            "[[providers]]\nid = \"gitbub\"\nclient_id = \"a\"\n",
            Some(1),
            "providers[0].id",
            "not a preset",
        ),
        (
            "[[providers]]\nid = \"corp\"\ntype = \"oauth\"\nclient_id = \"c\"\n",
            Some(1),
            "providers[0].authorization",
            "missing",
        ),
        (
            "[[providers]]\nid = \"corp\"\ntype = \"oidc\"\nfields = []\nserver = \"smtp://x\"\n",
            Some(1),
            "providers[0].server",
            "type oidc",
        ),
        (
            "[[providers]]\nid = \"github\"\ntoken = \"https://x\"\n",
            Some(1),
            "providers[0].token",
            "type preset",
        ),
        (
            "[[providers]]\nid = \"github\"\npreset = \"github\"\ntype = \"oauth\"\n",
            Some(1),
            "providers[0].preset",
            "remove one",
        ),
        (
            "[[providers]]\nid = \"login\"\ntype = \"credentials\"\n",
            Some(1),
            "providers[0].type",
            "[hooks] authorize",
        ),
        (
            "[[providers]]\nid = \"mail\"\ntype = \"email\"\nfrom = \"a@b.c\"\n",
            Some(1),
            "providers[0].server",
            "EMAIL_SERVER",
        ),
        (
            "[[providers]]\nid = \"mail\"\ntype = \"emial\"\n",
            Some(3),
            "providers[0].type",
            "unknown variant",
        ),
        (
            "[hooks]\nauthorize = \"http://127.0.0.1:1/a\"\n",
            None,
            "hooks.secret",
            "TESSERA_HOOK_SECRET",
        ),
        ("[hooks]\nsecret = \"short\"\n", None, "hooks.secret", "at least 16"),
        (
            "[hooks]\nsecret = \"0123456789abcdef\"\njwt = \"ftp://x/jwt\"\n",
            None,
            "hooks.jwt",
            "http or https",
        ),
        (
            "[session]\nupdate = { name = 9999 }\n",
            None,
            "session.update.name",
            "at most 2048",
        ),
        (
            "[session]\nstrategy = \"database\"\n",
            None,
            "session.strategy",
            "needs a database",
        ),
        (
            "[session]\nupdate = { email = 100 }\n",
            None,
            "session.update.email",
            "only",
        ),
        (
            "[session]\nupdate = { name = 0 }\n",
            None,
            "session.update.name",
            "at least 1",
        ),
        (
            "[session]\nupdate = { name = 9 }\n[hooks]\nsecret = \"0123456789abcdef\"\njwt = \"http://127.0.0.1:1/jwt\"\n",
            None,
            "session.update",
            "jwt hook",
        ),
        (
            "[database]\nschema = \"prisma\"\n",
            None,
            "database.url",
            "DATABASE_URL",
        ),
        (
            "url = \"https://x\"\nurl = \"https://y\"\n",
            Some(2),
            "",
            "duplicate key",
        ),
        ("[session\n", Some(1), "", ""),
    ];
    for (text, line, key, words) in cases {
        let error = refused(text, &[SECRET]);
        let shown = error.to_string();
        assert_eq!(error.line(), *line, "line of {shown:?} for {text:?}");
        assert_eq!(error.key(), *key, "key of {shown:?} for {text:?}");
        assert!(shown.contains(words), "{shown:?} lacks {words:?} for {text:?}");
        assert!(shown.starts_with("tessera.toml"), "{shown:?}");
    }
}

#[test]
fn the_second_provider_is_named_at_its_own_line() {
    let text = "[[providers]]\nid = \"github\"\nclient_id = \"a\"\nclient_secret = \"b\"\n\n[[providers]]\nid = \"corp\"\ntype = \"oidc\"\nclient_id = \"c\"\n";
    let error = refused(text, &[SECRET]);
    assert_eq!(error.line(), Some(6), "{error}");
    assert_eq!(error.key(), "providers[1].issuer");
    assert!(error.to_string().contains("AUTH_CORP_ISSUER"), "{error}");
}

#[test]
fn bad_environment_values_name_the_variable() {
    for (var, value, words) in [
        ("PORT", "eighty", "port number"),
        ("AUTH_COMPAT", "v3", "v5"),
        ("AUTH_DB_SCHEMA", "mongo", "mongo"),
        ("AUTH_TRUST_HOST", "maybe", "true or false"),
        ("TESSERA_LOG_FORMAT", "xml", "json"),
    ] {
        let error = refused("", &[SECRET, ("DATABASE_URL", "postgres://x"), (var, value)]);
        assert_eq!(error.key(), var);
        assert_eq!(error.line(), None);
        let shown = error.to_string();
        assert!(shown.starts_with(&format!("environment: {var}: ")), "{shown}");
        assert!(shown.contains(words), "{shown}");
    }
}

/// A password provider with its database and email provider; `extra` goes into its entry.
fn password_file(extra: &str) -> String {
    format!(
        "[database]\nurl = \"sqlite::memory:\"\n\n[[providers]]\nid = \"email\"\ntype = \"email\"\nserver = \"smtp://127.0.0.1:2525\"\nfrom = \"a@b.c\"\n\n[[providers]]\nid = \"password\"\ntype = \"password\"\n{extra}"
    )
}

#[test]
fn a_password_provider_is_read_with_its_options() {
    let config = parse(
        &password_file("require_verified_email = false\nemail_provider = \"email\"\nreset_link_max_age = \"15m\"\n"),
        &[SECRET],
    )
    .unwrap();
    let debug = format!("{config:?}");
    for shown in [
        "Password { id: \"password\"",
        "require_verified_email: Some(false)",
        "email_provider: Some(\"email\")",
        "reset_link_max_age: Some(900s)",
    ] {
        assert!(debug.contains(shown), "Debug lacks {shown}: {debug}");
    }
    // The defaults: left to the engine (wait for verification, one hour, the only mailer).
    let config = parse(&password_file(""), &[SECRET]).unwrap();
    let debug = format!("{config:?}");
    assert!(
        debug.contains("require_verified_email: None, email_provider: None, reset_link_max_age: None"),
        "{debug}"
    );
}

#[test]
fn a_password_provider_without_what_it_needs_is_refused_at_its_line() {
    let line = Some(10);
    let cases: Vec<(String, &str, &str)> = vec![
        (
            password_file("reset_link_max_age = \"2d\"\n"),
            "providers[1].reset_link_max_age",
            "at most a day",
        ),
        (
            password_file("from = \"a@b.c\"\n"),
            "providers[1].from",
            "not a setting of a provider of type password",
        ),
        (
            password_file("email_provider = \"mailer\"\n"),
            "providers[1].email_provider",
            "\"mailer\" is not an email provider of this file (email providers: email)",
        ),
        (
            password_file("").replace(
                "url = \"sqlite::memory:\"\n\n",
                "url = \"sqlite::memory:\"\nschema = \"prisma\"\n",
            ),
            "providers[1].type",
            "Tessera's own tables",
        ),
        (
            password_file("").replace("[database]\nurl = \"sqlite::memory:\"\n", "\n\n"),
            "providers[1].type",
            "add [database] url, or set DATABASE_URL",
        ),
        (
            password_file("").replace(
                "id = \"email\"\ntype = \"email\"\nserver = \"smtp://127.0.0.1:2525\"\nfrom = \"a@b.c\"\n",
                "id = \"github\"\nclient_id = \"x\"\nclient_secret = \"y\"\n\n",
            ),
            "providers[1].type",
            "add a provider of type \"email\"",
        ),
    ];
    for (text, key, words) in cases {
        let error = refused(&text, &[SECRET]);
        let shown = error.to_string();
        assert_eq!(error.key(), key, "{shown}");
        assert_eq!(error.line(), line, "{shown}");
        assert!(shown.contains(words), "{shown:?} lacks {words:?}");
    }
    // Two email providers: the file must say which one mails.
    let two = password_file("").replace(
        "[[providers]]\nid = \"password\"",
        "[[providers]]\nid = \"email2\"\ntype = \"email\"\nserver = \"smtp://127.0.0.1:2525\"\nfrom = \"a@b.c\"\n\n[[providers]]\nid = \"password\"",
    );
    let error = refused(&two, &[SECRET]);
    assert_eq!(error.key(), "providers[2].email_provider", "{error}");
    assert!(error.to_string().contains("email, email2"), "{error}");
    assert!(
        parse(
            &two.replace(
                "type = \"password\"\n",
                "type = \"password\"\nemail_provider = \"email2\"\n"
            ),
            &[SECRET]
        )
        .is_ok()
    );
    // An option of the password provider on another kind.
    let error = refused(
        "[[providers]]\nid = \"mail\"\ntype = \"email\"\nserver = \"smtp://x\"\nfrom = \"a@b.c\"\nrequire_verified_email = true\n",
        &[SECRET],
    );
    assert_eq!(error.key(), "providers[0].require_verified_email", "{error}");
}
