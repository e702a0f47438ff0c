//! The `DATABASE_URL` forms next-auth apps already have, read as their own tools read
//! them: Prisma's `?schema=` and node-postgres's `sslmode=no-verify`, which sqlx would
//! otherwise ignore or refuse. A team switching to Tessera passes its URL unchanged.

use tessera::adapter::AdapterError;

/// `url` with the parameters sqlx reads differently rewritten:
///
/// * `schema=<name>` (Prisma: the tables live in that PostgreSQL schema) becomes
///   `options=-c search_path=<name>` (added to any `options` already there);
/// * `sslmode=no-verify` (node-postgres: TLS without checking the certificate) becomes
///   `sslmode=require`, which means the same to sqlx.
///
/// Any other URL is returned as it is. A schema name that is not a plain identifier is
/// refused rather than passed into a server option. [`PostgresAdapter::connect`](crate::PostgresAdapter::connect)
/// applies it; call it for connections of your own to the same database.
///
/// ```
/// let url = tessera_sqlx::sqlx_url("postgresql://db/app?schema=auth&sslmode=no-verify")?;
/// assert_eq!(url, "postgresql://db/app?sslmode=require&options=-c+search_path%3Dauth");
/// # Ok::<_, tessera::adapter::AdapterError>(())
/// ```
pub fn for_sqlx(url: &str) -> Result<String, AdapterError> {
    if !url.contains('?') {
        return Ok(url.to_owned());
    }
    let mut parsed = url::Url::parse(url).map_err(|e| AdapterError::Backend(format!("bad database URL: {e}")))?;
    let mut schema = None;
    let mut options = None;
    let mut rewritten = false;
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (key, value) in parsed.query_pairs() {
        match (key.as_ref(), value.as_ref()) {
            ("schema", name) => {
                if name.is_empty()
                    || name.len() > 63
                    || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    || name.as_bytes()[0].is_ascii_digit()
                {
                    return Err(AdapterError::Backend(format!(
                        "the database URL's schema={name:?} is not a plain PostgreSQL identifier (letters, digits, _)"
                    )));
                }
                schema = Some(name.to_owned());
                rewritten = true;
            }
            ("options", value) => options = Some(value.to_owned()),
            ("sslmode", "no-verify") => {
                pairs.push(("sslmode".into(), "require".into()));
                rewritten = true;
            }
            (key, value) => pairs.push((key.to_owned(), value.to_owned())),
        }
    }
    if !rewritten {
        return Ok(url.to_owned());
    }
    let options = match (options, schema) {
        (Some(options), Some(schema)) => Some(format!("{options} -c search_path={schema}")),
        (None, Some(schema)) => Some(format!("-c search_path={schema}")),
        (options, None) => options,
    };
    pairs.extend(options.map(|o| ("options".to_owned(), o)));
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    Ok(parsed.into())
}

#[cfg(test)]
mod tests {
    use super::for_sqlx;

    #[test]
    fn prisma_schema_becomes_the_search_path() {
        assert_eq!(
            for_sqlx("postgresql://u:p@db:5432/app?schema=auth").unwrap(),
            "postgresql://u:p@db:5432/app?options=-c+search_path%3Dauth"
        );
        assert_eq!(
            for_sqlx("postgresql://db/app?options=-c%20statement_timeout%3D5000&schema=auth&connect_timeout=10")
                .unwrap(),
            "postgresql://db/app?connect_timeout=10&options=-c+statement_timeout%3D5000+-c+search_path%3Dauth"
        );
    }

    #[test]
    fn node_postgres_no_verify_is_require() {
        assert_eq!(
            for_sqlx("postgres://db/app?sslmode=no-verify").unwrap(),
            "postgres://db/app?sslmode=require"
        );
    }

    #[test]
    fn other_urls_are_left_alone() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/test",
            "postgres://db/app?sslmode=verify-full&application_name=x",
            "postgres://db/app?options[search_path]=s1",
        ] {
            assert_eq!(for_sqlx(url).unwrap(), url);
        }
    }

    #[test]
    fn schema_names_that_are_not_identifiers_are_refused() {
        for bad in ["a b", "a;DROP", "1abc", "", "x-y", "é"] {
            let url = format!(
                "postgres://db/app?schema={}",
                url::form_urlencoded::byte_serialize(bad.as_bytes()).collect::<String>()
            );
            assert!(for_sqlx(&url).is_err(), "{bad:?} accepted");
        }
    }
}
