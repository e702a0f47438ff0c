// The browser suite (../nextauth-react.suite.mjs) against a real Next.js app whose
// /api/auth/* is rewritten to `tessera serve` (nextjs-front.mjs), and the app's hook
// route, which only Tessera's signed calls may use.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, test } from "node:test";
import { nextauthReactSuite } from "../nextauth-react.suite.mjs";
import { startNextFront } from "./nextjs-front.mjs";

const stack = nextauthReactSuite({
  title: "next-auth/react 4.24 in a Next.js app, /api/auth/* rewritten to tessera serve",
  start: startNextFront,
});

/** POSTs `body` to the app's hook route with the signature `sign(t, body)` (if any). */
async function callHook(body, sign) {
  const t = Math.floor(Date.now() / 1000);
  const headers = { "content-type": "application/json" };
  if (sign) headers["tessera-signature"] = `t=${t},v1=${sign(t, body)}`;
  return fetch(`http://127.0.0.1:${stack().appPort}/api/tessera/hooks`, { method: "POST", headers, body });
}

const hmac = (secret) => (t, body) => createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");

describe("the app's hooks", () => {
  test("answers Tessera's signed calls only", async () => {
    const call = (password) => JSON.stringify({ hook: "authorize", provider: "credentials", credentials: { username: "demo", password } });
    const signed = hmac(stack().hookSecret);

    const good = await callHook(call("demo"), signed);
    assert.equal(good.status, 200);
    assert.deepEqual(await good.json(), { user: { id: "1", name: "Demo User", email: "demo@example.com" } });
    const wrong = await callHook(call("wrong"), signed);
    assert.deepEqual(await wrong.json(), { user: null });

    assert.equal((await callHook(call("demo"))).status, 401, "unsigned");
    assert.equal((await callHook(call("demo"), hmac("another secret of enough length"))).status, 401, "another key");
    // The signature covers the exact bytes: the same JSON with a space more is refused.
    const tampered = await callHook(call("demo"), (t, body) => signed(t, body.replace(":", ": ")));
    assert.equal(tampered.status, 401, "a body other than the one signed");
  });
});
