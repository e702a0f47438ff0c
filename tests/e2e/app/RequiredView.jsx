import React from "react";
import { useExposedSession } from "./useExposedSession.jsx";

// useSession({required: true}): when signed out, next-auth/react itself navigates
// to /api/auth/signin?error=SessionRequired&callbackUrl=<this page>.
export function RequiredView() {
  const { status, data } = useExposedSession({ required: true });
  return (
    <main>
      <h1>Required session</h1>
      <p>
        status: <span id="status">{status}</span>
      </p>
      <p>
        name: <span id="name">{data?.user?.name ?? ""}</span>
      </p>
    </main>
  );
}
