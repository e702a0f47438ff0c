-- The rows @auth/prisma-adapter 2.11.3 (its v4 predecessor @next-auth/prisma-adapter writes the same rows through Prisma Client) with Prisma Client 6.19.3 (engineType "client") on @prisma/adapter-better-sqlite3 6.19.3, timestampFormat "iso8601" (its default), stored in SQLite for Ada, as sqlite3's .dump prints them, captured with
-- ../authjs/capture.cjs (node capture.cjs v4 ada.db iso8601)
-- (createUser with emailVerified 2025-10-09T08:53:20.000Z, linkAccount of a GitHub account
-- and of an OIDC one, createSession and createVerificationToken expiring
-- 2030-03-17T17:46:40.123Z). Left as captured.
INSERT INTO Account VALUES('cmx34sf0z0001uf7dhq0em920','cmx34sf0n0000uf7dxkwfkbgb','oauth','github','12345',NULL,'gho_at',1900000000,'bearer','read:user user:email',NULL,NULL);
INSERT INTO Account VALUES('cmx34sf140002uf7damd89lt1','cmx34sf0n0000uf7dxkwfkbgb','oidc','keycloak','kc-1',NULL,NULL,NULL,NULL,NULL,'idt',NULL);
INSERT INTO Session VALUES('cmx34sf180003uf7dpl18mf6i','next-auth-session-token','cmx34sf0n0000uf7dxkwfkbgb','2030-03-17T17:46:40.123+00:00');
INSERT INTO User VALUES('cmx34sf0n0000uf7dxkwfkbgb','Ada','ada@example.com','2025-10-09T08:53:20.000+00:00','https://img/ada.png');
INSERT INTO VerificationToken VALUES('ada@example.com','hashed-token','2030-03-17T17:46:40.123+00:00');
