// Runs @auth/prisma-adapter (2.11.3) with Prisma Client 6.19.3 (engineType "client") on
// @prisma/adapter-better-sqlite3 over a file made from `prisma migrate diff`'s SQL, and
// prints the rows it stores. argv: <schema dir> <db file> <timestampFormat>
const path = require("node:path")
const fs = require("node:fs")
const Database = require("better-sqlite3")
const { PrismaBetterSQLite3 } = require("@prisma/adapter-better-sqlite3")
const dir = path.resolve(process.argv[2]) // a copy of sqlite.prisma + sqlite.sql as schema.prisma + schema.sql, generated with output = "./client"
const { PrismaClient } = require(path.join(dir, "client"))
const { PrismaAdapter } = require("@auth/prisma-adapter")
const file = process.argv[3]
const timestampFormat = process.argv[4]
;(async () => {
  fs.rmSync(file, { force: true })
  const raw = new Database(file)
  raw.exec(fs.readFileSync(path.join(dir, "schema.sql"), "utf8"))
  const prisma = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: "file:" + file }, { timestampFormat }), log: ["query"] })
  prisma.$on?.("query", (e) => console.log("Query:", e.query, e.params))
  const a = PrismaAdapter(prisma)
  const user = await a.createUser({ id: "ignored", name: "Ada", email: "ada@example.com", emailVerified: new Date(1_760_000_000_000), image: "https://img/ada.png" })
  console.log("createUser ->", user)
  await a.linkAccount({ userId: user.id, type: "oauth", provider: "github", providerAccountId: "12345", access_token: "gho_at", expires_at: 1_900_000_000, token_type: "bearer", scope: "read:user user:email" })
  await a.linkAccount({ userId: user.id, type: "oidc", provider: "keycloak", providerAccountId: "kc-1", id_token: "idt" })
  await a.createSession({ sessionToken: "next-auth-session-token", userId: user.id, expires: new Date(1_900_000_000_123) })
  await a.createVerificationToken({ identifier: "ada@example.com", token: "hashed-token", expires: new Date(1_900_000_000_123) })
  for (const t of ["User", "Account", "Session", "VerificationToken"]) {
    console.log(t, JSON.stringify(raw.prepare(`select * from "${t}"`).all()))
    console.log(t, "types", JSON.stringify(raw.prepare(`select ${raw.prepare(`select name from pragma_table_info('${t}')`).pluck().all().map(c => `typeof("${c}") as "${c}"`).join(", ")} from "${t}"`).all()))
  }
  // Rows another writer stored: integer ms, ISO text with +00:00 and with Z, SQLite's own text.
  if (process.argv[5]) {
    const probe = raw.prepare(`select "sessionToken" from "Session" limit 1`).pluck().get()
    for (const v of [1900000000123, "2030-03-17T17:46:40.123+00:00", "2030-03-17T17:46:40.123Z", "2030-03-17 17:46:40"]) {
      raw.prepare(`update "Session" set expires = ?`).run(v)
      try { const s = await a.getSessionAndUser(probe); console.log("read", JSON.stringify(v), "->", s.session.expires.toISOString()) } catch (e) { console.log("read", JSON.stringify(v), "-> error", e.message.split("\n").slice(-1)[0]) }
    }
  }
  await prisma.$disconnect()
  raw.close()
})().catch((e) => { console.error(e); process.exit(1) })
