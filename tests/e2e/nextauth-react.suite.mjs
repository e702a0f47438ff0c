// The browser suite: the unmodified next-auth/react 4.24.x client in headless Chromium,
// against one target (a "stack"), which `nextauthReactSuite()` registers the tests for:
//   nextauth-react.test.mjs          the Tessera demo, through a same-origin proxy, with
//                                    the bundled React app of app/;
//   switch/nextjs-front.test.mjs     a real Next.js app (its pages), /api/auth/* rewritten
//                                    to `tessera serve`.
// A target serves the app's pages at /app/ and /app/required, a server-rendered /protected
// for signed-in visitors only (else a redirect to the sign-in page with
// callbackUrl=/protected), and /api/auth/* with the providers `credentials` (demo / demo as
// "Demo User" <demo@example.com>) and `email`, database sessions and `update({name})` up to
// 64 characters.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { E2E, WAIT, evalNavigating, session, states, waitForFreshBroadcastSecond, waitStatus } from "./harness.mjs";

const TEST_TIMEOUT = 30_000;

/**
 * Registers the suite's tests (and its `before`/`after` hooks) under `title`. `start()`
 * resolves to the target's stack: `{origin, logs(), stop(), magicLink(address)}` (see
 * `E2E.startWith`). `passwords`: the target offers the `password` and `two-factor` providers too (the
 * demo; password.test.mjs and two-factor.test.mjs test them). Returns `() => stack` for tests a target adds after the suite.
 */
