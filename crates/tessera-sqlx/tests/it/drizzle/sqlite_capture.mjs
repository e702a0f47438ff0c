// Runs @auth/drizzle-adapter (its default SQLite tables) on a file made from drizzle-kit's
// migration, with drizzle-orm's better-sqlite3 driver, and prints the rows it stores.
import Database from "better-sqlite3"
import { drizzle } from "drizzle-orm/better-sqlite3"
import { DrizzleAdapter } from "@auth/drizzle-adapter"
import { readFileSync, rmSync } from "node:fs"
import * as schema from "./sqlite.ts"

const file = process.argv[2]
rmSync(file, { force: true })
const sqlite = new Database(file)
for (const stmt of readFileSync(process.argv[3], "utf8").split("--> statement-breakpoint")) sqlite.exec(stmt)
const db = drizzle(sqlite, { logger: true })
const a = DrizzleAdapter(db, { usersTable: schema.users, accountsTable: schema.accounts, sessionsTable: schema.sessions, verificationTokensTable: schema.verificationTokens })
const user = await a.createUser({ id: "ignored", name: "Ada", email: "ada@example.com", emailVerified: new Date(1_760_000_000_000), image: "https://img/ada.png" })
console.log("createUser ->", user)
await a.linkAccount({ userId: user.id, type: "oauth", provider: "github", providerAccountId: "12345", access_token: "gho_at", expires_at: 1_900_000_000, token_type: "bearer", scope: "read:user user:email" })
await a.linkAccount({ userId: user.id, type: "oidc", provider: "keycloak", providerAccountId: "kc-1", id_token: "idt" })
await a.createSession({ sessionToken: "next-auth-session-token", userId: user.id, expires: new Date(1_900_000_000_123) })
await a.createVerificationToken({ identifier: "ada@example.com", token: "hashed-token", expires: new Date(1_900_000_000_123) })
for (const t of ["user", "account", "session", "verificationToken"]) {
  const rows = sqlite.prepare(`select * from "${t}"`).all()
  const types = sqlite.prepare(`select * from "${t}"`).raw().all()
  console.log(t, JSON.stringify(rows))
}
console.log("typeof", JSON.stringify(sqlite.prepare(`select typeof("emailVerified") a, (select typeof(expires) from session) b, (select typeof(expires) from verificationToken) c, (select typeof(expires_at) from account limit 1) d from "user"`).all()))
sqlite.close()
