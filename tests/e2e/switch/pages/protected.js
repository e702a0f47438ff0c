// A page rendered on the server for signed-in visitors only, usable without JavaScript:
// next-auth 4's getSession({req}) asks /api/auth/session with the visitor's cookie (through
// NEXTAUTH_URL, so through the rewrite to Tessera when the app is built with it).
import { getSession } from "next-auth/react";

export async function getServerSideProps({ req }) {
  const session = await getSession({ req });
  if (!session) {
    return { redirect: { destination: `/api/auth/signin?${new URLSearchParams({ callbackUrl: "/protected" })}`, permanent: false } };
  }
  return { props: { user: { name: session.user?.name ?? null, email: session.user?.email ?? null } } };
}

export default function Protected({ user }) {
  return (
    <main>
      <h1>Protected</h1>
      <p>
        Signed in as <span id="name">{user.name}</span> ({user.email})
      </p>
    </main>
  );
}
