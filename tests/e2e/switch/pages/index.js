// The app's page: the session as useSession() sees it, and buttons for update({name}) and
// signOut(). The test also drives next-auth/react through window.nextAuth.
import { useEffect, useState } from "react";
import { getSession, signIn, signOut, useSession } from "next-auth/react";

export default function Home() {
  const { data, status, update } = useSession();
  const [name, setName] = useState("");
  useEffect(() => {
    window.nextAuth = { getSession, signIn, signOut };
    window.__update = update;
    window.__session = { status, data };
    window.__appReady = true;
  }, [status, data, update]);
  return (
    <main>
      <h1>Tessera switch test app</h1>
      <p id="status">{status}</p>
      <pre id="session">{JSON.stringify(data)}</pre>
      <input id="name" value={name} onChange={(e) => setName(e.target.value)} />
      <button id="update" onClick={() => update({ name })}>
        Change name
      </button>
      <button id="signout" onClick={() => signOut({ redirect: false })}>
        Sign out
      </button>
    </main>
  );
}
