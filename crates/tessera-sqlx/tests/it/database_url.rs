//! The app's own `DATABASE_URL`, unchanged: Prisma's `?schema=` finds the tables in that
//! PostgreSQL schema.

use tessera::adapter::NewUser;
use tessera_sqlx::Schema;

use crate::pg_schema::schema_with;

#[tokio::test]
async fn prismas_schema_parameter_is_the_search_path() {
    let Some(schema) = schema_with(include_str!("pg_adapter/schema.sql")).await else {
        return;
    };
    let base =
        std::env::var("TESSERA_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}schema={}&sslmode=disable", schema.name);
    let db = tessera_sqlx::connect_with_schema(&url, Schema::PgAdapter)
        .await
        .expect("the tables are found");
    let user = db
        .create_user(NewUser {
            email: Some("ada@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut conn = schema.conn().await;
    let stored: String = tessera_sqlx::sqlx::query_scalar("SELECT email FROM users WHERE id = $1::int")
        .bind(&user.id)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(stored, "ada@example.com");
    // Without the parameter the same URL names the default schema, where these tables are not.
    assert!(
        tessera_sqlx::connect_with_schema(&base, Schema::PgAdapter)
            .await
            .is_err()
    );
}