export function nextauthReactSuite({ title, start, passwords = false }) {
  let e2e;
  let stack;

  before(async () => {
    e2e = await E2E.startWith(start);
    stack = e2e.stack;
  }, { timeout: 60_000 });

  // Always runs, even when a test failed: close the browser, then stop the stack.
  after(() => e2e?.stop(), { timeout: 30_000 });

  // ---------------------------------------------------------------- helpers

  const newContext = (options) => e2e.newContext(options);
  const closeContext = (ctx) => e2e.closeContext(ctx);
  const withDiagnostics = (ctx, fn, options) => e2e.withDiagnostics(ctx, fn, options);
  const openApp = (ctx, path) => e2e.openApp(ctx, path);

  function signInRedirectFalse(page, password = "demo") {
    return page.evaluate(
      (pw) => window.nextAuth.signIn("credentials", { username: "demo", password: pw, redirect: false }),
      password,
    );
  }

  // ---------------------------------------------------------------- tests

  describe(title, { timeout: 110_000 }, () => {
    test("getProviders() and getCsrfToken()", { timeout: TEST_TIMEOUT }, async () => {
      const ctx = await newContext();
      await withDiagnostics(ctx, async () => {
        const page = await openApp(ctx);
        const providers = await page.evaluate(() => window.nextAuth.getProviders());
        assert.deepEqual(providers, {
          credentials: {
            id: "credentials",
            name: "Credentials",
            type: "credentials",
            signinUrl: `${stack.origin}/api/auth/signin/credentials`,
            callbackUrl: `${stack.origin}/api/auth/callback/credentials`,
          },
          email: {
            id: "email",
            name: "Email",
            type: "email",
            signinUrl: `${stack.origin}/api/auth/signin/email`,
            callbackUrl: `${stack.origin}/api/auth/callback/email`,
          },
          // Password accounts are a credentials provider on the wire.
          ...(passwords && {
            password: {
              id: "password",
              name: "Password",
              type: "credentials",
              signinUrl: `${stack.origin}/api/auth/signin/password`,
              callbackUrl: `${stack.origin}/api/auth/callback/password`,
            },
            // So is two-factor sign-in's second step (two-factor.test.mjs tests it).
            "two-factor": {
              id: "two-factor",
              name: "Two-factor code",
              type: "credentials",
              signinUrl: `${stack.origin}/api/auth/signin/two-factor`,
              callbackUrl: `${stack.origin}/api/auth/callback/two-factor`,
            },
          }),
        });
        const token = await page.evaluate(() => window.nextAuth.getCsrfToken());
        assert.match(token, /^[0-9a-f]{64}$/);
        // Stable while the csrf cookie lives.
        assert.equal(await page.evaluate(() => window.nextAuth.getCsrfToken()), token);
        // No session yet: the client turns `{}` into null.
        assert.equal(await page.evaluate(() => window.nextAuth.getSession()), null);
      });
      await closeContext(ctx);
    });

    test("signIn(credentials, redirect:false): wrong then right password; useSession follows without reload", { timeout: TEST_TIMEOUT }, async () => {
      const ctx = await newContext();
      await withDiagnostics(ctx, async () => {
        const page = await openApp(ctx);
        assert.deepEqual(await states(page), ["loading", "unauthenticated"]);
        await page.evaluate(() => {
          window.__noReloadMarker = true;
        });

        const bad = await signInRedirectFalse(page, "wrong");
        assert.deepEqual(bad, { error: "CredentialsSignin", status: 401, ok: false, url: null });
        assert.equal((await session(page)).status, "unauthenticated");

        const good = await signInRedirectFalse(page, "demo");
        assert.deepEqual(good, { error: null, status: 200, ok: true, url: `${stack.origin}/app/` });

        await waitStatus(page, "authenticated", "Demo User");
        const s = await session(page);
        // The demo user has no image: next-auth itself would drop the key (undefined), Tessera
        // sends `image: null`; the client treats both the same, so accept either.
        const { image, id, ...user } = s.data.user;
        assert.deepEqual(user, { name: "Demo User", email: "demo@example.com" });
        assert.match(id, /^[0-9a-f-]{36}$/, "the adapter's user id");
        assert.equal(image ?? null, null);
        assert.match(s.data.expires, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.ok(Date.parse(s.data.expires) > Date.now(), "expires is in the future");
        assert.deepEqual(await states(page), ["loading", "unauthenticated", "authenticated"]);
        assert.equal(await page.evaluate(() => window.__noReloadMarker), true, "page was not reloaded");
        assert.equal(await page.textContent("#name"), "Demo User");

        const cookies = await ctx.cookies(stack.origin);
        const st = cookies.find((c) => c.name === "next-auth.session-token");
        assert.ok(st, "session cookie set");
        assert.equal(st.httpOnly, true);
        assert.equal(st.sameSite, "Lax");
        assert.equal(st.path, "/");
      });
      await closeContext(ctx);
    });

    test("update({name}) changes the session; an invalid name is ignored", { timeout: TEST_TIMEOUT }, async () => {
      const ctx = await newContext();
      await withDiagnostics(ctx, async () => {
        const page = await openApp(ctx);
        assert.equal((await signInRedirectFalse(page)).ok, true);
        await waitStatus(page, "authenticated", "Demo User");

        const renamed = await page.evaluate(() => window.__update({ name: "Renamed" }));
        assert.equal(renamed?.user?.name, "Renamed");
        assert.equal(renamed.user.email, "demo@example.com");
        assert.match(renamed.user.id, /^[0-9a-f-]{36}$/);
        await waitStatus(page, "authenticated", "Renamed");
        await page.waitForFunction(() => document.querySelector("#name")?.textContent === "Renamed", null, { timeout: WAIT });
        // update() shows "loading" while the request is in flight.
        const seen = await states(page);
        assert.deepEqual(seen.slice(-2), ["loading", "authenticated"], `states: ${seen}`);
        // Persisted in the re-issued cookie: a fresh GET /session agrees.
        assert.equal((await page.evaluate(() => window.nextAuth.getSession()))?.user?.name, "Renamed");

        const unchanged = await page.evaluate(() => window.__update({ name: "" }));
        assert.equal(unchanged?.user?.name, "Renamed", "empty name must be ignored by the server");
        await waitStatus(page, "authenticated", "Renamed");
        const tooLong = await page.evaluate(() => window.__update({ name: "x".repeat(65) }));
        assert.equal(tooLong?.user?.name, "Renamed", "65-char name must be ignored by the server");
        assert.equal((await page.evaluate(() => window.nextAuth.getSession()))?.user?.name, "Renamed");

        // update() with no argument just refreshes.
        const plain = await page.evaluate(() => window.__update());
        assert.equal(plain?.user?.name, "Renamed");
      });
      await closeContext(ctx);
    });

    test("signIn('email', {redirect:false}), the magic link, then a database session read and updated", { timeout: TEST_TIMEOUT }, async () => {
      const ctx = await newContext();
      await withDiagnostics(ctx, async () => {
        const page = await openApp(ctx);
        await waitStatus(page, "unauthenticated");
        const address = `e2e-${Date.now()}@example.com`;
        const result = await page.evaluate(
          (email) => window.nextAuth.signIn("email", { email, redirect: false, callbackUrl: "/app/" }),
          `  ${address.toUpperCase()} `,
        );
        assert.deepEqual(result, {
          error: null,
          status: 200,
          ok: true,
          url: `${stack.origin}/api/auth/verify-request?provider=email&type=email`,
        });
        // The link the target mailed (the demo prints it on stderr; tessera serve sends it by SMTP).
        const link = await stack.magicLink(address);
        assert.ok(link.startsWith(`${stack.origin}/api/auth/callback/email?callbackUrl=`), link);
        assert.ok(link.endsWith(`&email=${encodeURIComponent(address)}`), link);

        await page.goto(link);
        await page.waitForURL(`${stack.origin}/app/`, { timeout: WAIT });
        await waitStatus(page, "authenticated");
        const s = await session(page);
        assert.equal(s.data.user.email, address);
        const cookie = (await ctx.cookies(stack.origin)).find((c) => c.name === "next-auth.session-token");
        assert.match(cookie.value, /^[0-9a-f-]{36}$/, "an opaque database session token");

        const renamed = await page.evaluate(() => window.__update({ name: "Email User" }));
        assert.equal(renamed?.user?.name, "Email User");
        assert.equal((await page.evaluate(() => window.nextAuth.getSession()))?.user?.name, "Email User");

        // The same link again fails with Verification (the error page answers 403).
        const again = await page.goto(link);
        assert.equal(again.status(), 403);
        assert.ok(page.url().includes("error=Verification"), page.url());
      });
      await closeContext(ctx);
    });

    test("signOut({redirect:false}) makes useSession unauthenticated", { timeout: TEST_TIMEOUT }, async () => {
      const ctx = await newContext();
      await withDiagnostics(ctx, async () => {
        const page = await openApp(ctx);
        assert.equal((await signInRedirectFalse(page)).ok, true);
        await waitStatus(page, "authenticated", "Demo User");

        const out = await page.evaluate(() => window.nextAuth.signOut({ redirect: false }));
        assert.deepEqual(out, { url: `${stack.origin}/app/` });
        await waitStatus(page, "unauthenticated");
        assert.equal((await session(page)).data, null);
        assert.equal(await page.evaluate(() => window.nextAuth.getSession()), null);
        const cookies = await ctx.cookies(stack.origin);
        assert.equal(cookies.find((c) => c.name === "next-auth.session-token"), undefined, "session cookie cleared");
        assert.deepEqual((await states(page)).slice(-2), ["authenticated", "unauthenticated"]);
      });
      await closeContext(ctx);
    });

    test("signOut() and signIn() with their default redirect:true navigate where the server says", { timeout: TEST_TIMEOUT }, async () => {
      const ctx = await newContext();
      await withDiagnostics(ctx, async () => {
        const page = await openApp(ctx);
        assert.equal((await signInRedirectFalse(page)).ok, true);
        await waitStatus(page, "authenticated", "Demo User");

        const bye = `${stack.origin}/app/?bye=1`;
        await Promise.all([
          page.waitForURL(bye, { timeout: WAIT }),
          evalNavigating(page, (cb) => window.nextAuth.signOut({ callbackUrl: cb }), bye),
        ]);
        await page.waitForFunction(() => window.__appReady, null, { timeout: WAIT });
        await waitStatus(page, "unauthenticated");

        // No provider id: next-auth sends the browser to the built-in page with callbackUrl=href.
        await Promise.all([
          page.waitForURL((u) => u.pathname === "/api/auth/signin", { timeout: WAIT }),
          evalNavigating(page, () => window.nextAuth.signIn()),
        ]);
        assert.equal(new URL(page.url()).search, `?${new URLSearchParams({ callbackUrl: bye })}`);
        assert.equal(await page.locator('form input[name="csrfToken"]').count() > 0, true);
      });
      await closeContext(ctx);
    });

    test("two tabs stay in sync through localStorage 'nextauth.message'", { timeout: TEST_TIMEOUT }, async () => {
      const ctx = await newContext();
      await withDiagnostics(ctx, async () => {
        const a = await openApp(ctx, "/app/?tab=a");
        const b = await openApp(ctx, "/app/?tab=b");
        assert.equal((await session(a)).status, "unauthenticated");
        assert.equal((await session(b)).status, "unauthenticated");

        // Sign in in A the default way (redirect: true). A navigates to its callbackUrl;
        // the remounted provider fetches the session and broadcasts, so B refetches.
        await waitForFreshBroadcastSecond(a);
        const callbackUrl = `${stack.origin}/app/?tab=a&signed=in`;
        await Promise.all([
          a.waitForURL(callbackUrl, { timeout: WAIT }),
          evalNavigating(
            a,
            (cb) => window.nextAuth.signIn("credentials", { username: "demo", password: "demo", callbackUrl: cb }),
            callbackUrl,
          ),
        ]);
        await a.waitForFunction(() => window.__appReady, null, { timeout: WAIT });
        await waitStatus(a, "authenticated", "Demo User");
        await waitStatus(b, "authenticated", "Demo User");

        // Sign out in A without redirect: A broadcasts {trigger:"signout"}; B refetches.
        const out = await a.evaluate(() => window.nextAuth.signOut({ redirect: false }));
        assert.deepEqual(out, { url: callbackUrl });
        await waitStatus(a, "unauthenticated");
        await waitStatus(b, "unauthenticated");
        const msg = JSON.parse(await b.evaluate(() => localStorage.getItem("nextauth.message")));
        assert.deepEqual(msg.data, { trigger: "signout" });
        assert.equal(msg.event, "session");

        // signIn(redirect:false) refetches only in its own tab (no broadcast); the app's
        // next getSession() call broadcasts and B follows.
        assert.equal((await signInRedirectFalse(a)).ok, true);
        await waitStatus(a, "authenticated", "Demo User");
        await a.evaluate(() => window.nextAuth.getSession());
        await waitStatus(b, "authenticated", "Demo User");

        // And an update() in A (which broadcasts) reaches B as well.
        await waitForFreshBroadcastSecond(a);
        assert.equal((await a.evaluate(() => window.__update({ name: "Tab A" })))?.user?.name, "Tab A");
        await waitStatus(b, "authenticated", "Tab A");
      });
      await closeContext(ctx);
    });

    test("useSession({required:true}) sends a signed-out user to the built-in sign-in page; its HTML form signs in", { timeout: TEST_TIMEOUT }, async () => {
      const ctx = await newContext();
      await withDiagnostics(ctx, async () => {
        const page = await ctx.newPage();
        const requiredUrl = `${stack.origin}/app/required`;
        const signinResponse = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/auth/signin", { timeout: WAIT });
        await page.goto(requiredUrl);
        await page.waitForURL((u) => u.pathname === "/api/auth/signin", { timeout: WAIT });

        const landed = new URL(page.url());
        assert.equal(landed.origin, stack.origin);
        assert.equal(landed.search, `?${new URLSearchParams({ error: "SessionRequired", callbackUrl: requiredUrl })}`);
        assert.equal((await signinResponse).status(), 200);
        assert.match((await signinResponse).headers()["content-type"], /^text\/html/);
        assert.match(await page.textContent("body"), /Please sign in to access this page\./);

        // The credentials form (spec §2.5/§10): posts to the provider's callbackUrl with
        // csrfToken + one input per credential field.
        const form = page.locator(`form[action="${stack.origin}/api/auth/callback/credentials"]`);
        assert.equal(await form.count(), 1, "one credentials form");
        assert.equal((await form.getAttribute("method")).toUpperCase(), "POST");
        const csrf = form.locator('input[name="csrfToken"]');
        assert.equal(await csrf.getAttribute("type"), "hidden");
        assert.match(await csrf.inputValue(), /^[0-9a-f]{64}$/);
        assert.equal(await form.locator('input[name="username"]').count(), 1);
        assert.equal(await form.locator('input[name="password"]').getAttribute("type"), "password");

        // Submit it as a plain HTML form (no fetch, no next-auth JS on this page).
        await form.locator('input[name="username"]').fill("demo");
        await form.locator('input[name="password"]').fill("demo");
        const callbackPost = page.waitForResponse(
          (r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/api/auth/callback/credentials",
          { timeout: WAIT },
        );
        await Promise.all([
          page.waitForURL(requiredUrl, { timeout: WAIT }),
          form.locator('button[type="submit"], input[type="submit"], button:not([type])').first().click(),
        ]);
        const post = await callbackPost;
        assert.equal(post.status(), 302);
        assert.equal(post.headers()["location"], requiredUrl);
        const postBody = post.request().postData();
        assert.match(postBody, /(^|&)csrfToken=[0-9a-f]{64}(&|$)/);
        assert.doesNotMatch(postBody, /json=/);

        await page.waitForFunction(() => window.__appReady && window.__session?.status === "authenticated", null, { timeout: WAIT });
        assert.equal((await session(page)).data.user.name, "Demo User");
        // required:true reports "loading" instead of "unauthenticated".
        assert.deepEqual(await states(page), ["loading", "authenticated"]);
      });
      await closeContext(ctx);
    });

    test("client-side fetch errors are beaconed to POST /api/auth/_log, which answers 200", { timeout: TEST_TIMEOUT }, async () => {
      const ctx = await newContext();
      await withDiagnostics(
        ctx,
        async () => {
          const page = await openApp(ctx);
          // Make GET /csrf return HTML so fetchData() fails inside the real client.
          await page.route("**/api/auth/csrf", (route) =>
            route.fulfill({ status: 500, contentType: "text/html", body: "<h1>injected failure</h1>" }),
          );
          const logResponse = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/auth/_log", { timeout: WAIT });
          assert.equal(await page.evaluate(() => window.nextAuth.getCsrfToken()), undefined);
          const res = await logResponse;
          assert.equal(res.status(), 200);
          const body = new URLSearchParams(res.request().postData());
          assert.equal(body.get("level"), "error");
          assert.equal(body.get("code"), "CLIENT_FETCH_ERROR");
          assert.equal(body.get("url"), "/api/auth/csrf");
          assert.equal(body.get("client"), "true");
          assert.equal(ctx.clientLogs.length, 1);
        },
        { allowClientLogs: true },
      );
      await closeContext(ctx);
    });

    test("without JavaScript: /protected → sign-in page → form POST (wrong, then right) → /protected", { timeout: TEST_TIMEOUT }, async () => {
      const ctx = await newContext({ javaScriptEnabled: false });
      await withDiagnostics(ctx, async () => {
        const page = await ctx.newPage();
        await page.goto(`${stack.origin}/protected`);
        const signin = new URL(page.url());
        assert.equal(signin.pathname, "/api/auth/signin");
        assert.equal(signin.searchParams.get("callbackUrl"), "/protected");

        const submit = async (password) => {
          const form = page.locator(`form[action="${stack.origin}/api/auth/callback/credentials"]`);
          await form.locator('input[name="username"]').fill("demo");
          await form.locator('input[name="password"]').fill(password);
          await Promise.all([
            page.waitForNavigation({ timeout: WAIT }),
            form.locator('button[type="submit"], input[type="submit"], button:not([type])').first().click(),
          ]);
        };

        await submit("wrong");
        const failed = new URL(page.url());
        assert.equal(failed.pathname, "/api/auth/signin");
        assert.equal(failed.searchParams.get("error"), "CredentialsSignin");
        assert.match(await page.textContent("body"), /Sign in failed\. Check the details you provided are correct\./);

        await submit("demo");
        assert.equal(page.url(), `${stack.origin}/protected`);
        assert.match(await page.textContent("body"), /Demo User/);
      });
      await closeContext(ctx);
    });
  });

  return () => stack;
}
