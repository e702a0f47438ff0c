// End-to-end: the Leptos example (examples/leptos-app: tessera-leptos's <SessionProvider> and
// use_session() compiled to wasm32) in headless Chromium against the Tessera demo, next to
// the unmodified next-auth/react app. Cross-tab sync both ways, two Leptos tabs, refetch on
// focus (de-duplicated), interval polling, and the offline rules.
//
// The app is built by scripts/build-leptos-app.sh (run.sh calls it) into
// examples/leptos-app/dist, which the demo serves at /leptos/.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { E2E, WAIT, leptosStatus, session, waitForFreshBroadcastSecond, waitStatus } from "./harness.mjs";

const TEST_TIMEOUT = 40_000;

let e2e;
before(async () => {
  e2e = await E2E.start();
}, { timeout: 60_000 });
after(() => e2e?.stop(), { timeout: 30_000 });

/** Opens the Leptos app (next-auth 4 mode) and waits until it has left "loading". */
const openLeptos = (ctx, query = "") => e2e.openLeptos(ctx, query);

/** Counts the `GET /api/auth/session` requests (attempted ones included) of a page or a context. */
function countSessionGets(target) {
  const counter = { n: 0 };
  target.on("request", (r) => {
    if (r.method() === "GET" && new URL(r.url()).pathname === "/api/auth/session") counter.n += 1;
  });
  return counter;
}

/** Signs in with the Leptos page's button (credentials, redirect: false). */
async function leptosSignIn(page) {
  await waitForFreshBroadcastSecond(page);
  await page.getByRole("button", { name: "Sign in as demo" }).click();
  await leptosStatus(page, "authenticated", "Demo User");
}

const settle = (ms) => new Promise((r) => setTimeout(r, ms));

