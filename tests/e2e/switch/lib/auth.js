// next-auth 4 options for the app: @auth/pg-adapter on PostgreSQL, an email provider and an
// OpenID Connect provider, database sessions (or JWT with SESSION_STRATEGY=jwt, read at run
// time). Everything comes from the environment the test sets:
//   NEXTAUTH_URL, NEXTAUTH_SECRET   as for any next-auth app
//   DATABASE_URL                    postgres://…
//   EMAIL_SERVER, EMAIL_FROM        the email provider (nodemailer)
//   OIDC_ISSUER                     the OpenID Connect provider (client tessera/tessera-secret)
import { Pool } from "pg";
import PostgresAdapter from "@auth/pg-adapter";
import EmailProvider from "next-auth/providers/email";

// DATABASE_URL may carry libpq's `options=-c search_path=…` (the test's own schema): node-postgres
// passes it to the server, and so does Tessera, which gets the same DATABASE_URL.
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });

const adapter = PostgresAdapter(pool);

/** The longest name update() may set (as Tessera's `[session] update = { name = 64 }`). */
const MAX_NAME = 64;

function newName(data) {
  const name = data?.name;
  return typeof name === "string" && name.length > 0 && name.length <= MAX_NAME ? name : undefined;
}

const oidc = {
  id: "oidc",
  name: "Loopback OIDC",
  type: "oauth",
  wellKnown: `${process.env.OIDC_ISSUER}/.well-known/openid-configuration`,
  authorization: { params: { scope: "openid email profile" } },
  idToken: true,
  checks: ["pkce", "state", "nonce"],
  clientId: "tessera",
  clientSecret: "tessera-secret",
  profile(profile) {
    return { id: profile.sub, name: profile.name, email: profile.email, image: profile.picture };
  },
};

/** @type {import('next-auth').AuthOptions} */
export const authOptions = {
  adapter,
  secret: process.env.NEXTAUTH_SECRET,
  session: { strategy: process.env.SESSION_STRATEGY === "jwt" ? "jwt" : "database" },
  providers: [
    EmailProvider({ server: process.env.EMAIL_SERVER, from: process.env.EMAIL_FROM }),
    oidc,
  ],
  callbacks: {
    // update({name}) of a database session: the new name is stored on the user and the
    // session shows it (what Tessera's `[session] update = { name = 64 }` does).
    async session({ session, user, token, trigger, newSession }) {
      if (user && trigger === "update") {
        const name = newName(newSession);
        if (name) {
          await adapter.updateUser({ id: user.id, name });
          session.user.name = name;
        }
      }
      return session;
    },
    // With JWT sessions the new name goes into the token only (as Tessera does). At sign-in
    // the app keeps data of its own in the token: a role, and for the addresses starting
    // with "big-" enough more to make next-auth split the cookie in chunks.
    async jwt({ token, user, trigger, session }) {
      if (user) {
        token.role = "editor";
        if (user.email?.startsWith("big-")) token.notes = "n".repeat(5000);
      }
      const name = trigger === "update" ? newName(session) : undefined;
      if (name) token.name = name;
      return token;
    },
  },
};
