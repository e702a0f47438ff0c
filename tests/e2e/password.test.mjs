// End-to-end, password accounts (issue 12): the unmodified next-auth/react 4.24 client in
// headless Chromium against the demo's `password` provider, its mails sent to the SMTP test
// server (aiosmtpd, crates/tessera-smtp/tests/smtp-server.sh) and read from there.
//
// Sign-up on the built-in page (without JavaScript) → the verification mail →
// signIn('password', {redirect:false}) → useSession authenticated; a wrong password gives
// CredentialsSignin; a forgotten-password reset on the built-in pages (without JavaScript)
// ends the session of another browser context; the pages show refusals without JavaScript.
//
// Needs aiosmtpd: without it the file is skipped, visibly (an error under CI=true).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { WAIT, evalNavigating, waitStatus } from "./harness.mjs";
import { mailSkip, startDemoWithMailbox } from "./mailed.mjs";

const TEST_TIMEOUT = 30_000;
const PASSWORD = "violet-anvil-sings-42";
const NEW_PASSWORD = "copper-kettle-hums-17";
const VERIFY_LINK = /https?:\/\/\S+\/api\/auth\/password\/verify\?\S+/;
const RESET_LINK = /https?:\/\/\S+\/api\/auth\/password\/reset\?\S+/;

const missing = mailSkip("password.test.mjs");

