// Tiny React app driving the UNMODIFIED next-auth/react client.
// Everything the tests need is exposed on `window`:
//   window.nextAuth         {getProviders, getCsrfToken, getSession, signIn, signOut}
//   window.__sessionStates  every distinct `status` useSession() reported, in order
//   window.__session        latest {status, data} seen by useSession()
//   window.__update         the current `update` function from useSession()
//   window.__appReady       true once the component has mounted
import React from "react";
import { createRoot } from "react-dom/client";
import {
  SessionProvider,
  getCsrfToken,
  getProviders,
  getSession,
  signIn,
  signOut,
} from "next-auth/react";
import { SessionView } from "./SessionView.jsx";
import { RequiredView } from "./RequiredView.jsx";

window.nextAuth = { getProviders, getCsrfToken, getSession, signIn, signOut };
window.__sessionStates = [];
window.__session = undefined;

function App() {
  const required = window.location.pathname.replace(/\/+$/, "").endsWith("/required");
  return <SessionProvider>{required ? <RequiredView /> : <SessionView />}</SessionProvider>;
}

createRoot(document.getElementById("root")).render(<App />);
