// The browser suite's app (tests/e2e/app/) as pages of this Next.js app, for the suite's
// run with the app in front of `tessera serve` (nextjs-front.test.mjs). What the tests read
// is on `window`, as in tests/e2e/app/main.jsx:
//   window.nextAuth         {getProviders, getCsrfToken, getSession, signIn, signOut}
//   window.__sessionStates  every distinct `status` useSession() reported, in order
//   window.__session        latest {status, data} seen by useSession()
//   window.__update         the current `update` function from useSession()
//   window.__appReady       true once the component has mounted
import { useEffect, useRef } from "react";
import { getCsrfToken, getProviders, getSession, signIn, signOut, useSession } from "next-auth/react";

if (typeof window !== "undefined") {
  window.nextAuth = { getProviders, getCsrfToken, getSession, signIn, signOut };
  window.__sessionStates = [];
  window.__session = undefined;
}

/** useSession(options), mirrored onto `window` for the tests. */
export function useExposedSession(options) {
  const result = useSession(options);
  const { status, data, update } = result;
  const last = useRef(null);
  // `update` closes over the provider's current state, so always expose the latest one.
  if (typeof window !== "undefined") window.__update = update;
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
  return result;
}

/** The page: status, name and session as useSession() reports them. */
export function SessionView({ title, options }) {
  const { status, data } = useExposedSession(options);
  return (
    <main>
      <h1>{title}</h1>
      <p>
        status: <span id="status">{status}</span>
      </p>
      <p>
        name: <span id="name">{data?.user?.name ?? ""}</span>
      </p>
      <pre id="session">{JSON.stringify(data ?? null)}</pre>
    </main>
  );
}