describe("tessera-leptos (wasm) in Chromium against the demo", { timeout: 150_000 }, () => {
  test("a Leptos tab and a next-auth/react tab stay in sync, both ways", { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await e2e.newContext();
    await e2e.withDiagnostics(ctx, async () => {
      const leptos = await openLeptos(ctx);
      const react = await e2e.openApp(ctx);
      await leptosStatus(leptos, "unauthenticated");
      await waitStatus(react, "unauthenticated");

      // Leptos signs in: its message reaches next-auth/react, which refetches.
      await leptosSignIn(leptos);
      await waitStatus(react, "authenticated", "Demo User");

      // Leptos renames the user with update(): its own tab at once, the React tab follows.
      await waitForFreshBroadcastSecond(leptos);
      await leptos.locator(".new-name").fill("Leptos Name");
      await leptos.getByRole("button", { name: "Rename (update)" }).click();
      await leptosStatus(leptos, "authenticated", "Leptos Name");
      await waitStatus(react, "authenticated", "Leptos Name");

      // next-auth/react signs out: the Leptos tab follows.
      await waitForFreshBroadcastSecond(react);
      await react.evaluate(() => window.nextAuth.signOut({ redirect: false }));
      await waitStatus(react, "unauthenticated");
      await leptosStatus(leptos, "unauthenticated");

      // next-auth/react signs in again and renames: the Leptos tab follows both.
      await waitForFreshBroadcastSecond(react);
      const result = await react.evaluate(() =>
        window.nextAuth.signIn("credentials", { username: "demo", password: "demo", redirect: false }),
      );
      assert.equal(result.ok, true);
      await react.evaluate(() => window.nextAuth.getSession());
      await leptosStatus(leptos, "authenticated");
      await waitForFreshBroadcastSecond(react);
      assert.equal((await react.evaluate(() => window.__update({ name: "React Name" })))?.user?.name, "React Name");
      await leptosStatus(leptos, "authenticated", "React Name");
      assert.equal((await session(react)).data.user.name, "React Name");
    });
    await e2e.closeContext(ctx);
  });

  test("the session embedded in the page: no loading state and no first GET /session", { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await e2e.newContext();
    await e2e.withDiagnostics(ctx, async () => {
      const gets = countSessionGets(ctx);
      const out = await openLeptos(ctx);
      assert.deepEqual(await out.evaluate(() => window.__leptosStates), ["unauthenticated"]);
      assert.equal(gets.n, 0, "signed out, known from the page");
      await leptosSignIn(out);
      await out.close();

      gets.n = 0;
      const page = await openLeptos(ctx);
      await leptosStatus(page, "authenticated", "Demo User");
      assert.deepEqual(await page.evaluate(() => window.__leptosStates), ["authenticated"]);
      assert.equal(gets.n, 0, "signed in, known from the page");
      const embedded = JSON.parse(await page.evaluate(() => document.getElementById("tessera-session").textContent));
      assert.equal(embedded.user.name, "Demo User");
    });
    await e2e.closeContext(ctx);
  });

  test("two Leptos tabs stay in sync", { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await e2e.newContext();
    await e2e.withDiagnostics(ctx, async () => {
      const a = await openLeptos(ctx, "?tab=a");
      const b = await openLeptos(ctx, "?tab=b");
      await leptosSignIn(a);
      await leptosStatus(b, "authenticated", "Demo User");

      await waitForFreshBroadcastSecond(a);
      await a.getByRole("button", { name: "Sign out" }).click();
      await leptosStatus(a, "unauthenticated");
      await leptosStatus(b, "unauthenticated");
      const message = JSON.parse(await b.evaluate(() => localStorage.getItem("nextauth.message")));
      assert.deepEqual(message.data, { trigger: "signout" });
    });
    await e2e.closeContext(ctx);
  });

  test("ten focus events at once make one request; refetch_on_window_focus=false makes none", { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await e2e.newContext();
    await e2e.withDiagnostics(ctx, async () => {
      const page = await openLeptos(ctx);
      await leptosSignIn(page);
      const gets = countSessionGets(page);
      const focus = () =>
        page.evaluate(() => {
          for (let i = 0; i < 10; i++) document.dispatchEvent(new Event("visibilitychange"));
        });
      const answered = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/auth/session", { timeout: WAIT });
      await focus();
      assert.equal((await answered).status(), 200);
      await settle(500);
      assert.equal(gets.n, 1, "one request for ten focus events");

      const off = await openLeptos(ctx, "?refetch_on_window_focus=false");
      await leptosStatus(off, "authenticated");
      const offGets = countSessionGets(off);
      await off.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
      await settle(500);
      assert.equal(offGets.n, 0, "no refetch on focus when it is off");
    });
    await e2e.closeContext(ctx);
  });

  test("refetch_interval polls while signed in; refetch_when_offline=false pauses it offline", { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await e2e.newContext();
    await e2e.withDiagnostics(ctx, async () => {
        const page = await openLeptos(ctx, "?refetch_interval=1&refetch_when_offline=false");
        await leptosSignIn(page);
        const gets = countSessionGets(page);
        const deadline = Date.now() + WAIT;
        while (gets.n < 2 && Date.now() < deadline) await settle(50);
        assert.ok(gets.n >= 2, `polled every second (${gets.n} requests)`);

        // Offline: no polling at all, and the session stays on screen.
        await ctx.setOffline(true);
        await settle(300); // a poll already on the wire may still be counted
        const offline = gets.n;
        await settle(2_500);
        assert.equal(gets.n, offline, "no polling while offline");
        await leptosStatus(page, "authenticated", "Demo User");

        // Online again: polling resumes.
        await ctx.setOffline(false);
        const resumed = Date.now() + WAIT;
        while (gets.n <= offline && Date.now() < resumed) await settle(50);
        assert.ok(gets.n > offline, "polling resumes online");
    });
    await e2e.closeContext(ctx);
  });

  test("with refetch_when_offline on, a failed poll offline keeps the session", { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await e2e.newContext();
    await e2e.withDiagnostics(ctx, async () => {
      const page = await openLeptos(ctx, "?refetch_interval=1");
      await leptosSignIn(page);
      const gets = countSessionGets(page);
      await ctx.setOffline(true);
      const failed = page.waitForEvent("requestfailed", {
        predicate: (r) => new URL(r.url()).pathname === "/api/auth/session",
        timeout: WAIT,
      });
      await failed;
      assert.ok(gets.n >= 1, "it tried while offline");
      await leptosStatus(page, "authenticated", "Demo User");
      await ctx.setOffline(false);
    });
    await e2e.closeContext(ctx);
  });
});
