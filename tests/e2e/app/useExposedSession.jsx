import { useEffect, useRef } from "react";
import { useSession } from "next-auth/react";

// Wraps useSession() and mirrors what it reports onto `window` for the tests.
export function useExposedSession(options) {
  const result = useSession(options);
  const { status, data, update } = result;
  const last = useRef(null);
  // `update` closes over the provider's current state, so always expose the latest one.
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
  return result;
}
