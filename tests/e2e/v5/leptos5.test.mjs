// End-to-end: the Leptos example (examples/leptos-app, tessera-leptos compiled to wasm32) in
// next-auth 5 mode (`/leptos/?compat=v5`) next to the unmodified next-auth/react of next-auth 5
// (the bundle of this directory, at /app/), in headless Chromium against the demo in Auth.js v5
// mode (AUTH_COMPAT=v5). The two tabs follow each other through BroadcastChannel("next-auth"):
// sign-in, update() and sign-out, both ways.
//
// The Leptos app is built by scripts/build-leptos-app.sh (run.sh calls it) into
// examples/leptos-app/dist, which the demo serves at /leptos/.
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { E2E, leptosStatus, session, waitStatus } from "../harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const TEST_TIMEOUT = 40_000;

let e2e;
before(
  async () => {
    e2e = await E2E.start({ env: { AUTH_COMPAT: "v5" }, distDir: join(here, "dist") });
  },
  { timeout: 60_000 },
);
after(() => e2e?.stop(), { timeout: 30_000 });

/** Opens the Leptos app in next-auth 5 mode and records what its page hears on the channel. */
async function openLeptos5(ctx) {
  const page = await e2e.openLeptos(ctx, "?compat=v5");
  assert.equal(await page.locator(".compat").textContent(), "v5");
  // A second BroadcastChannel object in the page hears every message of the channel, the
  // Leptos store's own included (one object never hears itself, two do).
  await page.evaluate(() => {
    window.__channel = [];
    window.__channelRecorder = new BroadcastChannel("next-auth");
    window.__channelRecorder.onmessage = (e) => window.__channel.push(e.data);
  });
  return page;
}

/** Counts the `GET /api/auth/session` requests of a page. */
function countSessionGets(page) {
  const counter = { n: 0 };
  page.on("request", (r) => {
    if (r.method() === "GET" && new URL(r.url()).pathname === "/api/auth/session") counter.n += 1;
  });
  return counter;
}

const message = (page) => page.locator(".message").textContent();

async function cookieNames(ctx) {
  return (await ctx.cookies(e2e.stack.origin)).map((c) => c.name).sort();
}

describe("tessera-leptos (wasm) in next-auth 5 mode against the demo in v5 mode", { timeout: 100_000 }, () => {
  test("a Leptos v5 tab and a next-auth 5 tab follow each other: sign-in, update(), sign-out, both ways", { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await e2e.newContext();
    await e2e.withDiagnostics(ctx, async () => {
      const leptos = await openLeptos5(ctx);
      const react = await e2e.openApp(ctx);
      await leptosStatus(leptos, "unauthenticated");
      await waitStatus(react, "unauthenticated");

      // A wrong password: next-auth 5's answer (200, error and code), nobody signed in.
      await leptos.getByRole("button", { name: "Sign in with a wrong password" }).click();
      await leptos.waitForFunction(() => document.querySelector(".message")?.textContent.startsWith("sign-in failed"));
      assert.equal(await message(leptos), "sign-in failed: error=CredentialsSignin code=credentials status=200 ok=true");
      await leptosStatus(leptos, "unauthenticated");
      assert.ok(!(await cookieNames(ctx)).includes("authjs.session-token"));

      // Leptos signs in: its message on the channel makes next-auth/react refetch.
      await leptos.getByRole("button", { name: "Sign in as demo" }).click();
      await leptosStatus(leptos, "authenticated", "Demo User");
      assert.equal(await message(leptos), "signed in");
      await waitStatus(react, "authenticated", "Demo User");
      assert.ok((await cookieNames(ctx)).includes("authjs.session-token"), "the v5 session cookie");

      // Leptos renames the user with update(): its own tab at once, the React tab follows.
      // (In front first: Playwright's actionability checks wait for animation frames, which
      // a background tab hardly gets.)
      await leptos.bringToFront();
      await leptos.locator(".new-name").fill("Leptos Name");
      await leptos.getByRole("button", { name: "Rename (update)" }).click();
      await leptosStatus(leptos, "authenticated", "Leptos Name");
      await waitStatus(react, "authenticated", "Leptos Name");

      // next-auth/react signs out: the Leptos tab follows.
      await react.evaluate(() => window.nextAuth.signOut({ redirect: false }));
      await waitStatus(react, "unauthenticated");
      await leptosStatus(leptos, "unauthenticated");

      // next-auth/react signs in (signIn(redirect:false) tells no tab; getSession() does)
      // and renames: the Leptos tab follows both.
      const result = await react.evaluate(() =>
        window.nextAuth.signIn("credentials", { username: "demo", password: "demo", redirect: false }),
      );
      assert.equal(result.ok, true);
      await react.evaluate(() => window.nextAuth.getSession());
      await leptosStatus(leptos, "authenticated");
      assert.equal((await react.evaluate(() => window.__update({ name: "React Name" })))?.user?.name, "React Name");
      await leptosStatus(leptos, "authenticated", "React Name");

      // Leptos signs out: next-auth/react follows.
      await leptos.getByRole("button", { name: "Sign out" }).click();
      await leptosStatus(leptos, "unauthenticated");
      await waitStatus(react, "unauthenticated");
      assert.equal((await session(react)).data, null);

      // On the wire: next-auth 5's messages only (no timestamp), the Leptos tab's
      // `signout` among them, and nothing in next-auth 4's localStorage key.
      const heard = await leptos.evaluate(() => window.__channel);
      const shapes = [
        { event: "session", data: { trigger: "getSession" } },
        { event: "session", data: { trigger: "signout" } },
      ];
      for (const m of heard) assert.ok(shapes.some((s) => JSON.stringify(s) === JSON.stringify(m)), JSON.stringify(m));
      const signouts = heard.filter((m) => m.data.trigger === "signout").length;
      assert.equal(signouts, 2, "one sign-out from each tab");
      assert.equal(await leptos.evaluate(() => localStorage.getItem("nextauth.message")), null);
    });
    await e2e.closeContext(ctx);
  });

  test("the session embedded in the page (v5 cookies), and two Leptos v5 tabs in step", { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await e2e.newContext();
    await e2e.withDiagnostics(ctx, async () => {
      const a = await openLeptos5(ctx);
      await leptosStatus(a, "unauthenticated");
      await a.getByRole("button", { name: "Sign in as demo" }).click();
      await leptosStatus(a, "authenticated", "Demo User");

      // A new tab: signed in from the first render, without a GET /session.
      const b = await ctx.newPage();
      const gets = countSessionGets(b);
      await b.goto(`${e2e.stack.origin}/leptos/?compat=v5`);
      await leptosStatus(b, "authenticated", "Demo User");
      assert.equal(gets.n, 0, "known from the page");

      // Sign out in A: B follows through the channel.
      await a.getByRole("button", { name: "Sign out" }).click();
      await leptosStatus(a, "unauthenticated");
      await leptosStatus(b, "unauthenticated");
      assert.ok(gets.n >= 1, "B refetched on the message");
    });
    await e2e.closeContext(ctx);
  });
});
