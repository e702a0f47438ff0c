// Reads the rows Tessera wrote (tessera_writes_grace, files kept from a run of the tests)
// with @auth/prisma-adapter 2.11.3 on Prisma Client 6.19.3 + @prisma/adapter-better-sqlite3:
// the session, its user, the account, the token to the millisecond; then deleteUser.
const path = require("node:path")
const { PrismaBetterSQLite3 } = require("@prisma/adapter-better-sqlite3")
const { PrismaAdapter } = require("@auth/prisma-adapter")
async function run(label, a) {
  const s = await a.getSessionAndUser("tessera-session-token")
  console.log(label, "session", s.session.expires.toISOString(), s.session.userId === s.user.id, s.user.email, s.user.emailVerified.toISOString())
  const u = await a.getUserByAccount({ provider: "google", providerAccountId: "g-1" })
  console.log(label, "byAccount", u && u.email)
  const t = await a.useVerificationToken({ identifier: "grace@example.com", token: "hashed" })
  console.log(label, "token", t && t.expires.toISOString())
  await a.deleteUser(s.user.id)
  console.log(label, "deleted; session now", await a.getSessionAndUser("tessera-session-token"))
}
;(async () => {
  for (const [label, dir, file, fmt] of [["prisma authjs (empty->ms)", "run-authjs", "tessera-authjs-empty.db", "iso8601"], ["prisma authjs (iso)", "run-authjs", "tessera-authjs-iso.db", "iso8601"], ["prisma v4", "run-v4", "tessera-v4-empty.db", "unixepoch-ms"]]) {
    const { PrismaClient } = require(path.resolve(dir, "client"))
    const prisma = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: "file:" + file }, { timestampFormat: fmt }) })
    await run(label, PrismaAdapter(prisma))
    await prisma.$disconnect()
  }
})().catch((e) => { console.error(e); process.exit(1) })
