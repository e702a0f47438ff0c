// End-to-end OAuth: the unmodified next-auth/react client's signIn('oidc') in headless
// Chromium, through the whole browser redirect chain of a real OpenID Connect provider on
// loopback (oidc-provider, tests/oidc/server.mjs: its development login and consent pages)
// and back to the Tessera demo, with the database strategy (the demo's default) and JWT.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { E2E, WAIT, evalNavigating, session, waitStatus } from "./harness.mjs";

const TEST_TIMEOUT = 40_000;

/**
 * Plays the user at the provider: submits its login form (as `login`, any password) and
 * its consent form until the provider redirects back to the app's origin.
 */
async function authorizeAtProvider(page, { issuer, origin }, login) {
  await page.waitForURL((u) => u.origin === issuer, { timeout: WAIT });
  for (let step = 0; step < 6; step++) {
    await page.waitForURL((u) => u.origin === origin || u.origin === issuer, { timeout: WAIT });
    await page.waitForLoadState("domcontentloaded");
    if (new URL(page.url()).origin === origin) return;
    const name = page.locator('input[name="login"]');
    if (await name.count()) {
      await name.fill(login);
      await page.locator('input[name="password"]').fill("any password");
    }
    await Promise.all([page.waitForNavigation({ timeout: WAIT }), page.locator('button[type="submit"]').first().click()]);
  }
  throw new Error(`still at the provider after 6 steps: ${page.url()}`);
}

/**
 * From the React app, calls next-auth/react's `signIn('oidc', {callbackUrl})` and signs in
 * at the provider as `login`. Resolves to the provider's authorization request URL.
 */
async function signInWithOidc(e2e, page, login, callbackUrl) {
  const { issuer, origin } = e2e.stack;
  const authorization = page.waitForRequest((r) => r.url().startsWith(`${issuer}/auth?`), { timeout: WAIT });
  await evalNavigating(page, (cb) => window.nextAuth.signIn("oidc", { callbackUrl: cb }), callbackUrl);
  const request = new URL((await authorization).url());
  await authorizeAtProvider(page, { issuer, origin }, login);
  return request;
}

