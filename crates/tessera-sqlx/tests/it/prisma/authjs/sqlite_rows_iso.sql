-- The rows @auth/prisma-adapter 2.11.3 with Prisma Client 6.19.3 (engineType "client") on @prisma/adapter-better-sqlite3 6.19.3, timestampFormat "iso8601" (its default), stored in SQLite for Ada, as sqlite3's .dump prints them, captured with
-- capture.cjs beside this file (node capture.cjs authjs ada.db iso8601)
-- (createUser with emailVerified 2025-10-09T08:53:20.000Z, linkAccount of a GitHub account
-- and of an OIDC one, createSession and createVerificationToken expiring
-- 2030-03-17T17:46:40.123Z). Left as captured.
INSERT INTO User VALUES('cmx34vize0000md7d7qkn1vpc','Ada','ada@example.com','2025-10-09T08:53:20.000+00:00','https://img/ada.png','2026-11-30T10:36:55.130+00:00','2026-11-30T10:36:55.130+00:00');
INSERT INTO Account VALUES('cmx34vize0000md7d7qkn1vpc','oauth','github','12345',NULL,'gho_at',1900000000,'bearer','read:user user:email',NULL,NULL,'2026-11-30T10:36:55.143+00:00','2026-11-30T10:36:55.143+00:00');
INSERT INTO Account VALUES('cmx34vize0000md7d7qkn1vpc','oidc','keycloak','kc-1',NULL,NULL,NULL,NULL,NULL,'idt',NULL,'2026-11-30T10:36:55.147+00:00','2026-11-30T10:36:55.147+00:00');
INSERT INTO Session VALUES('next-auth-session-token','cmx34vize0000md7d7qkn1vpc','2030-03-17T17:46:40.123+00:00','2026-11-30T10:36:55.150+00:00','2026-11-30T10:36:55.150+00:00');
INSERT INTO VerificationToken VALUES('ada@example.com','hashed-token','2030-03-17T17:46:40.123+00:00');
