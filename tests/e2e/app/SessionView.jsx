import React from "react";
import { useExposedSession } from "./useExposedSession.jsx";

export function SessionView() {
  const { status, data } = useExposedSession();
  return (
    <main>
      <h1>next-auth/react e2e</h1>
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
