// Tiny React app driving the UNMODIFIED next-auth/react of next-auth 5 (beta), as
// ../app/main.jsx does for next-auth 4. Exposed on `window` for the tests:
//   window.nextAuth         {getProviders, getCsrfToken, getSession, signIn, signOut}
//   window.__sessionStates  every distinct `status` useSession() reported, in order
//   window.__session        latest {status, data} seen by useSession()
//   window.__update         the current `update` function from useSession()
//   window.__appReady       true once the component has mounted
// `?refetch_interval=<seconds>` sets the provider's polling interval.
import React, { useEffect, useRef } from "react";
import { createRoot } from "react-dom/client";
import { SessionProvider, getCsrfToken, getProviders, getSession, signIn, signOut, useSession } from "next-auth/react";

window.nextAuth = { getProviders, getCsrfToken, getSession, signIn, signOut };
window.__sessionStates = [];
window.__session = undefined;

function SessionView() {
  const { status, data, update } = useSession();
  const last = useRef(null);
  window.__update = update;
  useEffect(() => {
    if (last.current !== status) {
      window.__sessionStates.push(status);
      last.current = status;
    }
    window.__session = { status, data: data ?? null };
  }, [status, data]);
  useEffect(() => {
    window.__appReady = true;
  }, []);
  return (
    <main>
      <h1>next-auth 5 e2e</h1>
      <p>
        status: <span id="status">{status}</span>
      </p>
      <p>
        name: <span id="name">{data?.user?.name ?? ""}</span>
      </p>
    </main>
  );
}

const refetchInterval = Number(new URLSearchParams(window.location.search).get("refetch_interval") ?? 0);

createRoot(document.getElementById("root")).render(
  <SessionProvider refetchInterval={refetchInterval}>
    <SessionView />
  </SessionProvider>,
);
