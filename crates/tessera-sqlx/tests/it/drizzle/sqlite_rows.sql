-- The rows @auth/drizzle-adapter 1.11.3 with drizzle-orm 0.45.4 on better-sqlite3 12.11.1 stored in SQLite for Ada, as sqlite3's .dump prints them, captured with
-- sqlite_capture.mjs beside this file (npx tsx sqlite_capture.mjs ada.db sqlite.sql)
-- (createUser with emailVerified 2025-10-09T08:53:20.000Z, linkAccount of a GitHub account
-- and of an OIDC one, createSession and createVerificationToken expiring
-- 2030-03-17T17:46:40.123Z). Left as captured.
INSERT INTO account VALUES('2d7cab97-163d-457b-a0d5-614431428cd9','oauth','github','12345',NULL,'gho_at',1900000000,'bearer','read:user user:email',NULL,NULL);
INSERT INTO account VALUES('2d7cab97-163d-457b-a0d5-614431428cd9','oidc','keycloak','kc-1',NULL,NULL,NULL,NULL,NULL,'idt',NULL);
INSERT INTO session VALUES('next-auth-session-token','2d7cab97-163d-457b-a0d5-614431428cd9',1900000000123);
INSERT INTO user VALUES('2d7cab97-163d-457b-a0d5-614431428cd9','Ada','ada@example.com',1760000000000,'https://img/ada.png');
INSERT INTO verificationToken VALUES('ada@example.com','hashed-token',1900000000123);
