-- The rows @auth/prisma-adapter 2.11.3 with Prisma Client 6.19.3 (engineType "client") on @prisma/adapter-better-sqlite3 6.19.3, timestampFormat "unixepoch-ms", stored in SQLite for Ada, as sqlite3's .dump prints them, captured with
-- capture.cjs beside this file (node capture.cjs authjs ada.db unixepoch-ms)
-- (createUser with emailVerified 2025-10-09T08:53:20.000Z, linkAccount of a GitHub account
-- and of an OIDC one, createSession and createVerificationToken expiring
-- 2030-03-17T17:46:40.123Z). Left as captured.
INSERT INTO User VALUES('cmx34setf0000u67dlget8pcz','Ada','ada@example.com',1760000000000,'https://img/ada.png',1796034869763,1796034869763);
INSERT INTO Account VALUES('cmx34setf0000u67dlget8pcz','oauth','github','12345',NULL,'gho_at',1900000000,'bearer','read:user user:email',NULL,NULL,1796034869773,1796034869773);
INSERT INTO Account VALUES('cmx34setf0000u67dlget8pcz','oidc','keycloak','kc-1',NULL,NULL,NULL,NULL,NULL,'idt',NULL,1796034869776,1796034869776);
INSERT INTO Session VALUES('next-auth-session-token','cmx34setf0000u67dlget8pcz',1900000000123,1796034869780,1796034869780);
INSERT INTO VerificationToken VALUES('ada@example.com','hashed-token',1900000000123);