function strategy(name, env, sessionCookie) {
  describe(`signIn('oidc') with ${name} sessions`, { timeout: 150_000 }, () => {
    let e2e;
    before(async () => {
      e2e = await E2E.start({ oidc: true, env });
    }, { timeout: 60_000 });
    after(() => e2e?.stop(), { timeout: 30_000 });

    test("getProviders() lists the OpenID Connect provider as type oauth", { timeout: TEST_TIMEOUT }, async () => {
      const ctx = await e2e.newContext();
      await e2e.withDiagnostics(ctx, async () => {
        const page = await e2e.openApp(ctx);
        const providers = await page.evaluate(() => window.nextAuth.getProviders());
        assert.deepEqual(providers.oidc, {
          id: "oidc",
          name: "Loopback OIDC",
          type: "oauth",
          signinUrl: `${e2e.stack.origin}/api/auth/signin/oidc`,
          callbackUrl: `${e2e.stack.origin}/api/auth/callback/oidc`,
        });
      });
      await e2e.closeContext(ctx);
    });

    test("the redirect chain with PKCE, state and nonce lands signed in; the check cookies are gone", { timeout: TEST_TIMEOUT }, async () => {
      const ctx = await e2e.newContext();
      await e2e.withDiagnostics(ctx, async () => {
        const { origin } = e2e.stack;
        const page = await e2e.openApp(ctx);
        await waitStatus(page, "unauthenticated");
        const callbackUrl = `${origin}/app/?via=oidc`;
        const auth = await signInWithOidc(e2e, page, "alice", callbackUrl);

        // What Tessera asked the provider for (spec §7.1).
        const q = auth.searchParams;
        assert.equal(q.get("client_id"), "tessera");
        assert.equal(q.get("response_type"), "code");
        assert.equal(q.get("redirect_uri"), `${origin}/api/auth/callback/oidc`);
        assert.deepEqual(q.get("scope").split(" ").sort(), ["email", "openid", "profile"]);
        assert.equal(q.get("code_challenge_method"), "S256");
        assert.match(q.get("code_challenge"), /^[A-Za-z0-9_-]{43}$/);
        assert.ok(q.get("state")?.length > 20, "a state");
        assert.ok(q.get("nonce")?.length > 20, "a nonce");

        await page.waitForURL(callbackUrl, { timeout: WAIT });
        await page.waitForFunction(() => window.__appReady, null, { timeout: WAIT });
        await waitStatus(page, "authenticated", "Alice Liddell");
        const s = await session(page);
        assert.equal(s.data.user.email, "alice@example.com");
        assert.equal(s.data.user.image, "https://img.example/alice.png");

        const cookies = await ctx.cookies(origin);
        const names = cookies.map((c) => c.name);
        const token = cookies.find((c) => c.name === "next-auth.session-token");
        assert.ok(token, `a session cookie among ${names}`);
        assert.match(token.value, sessionCookie);
        assert.equal(token.httpOnly, true);
        assert.equal(token.sameSite, "Lax");
        for (const check of ["next-auth.pkce.code_verifier", "next-auth.state", "next-auth.nonce"]) {
          assert.ok(!names.includes(check), `${check} is cleared after the callback (cookies: ${names})`);
        }
      });
      await e2e.closeContext(ctx);
    });

    test("without JavaScript: the built-in sign-in page's button runs the same flow", { timeout: TEST_TIMEOUT }, async () => {
      const ctx = await e2e.newContext({ javaScriptEnabled: false });
      await e2e.withDiagnostics(ctx, async () => {
        const { origin, issuer } = e2e.stack;
        const page = await ctx.newPage();
        await page.goto(`${origin}/protected`);
        assert.equal(new URL(page.url()).pathname, "/api/auth/signin");
        const form = page.locator(`form[action="${origin}/api/auth/signin/oidc"]`);
        assert.equal(await form.count(), 1, "a form for the provider");
        assert.match(await form.locator('input[name="csrfToken"]').inputValue(), /^[0-9a-f]{64}$/);
        await Promise.all([
          page.waitForURL((u) => u.origin === issuer, { timeout: WAIT }),
          form.getByRole("button", { name: "Sign in with Loopback OIDC" }).click(),
        ]);
        await authorizeAtProvider(page, { issuer, origin }, "alice");
        await page.waitForURL(`${origin}/protected`, { timeout: WAIT });
        assert.match(await page.textContent("body"), /Alice Liddell/);
      });
      await e2e.closeContext(ctx);
    });

    test("another provider account with the same address gets OAuthAccountNotLinked", { timeout: TEST_TIMEOUT }, async () => {
      // bob's address is ALICE@example.com: alice's user (made by the test above, or here) owns it.
      const first = await e2e.newContext();
      await e2e.withDiagnostics(first, async () => {
        const page = await e2e.openApp(first);
        await signInWithOidc(e2e, page, "alice", `${e2e.stack.origin}/app/`);
        await page.waitForURL(`${e2e.stack.origin}/app/`, { timeout: WAIT });
      });
      await e2e.closeContext(first);

      const ctx = await e2e.newContext();
      await e2e.withDiagnostics(ctx, async () => {
        const page = await e2e.openApp(ctx);
        await signInWithOidc(e2e, page, "bob", `${e2e.stack.origin}/app/`);
        await page.waitForURL((u) => u.searchParams.get("error") === "OAuthAccountNotLinked", { timeout: WAIT });
        assert.equal(new URL(page.url()).pathname, "/api/auth/signin");
        assert.match(await page.textContent("body"), /To confirm your identity, sign in with the same account you used originally\./);
        const cookies = await ctx.cookies(e2e.stack.origin);
        assert.ok(!cookies.some((c) => c.name === "next-auth.session-token"), "no session for bob");
      });
      await e2e.closeContext(ctx);
    });

    test("signed in by email, signIn('oidc') links the provider account to that user", { timeout: TEST_TIMEOUT }, async () => {
      const address = `linker-${Date.now()}@example.com`;
      const ctx = await e2e.newContext();
      await e2e.withDiagnostics(ctx, async () => {
        const page = await e2e.openApp(ctx);
        const sent = await page.evaluate((email) => window.nextAuth.signIn("email", { email, redirect: false }), address);
        assert.equal(sent.ok, true);
        await page.goto(await e2e.stack.magicLink(address));
        await page.goto(`${e2e.stack.origin}/app/`);
        await page.waitForFunction(() => window.__appReady, null, { timeout: WAIT });
        await waitStatus(page, "authenticated");
        assert.equal((await session(page)).data.user.email, address);
        const before = (await session(page)).data.user;

        const callbackUrl = `${e2e.stack.origin}/app/?linked=1`;
        await signInWithOidc(e2e, page, "carol", callbackUrl);
        await page.waitForURL(callbackUrl, { timeout: WAIT });
        await page.waitForFunction(() => window.__appReady, null, { timeout: WAIT });
        await waitStatus(page, "authenticated");
        assert.deepEqual((await session(page)).data.user, before, "still the same user");
      });
      await e2e.closeContext(ctx);

      // carol's provider account now belongs to that user: a fresh browser signing in with
      // it becomes that user, not a new one.
      const fresh = await e2e.newContext();
      await e2e.withDiagnostics(fresh, async () => {
        const page = await e2e.openApp(fresh);
        await signInWithOidc(e2e, page, "carol", `${e2e.stack.origin}/app/`);
        await page.waitForURL(`${e2e.stack.origin}/app/`, { timeout: WAIT });
        await page.waitForFunction(() => window.__appReady, null, { timeout: WAIT });
        await waitStatus(page, "authenticated");
        assert.equal((await session(page)).data.user.email, address, "the linked user, not carol@example.com");
      });
      await e2e.closeContext(fresh);
    });
  });
}

// Database sessions (SQLite, the demo's default): an opaque session token.
strategy("database", {}, /^[0-9a-f-]{36}$/);
// JWT sessions: an encrypted JWT (JWE compact, five parts).
strategy("JWT", { DEMO_SESSION_STRATEGY: "jwt" }, /^eyJ[\w-]*\.[\w-]*\.[\w-]+\.[\w-]+\.[\w-]+$/);
