// The tables @auth/drizzle-adapter defines itself when it is given none
// (`defineTables()` in its lib/pg.js), which declare the composite primary keys.
import { defineTables } from "../node_modules/@auth/drizzle-adapter/lib/pg.js" // 1.11.3; not an exported path

export const {
  usersTable,
  accountsTable,
  sessionsTable,
  verificationTokensTable,
  authenticatorsTable,
} = defineTables()