describe("password accounts: next-auth/react 4.24 and the built-in pages against the demo", { skip: missing ?? false, timeout: 90_000 }, () => {
  let e2e;
  let mailbox;
  let origin;

  before(async () => {
    ({ e2e, mailbox } = await startDemoWithMailbox());
    origin = e2e.stack.origin;
  }, { timeout: 60_000 });

  after(async () => {
    await e2e?.stop();
    await mailbox?.stop();
  }, { timeout: 30_000 });

  /** Submits the built-in page's form (a real navigation) after filling `fields`. */
  async function submitForm(page, fields) {
    const form = page.locator('form[method="POST"]');
    for (const [name, value] of Object.entries(fields)) await form.locator(`input[name="${name}"]`).fill(value);
    const [response] = await Promise.all([page.waitForNavigation({ timeout: WAIT }), form.locator('button[type="submit"]').click()]);
    return response;
  }

  /** Signs up `email` on the built-in pages (no JavaScript) and opens the mailed link. */
  async function signUpWithoutJavaScript(email, password) {
    const ctx = await e2e.newContext({ javaScriptEnabled: false });
    await e2e.withDiagnostics(ctx, async () => {
      const page = await ctx.newPage();
      await page.goto(`${origin}/api/auth/signin`);
      // The sign-in page offers the password form, with links to sign up and to a reset.
      assert.equal(await page.locator(`form[action="${origin}/api/auth/callback/password"]`).count(), 1);
      await Promise.all([page.waitForNavigation({ timeout: WAIT }), page.locator(`a[href="${origin}/api/auth/signup/password"]`).click()]);
      assert.equal(new URL(page.url()).pathname, "/api/auth/signup/password");

      // A common password: the page again, with the message and the address kept.
      const refused = await submitForm(page, { name: "Ada", email, password: "password123" });
      assert.equal(refused.status(), 400);
      assert.match(await page.textContent('[role="alert"]'), /common/i);
      assert.equal(await page.inputValue('input[name="email"]'), email);

      const done = await submitForm(page, { password });
      assert.equal(done.status(), 200);
      const url = new URL(page.url());
      assert.equal(url.pathname, "/api/auth/verify-request");
      assert.equal(url.searchParams.get("type"), "signup");

      const link = await mailbox.link(email, VERIFY_LINK);
      assert.ok(link.startsWith(`${origin}/api/auth/password/verify?`), link);
      const verified = await page.goto(link);
      assert.equal(verified.status(), 200);
      assert.match(await page.textContent("body"), /Address verified/);
    });
    await e2e.closeContext(ctx);
  }

  /** Opens the React app in a new context and signs in with signIn('password', {redirect:false}). */
  async function signedInApp(email, password) {
    const ctx = await e2e.newContext();
    const page = await e2e.openApp(ctx);
    const result = await page.evaluate(([e, p]) => window.nextAuth.signIn("password", { email: e, password: p, redirect: false }), [email, password]);
    assert.deepEqual(result, { error: null, status: 200, ok: true, url: `${origin}/app/` });
    await waitStatus(page, "authenticated");
    return { ctx, page };
  }

  test("sign-up on the built-in page → verification mail → signIn('password') → useSession; a wrong password is CredentialsSignin", { timeout: TEST_TIMEOUT }, async () => {
    const email = "ada@example.com";
    await signUpWithoutJavaScript(email, PASSWORD);

    const ctx = await e2e.newContext();
    await e2e.withDiagnostics(ctx, async () => {
      const page = await e2e.openApp(ctx);
      const wrong = await page.evaluate(([e]) => window.nextAuth.signIn("password", { email: e, password: "not-the-password", redirect: false }), [email]);
      assert.deepEqual(wrong, { error: "CredentialsSignin", status: 401, ok: false, url: null });
      assert.equal((await page.evaluate(() => window.__session)).status, "unauthenticated");

      const right = await page.evaluate(([e, p]) => window.nextAuth.signIn("password", { email: e, password: p, redirect: false }), [email, PASSWORD]);
      assert.deepEqual(right, { error: null, status: 200, ok: true, url: `${origin}/app/` });
      await waitStatus(page, "authenticated", "Ada");
      const session = await page.evaluate(() => window.__session);
      assert.equal(session.data.user.email, email);
      assert.deepEqual(await page.evaluate(() => window.__sessionStates), ["loading", "unauthenticated", "authenticated"]);
    });
    await e2e.closeContext(ctx);
  });

  /** Asks for a reset link on the built-in pages (no JavaScript); resolves to the mailed link. */
  async function forgotWithoutJavaScript(email) {
    const ctx = await e2e.newContext({ javaScriptEnabled: false });
    let link;
    await e2e.withDiagnostics(ctx, async () => {
      const page = await ctx.newPage();
      await page.goto(`${origin}/api/auth/signin`);
      await Promise.all([page.waitForNavigation({ timeout: WAIT }), page.locator(`a[href="${origin}/api/auth/password/forgot"]`).click()]);
      const asked = await submitForm(page, { email });
      assert.equal(asked.status(), 200);
      assert.equal(new URL(page.url()).searchParams.get("type"), "reset");
      link = await mailbox.link(email, RESET_LINK);
      // The reset page: the link's token in the form, and no referrer to carry it away.
      const form = await page.goto(link);
      assert.equal(form.status(), 200);
      assert.equal(form.headers()["referrer-policy"], "same-origin");
      assert.equal(await page.inputValue('input[name="token"]'), new URL(link).searchParams.get("token"));
    });
    await e2e.closeContext(ctx);
    return link;
  }

  /**
   * Posts the reset form's fields (the link's token and address, a new password, a fresh
   * CSRF token) as a browser form from a page of the site (the app), and resolves to the
   * answer of that navigation.
   */
  async function postReset(page, link, password) {
    const url = new URL(link);
    const csrfToken = await page.evaluate(() => window.nextAuth.getCsrfToken());
    const fields = { csrfToken, token: url.searchParams.get("token"), email: url.searchParams.get("email"), password };
    const [response] = await Promise.all([
      page.waitForNavigation({ timeout: WAIT }),
      evalNavigating(
        page,
        ([action, values]) => {
          const form = Object.assign(document.createElement("form"), { method: "POST", action });
          for (const [name, value] of Object.entries(values)) form.append(Object.assign(document.createElement("input"), { type: "hidden", name, value }));
          document.body.append(form);
          form.submit();
        },
        [`${url.origin}${url.pathname}`, fields],
      ),
    ]);
    return response;
  }

  test("a forgotten-password reset (mail → reset page) ends the session of another context", { timeout: TEST_TIMEOUT }, async () => {
    const email = "bob@example.com";
    await signUpWithoutJavaScript(email, PASSWORD);
    const { ctx: signedIn, page: app } = await signedInApp(email, PASSWORD);
    const link = await forgotWithoutJavaScript(email);

    const ctx = await e2e.newContext();
    await e2e.withDiagnostics(ctx, async () => {
      const page = await e2e.openApp(ctx);
      // The policy holds on a reset, and a refused password keeps the link usable.
      const refused = await postReset(page, link, "password123");
      assert.equal(refused.status(), 400);
      assert.match(await page.textContent('[role="alert"]'), /common/i);
      await e2e.openApp(ctx);
      const reset = await postReset(ctx.pages().at(-1), link, NEW_PASSWORD);
      assert.equal(reset.status(), 200);
      assert.equal(new URL(ctx.pages().at(-1).url()).pathname, "/api/auth/signin");
      // The link works once.
      const again = await postReset(await e2e.openApp(ctx), link, "another-long-password-3");
      assert.equal(again.status(), 400);
      assert.match(await ctx.pages().at(-1).textContent('[role="alert"]'), /no longer valid/);
    });
    await e2e.closeContext(ctx);

    await e2e.withDiagnostics(signedIn, async () => {
      // The other context's session is gone: next-auth/react sees it at its next look
      // (here the focus refetch, refetchOnWindowFocus), and the old password is refused.
      assert.equal(await app.evaluate(() => window.nextAuth.getSession()), null);
      await app.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
      await waitStatus(app, "unauthenticated");
      const old = await app.evaluate(([e, p]) => window.nextAuth.signIn("password", { email: e, password: p, redirect: false }), [email, PASSWORD]);
      assert.equal(old.error, "CredentialsSignin");
      const renewed = await app.evaluate(([e, p]) => window.nextAuth.signIn("password", { email: e, password: p, redirect: false }), [email, NEW_PASSWORD]);
      assert.equal(renewed.ok, true);
      await waitStatus(app, "authenticated");
    });
    await e2e.closeContext(signedIn);
  });

  // The reset page answers with `Referrer-Policy: same-origin`: under `no-referrer` Chromium
  // posts its form with `Origin: null`, which the engine's same-origin check refuses (403).
  test(
    "the built-in reset page's own form works without JavaScript",
    { timeout: TEST_TIMEOUT },
    async () => {
      const email = "carol@example.com";
      await signUpWithoutJavaScript(email, PASSWORD);
      const link = await forgotWithoutJavaScript(email);
      const ctx = await e2e.newContext({ javaScriptEnabled: false });
      await e2e.withDiagnostics(ctx, async () => {
        const page = await ctx.newPage();
        await page.goto(link);
        const reset = await submitForm(page, { password: NEW_PASSWORD });
        assert.equal(reset.status(), 200);
        assert.equal(new URL(page.url()).pathname, "/api/auth/signin");
      });
      await e2e.closeContext(ctx);
    },
  );
});
