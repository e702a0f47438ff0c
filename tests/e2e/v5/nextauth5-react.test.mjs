// End-to-end: the unmodified next-auth/react of next-auth 5 (beta), bundled into a tiny
// React app, in headless Chromium against the Tessera demo in Auth.js v5 mode
// (AUTH_COMPAT=v5), through the same-origin proxy of ../server.mjs. What it checks is what
// the client does with next-auth 5 itself: `X-Auth-Return-Redirect` answered with a 200
// `{url}` (errors included, their `code` read from it), `null` for no session, `authjs.*`
// cookies.
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { E2E, evalNavigating, session, states, waitStatus } from "../harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const TEST_TIMEOUT = 30_000;

let e2e;
let stack;

before(
  async () => {
    e2e = await E2E.start({ env: { AUTH_COMPAT: "v5" }, distDir: join(here, "dist") });
    stack = e2e.stack;
  },
  { timeout: 60_000 },
);

after(() => e2e?.stop(), { timeout: 30_000 });

function signInRedirectFalse(page, password) {
  return page.evaluate(
    (pw) => window.nextAuth.signIn("credentials", { username: "demo", password: pw, redirect: false }),
    password,
  );
}

async function cookie(ctx, name) {
  return (await ctx.cookies(stack.origin)).find((c) => c.name === name);
}

describe("next-auth/react 5 against the Tessera demo in v5 mode", { timeout: 110_000 }, () => {
  test("getProviders(), getCsrfToken(), getSession() signed out", { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await e2e.newContext();
    await e2e.withDiagnostics(ctx, async () => {
      const page = await e2e.openApp(ctx);
      assert.deepEqual(await states(page), ["loading", "unauthenticated"]);
      const providers = await page.evaluate(() => window.nextAuth.getProviders());
      assert.equal(providers.credentials.callbackUrl, `${stack.origin}/api/auth/callback/credentials`);
      const token = await page.evaluate(() => window.nextAuth.getCsrfToken());
      assert.match(token, /^[0-9a-f]{64}$/);
      assert.ok(await cookie(ctx, "authjs.csrf-token"), "the CSRF cookie has its v5 name");
      assert.equal(await cookie(ctx, "next-auth.csrf-token"), undefined);
      assert.equal(await page.evaluate(() => window.nextAuth.getSession()), null);
    });
    await e2e.closeContext(ctx);
  });

  test("signIn(redirect:false): a wrong password gives its code, the right one signs in; update(); signOut()", { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await e2e.newContext();
    await e2e.withDiagnostics(ctx, async () => {
      const page = await e2e.openApp(ctx);

      const bad = await signInRedirectFalse(page, "wrong");
      // next-auth 5 answers a failed sign-in with a 200 `{url}`: the client reads `error`
      // and `code` from it and reports ok.
      assert.deepEqual(
        { error: bad.error, code: bad.code, status: bad.status, ok: bad.ok, url: bad.url },
        { error: "CredentialsSignin", code: "credentials", status: 200, ok: true, url: null },
      );
      assert.equal((await session(page)).status, "unauthenticated");
      assert.equal(await cookie(ctx, "authjs.session-token"), undefined);

      const good = await signInRedirectFalse(page, "demo");
      assert.deepEqual(
        { error: good.error, code: good.code, status: good.status, ok: good.ok, url: good.url },
        { error: undefined, code: undefined, status: 200, ok: true, url: `${stack.origin}/app/` },
      );
      await waitStatus(page, "authenticated", "Demo User");
      const s = await session(page);
      assert.equal(s.data.user.email, "demo@example.com");
      const sessionCookie = await cookie(ctx, "authjs.session-token");
      assert.ok(sessionCookie, "the session cookie has its v5 name");
      assert.equal(sessionCookie.httpOnly, true);
      assert.equal(sessionCookie.sameSite, "Lax");
      const fetched = await page.evaluate(() => window.nextAuth.getSession());
      assert.equal(fetched.user.name, "Demo User");

      const updated = await page.evaluate(() => window.__update({ name: "Renamed" }));
      assert.equal(updated.user.name, "Renamed");
      await waitStatus(page, "authenticated", "Renamed");
      assert.equal((await page.evaluate(() => window.nextAuth.getSession())).user.name, "Renamed");

      const out = await page.evaluate(() => window.nextAuth.signOut({ redirect: false }));
      assert.deepEqual(out, { url: `${stack.origin}/app/` });
      await waitStatus(page, "unauthenticated");
      assert.equal(await page.evaluate(() => window.nextAuth.getSession()), null);
      assert.equal(await cookie(ctx, "authjs.session-token"), undefined, "sign-out clears the session cookie");
    });
    await e2e.closeContext(ctx);
  });

  test("two tabs stay in step through BroadcastChannel('next-auth'): getSession(), update() and signOut() in one reach the other", { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await e2e.newContext();
    await e2e.withDiagnostics(ctx, async () => {
      const a = await e2e.openApp(ctx);
      const b = await e2e.openApp(ctx);
      const good = await signInRedirectFalse(a, "demo");
      assert.equal(good.ok, true);
      await waitStatus(a, "authenticated", "Demo User");
      // signIn(redirect:false) refetches only in its own tab; getSession() broadcasts.
      await a.evaluate(() => window.nextAuth.getSession());
      await waitStatus(b, "authenticated", "Demo User");
      await a.evaluate(() => window.__update({ name: "Tab A" }));
      await waitStatus(b, "authenticated", "Tab A");
      await a.evaluate(() => window.nextAuth.signOut({ redirect: false }));
      await waitStatus(a, "unauthenticated");
      await waitStatus(b, "unauthenticated");
    });
    await e2e.closeContext(ctx);
  });

  test("polling (refetchInterval) sees a sign-out the tab was not told of", { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await e2e.newContext();
    await e2e.withDiagnostics(ctx, async () => {
      const page = await e2e.openApp(ctx, "/app/?refetch_interval=1");
      assert.equal((await signInRedirectFalse(page, "demo")).ok, true);
      await waitStatus(page, "authenticated", "Demo User");
      // Sign out with the context's own HTTP client (same cookies, no page, no broadcast).
      const csrf = await (await ctx.request.get(`${stack.origin}/api/auth/csrf`)).json();
      const r = await ctx.request.post(`${stack.origin}/api/auth/signout`, {
        form: { csrfToken: csrf.csrfToken },
        headers: { "X-Auth-Return-Redirect": "1" },
      });
      assert.equal(r.status(), 200);
      assert.equal(await cookie(ctx, "authjs.session-token"), undefined);
      await waitStatus(page, "unauthenticated");
    });
    await e2e.closeContext(ctx);
  });

  test("signIn() with redirect: a wrong password lands on the sign-in page with its code", { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await e2e.newContext();
    await e2e.withDiagnostics(ctx, async () => {
      const page = await e2e.openApp(ctx);
      await Promise.all([
        page.waitForURL((u) => u.pathname === "/api/auth/signin", { timeout: 10_000 }),
        // signIn() navigates before its promise settles: the page is gone when it would.
        evalNavigating(page, () => window.nextAuth.signIn("credentials", { username: "demo", password: "wrong" })),
      ]);
      const url = new URL(page.url());
      assert.equal(url.searchParams.get("error"), "CredentialsSignin");
      assert.equal(url.searchParams.get("code"), "credentials");
      assert.match(await page.content(), /Sign in failed\. Check the details you provided are correct\./);
    });
    await e2e.closeContext(ctx);
  });
});
