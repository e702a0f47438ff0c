// Reads the rows Tessera wrote (tessera_writes_grace) with @auth/drizzle-adapter 1.11.3:
// npx tsx sqlite_read_tessera.mjs <file>
import Database from "better-sqlite3"
import { drizzle } from "drizzle-orm/better-sqlite3"
import { DrizzleAdapter } from "@auth/drizzle-adapter"
import * as schema from "./sqlite.ts"
const sqlite = new Database(process.argv[2])
const a = DrizzleAdapter(drizzle(sqlite), { usersTable: schema.users, accountsTable: schema.accounts, sessionsTable: schema.sessions, verificationTokensTable: schema.verificationTokens })
const s = await a.getSessionAndUser("tessera-session-token")
console.log("drizzle session", s.session.expires.toISOString(), s.user.email, s.user.emailVerified.toISOString())
console.log("drizzle byAccount", (await a.getUserByAccount({ provider: "google", providerAccountId: "g-1" }))?.email)
console.log("drizzle token", (await a.useVerificationToken({ identifier: "grace@example.com", token: "hashed" }))?.expires.toISOString())
await a.deleteUser(s.user.id)
console.log("drizzle after delete", await a.getSessionAndUser("tessera-session-token"))
