// End-to-end, two-factor sign-in and one-time email codes (issue 12): the unmodified
// next-auth/react 4.24 client in headless Chromium against the demo (two-factor sign-in on,
// `DEMO_EMAIL_CODE=with-link`), its mails sent to the SMTP test server (aiosmtpd,
// crates/tessera-smtp/tests/smtp-server.sh) and read from there. The test computes TOTP
// codes (RFC 6238: HMAC-SHA1, 30 s, six digits) with node:crypto from the secret the set-up
// answer shows.
//
// A password account enables TOTP (GET/POST /two-factor/setup|enable) → signOut →
// signIn('password', {redirect:false}) gives TwoFactorRequired → signIn('two-factor', {code})
// → useSession authenticated; a replayed code is refused; a recovery code works once. The
// same through the built-in pages without JavaScript. An email code signs in once, and is
// refused after too many wrong tries (the right code then fails too).
//
// Needs aiosmtpd: without it the file is skipped, visibly (an error under CI=true).
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { WAIT, waitStatus } from "./harness.mjs";
import { mailSkip, startDemoWithMailbox } from "./mailed.mjs";

const TEST_TIMEOUT = 30_000;
const PASSWORD = "violet-anvil-sings-42";
const VERIFY_LINK = /https?:\/\/\S+\/api\/auth\/password\/verify\?\S+/;
const MAILED_CODE = /(?<=Your sign-in code: )\d{6}/;

const missing = mailSkip("two-factor.test.mjs");

/** RFC 4648 base32 (no padding) to bytes. */
function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.replace(/=+$/, "").toUpperCase()) {
    const v = alphabet.indexOf(c);
    assert.ok(v >= 0, `a base32 secret: ${c}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The current 30-second step. */
const stepNow = () => Math.floor(Date.now() / 1000 / 30);

/** The RFC 6238 code (HMAC-SHA1, six digits) of `secret` (base32) at `step`. */
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const at = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

/** Fetches a route of the site from the page (its cookies, its origin), as a form POST when `fields` are given. */
function call(page, path, fields) {
  return page.evaluate(
    async ([p, f]) => {
      const init = { headers: { Accept: "application/json" } };
      if (f) {
        const { csrfToken } = await (await fetch("/api/auth/csrf")).json();
        init.method = "POST";
        init.body = new URLSearchParams({ csrfToken, json: "true", ...f });
        init.headers["Content-Type"] = "application/x-www-form-urlencoded";
      }
      const res = await fetch(p, init);
      const text = await res.text();
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      return { status: res.status, body };
    },
    [path, fields ?? null],
  );
}

describe("two-factor sign-in and email codes: next-auth/react 4.24 and the built-in pages against the demo", { skip: missing ?? false, timeout: 90_000 }, () => {
  let e2e;
  let mailbox;
  let origin;

  before(async () => {
    ({ e2e, mailbox } = await startDemoWithMailbox({ DEMO_EMAIL_CODE: "with-link" }));
    origin = e2e.stack.origin;
  }, { timeout: 60_000 });

  after(async () => {
    await e2e?.stop();
    await mailbox?.stop();
  }, { timeout: 30_000 });

  /** Signs up `email` from the app page (the sign-up route, as a form) and opens the verification link. */
  async function signUp(page, email) {
    const r = await call(page, "/api/auth/signup/password", { email, password: PASSWORD });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const verified = await page.request.get(await mailbox.link(email, VERIFY_LINK));
    assert.equal(verified.status(), 200);
  }

  const signInPassword = (page, email) =>
    page.evaluate(([e, p]) => window.nextAuth.signIn("password", { email: e, password: p, redirect: false }), [email, PASSWORD]);
  const secondFactor = (page, code) => page.evaluate((c) => window.nextAuth.signIn("two-factor", { code: c, redirect: false }), code);
  const signOut = (page) => page.evaluate(() => window.nextAuth.signOut({ redirect: false }));
  const signedIn = { error: null, status: 200, ok: true, url: null };

  test("next-auth/react: enable TOTP → signOut → password gives TwoFactorRequired → code → session; replay refused; a recovery code works once", { timeout: TEST_TIMEOUT }, async () => {
    const email = "dana@example.com";
    const ctx = await e2e.newContext();
    await e2e.withDiagnostics(ctx, async () => {
      const page = await e2e.openApp(ctx);
      await signUp(page, email);
      assert.deepEqual(await signInPassword(page, email), { ...signedIn, url: `${origin}/app/` });
      await waitStatus(page, "authenticated");

      // The set-up: a secret, its otpauth:// URI and a QR code; nothing stored yet.
      const setup = await call(page, "/api/auth/two-factor/setup");
      assert.equal(setup.status, 200);
      const { enabled, secret, uri, qrSvg } = setup.body;
      assert.equal(enabled, false);
      assert.match(secret, /^[A-Z2-7]{32}$/);
      assert.equal(new URL(uri).searchParams.get("secret"), secret);
      assert.ok(uri.startsWith("otpauth://totp/"), uri);
      assert.match(qrSvg, /^<svg[\s\S]*<\/svg>\s*$/);

      // A wrong first code does not enable it; the right one answers ten recovery codes.
      const step = stepNow();
      const wrong = await call(page, "/api/auth/two-factor/enable", { code: String((Number(totp(secret, step)) + 1) % 1e6).padStart(6, "0") });
      assert.deepEqual(wrong, { status: 401, body: { error: "WrongCode" } });
      const enable = await call(page, "/api/auth/two-factor/enable", { code: totp(secret, step) });
      assert.equal(enable.status, 200);
      const recovery = enable.body.recoveryCodes;
      assert.equal(recovery.length, 10);
      for (const c of recovery) assert.match(c, /^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/i);
      assert.deepEqual((await call(page, "/api/auth/two-factor/setup")).body, { enabled: true });

      await signOut(page);
      await waitStatus(page, "unauthenticated");

      // The password alone stops at TwoFactorRequired, with no session.
      assert.deepEqual(await signInPassword(page, email), { error: "TwoFactorRequired", status: 401, ok: false, url: null });
      assert.equal(await page.evaluate(() => window.nextAuth.getSession()), null);
      // The code of the enabling step is used already; the next step's finishes the sign-in.
      assert.equal((await secondFactor(page, totp(secret, step))).error, "CredentialsSignin");
      const code = totp(secret, step + 1);
      assert.deepEqual(await secondFactor(page, code), { ...signedIn, url: `${origin}/app/` });
      await waitStatus(page, "authenticated");
      assert.equal((await page.evaluate(() => window.__session)).data.user.email, email);

      // A replayed code is refused; a recovery code works, once.
      await signOut(page);
      await waitStatus(page, "unauthenticated");
      assert.equal((await signInPassword(page, email)).error, "TwoFactorRequired");
      assert.equal((await secondFactor(page, code)).error, "CredentialsSignin");
      assert.equal((await secondFactor(page, recovery[0].toUpperCase())).ok, true);
      await waitStatus(page, "authenticated");

      await signOut(page);
      await waitStatus(page, "unauthenticated");
      assert.equal((await signInPassword(page, email)).error, "TwoFactorRequired");
      assert.equal((await secondFactor(page, recovery[0])).error, "CredentialsSignin");
      assert.equal(await page.evaluate(() => window.nextAuth.getSession()), null);
      assert.equal((await secondFactor(page, recovery[1])).ok, true);
      await waitStatus(page, "authenticated");

      // Turning it off takes a code (or the password): the password alone signs in again.
      assert.deepEqual(await call(page, "/api/auth/two-factor/disable", { code: "000000" }), { status: 401, body: { error: "WrongCode" } });
      assert.deepEqual(await call(page, "/api/auth/two-factor/disable", { password: PASSWORD }), { status: 200, body: { enabled: false } });
      await signOut(page);
      await waitStatus(page, "unauthenticated");
      assert.equal((await signInPassword(page, email)).ok, true);
    });
    await e2e.closeContext(ctx);
  });

  /** Fills the form of the page (a real navigation) and submits it. */
  async function submitForm(page, fields, form = page.locator('form[method="POST"]').first()) {
    for (const [name, value] of Object.entries(fields)) await form.locator(`input[name="${name}"]`).fill(value);
    const [response] = await Promise.all([page.waitForNavigation({ timeout: WAIT }), form.locator('button[type="submit"]').click()]);
    return response;
  }

  test("the built-in pages without JavaScript: set-up page → sign-out → password → code form → signed in", { timeout: TEST_TIMEOUT }, async () => {
    const email = "erin@example.com";
    const withScript = await e2e.newContext();
    await e2e.withDiagnostics(withScript, async () => signUp(await e2e.openApp(withScript), email));
    await e2e.closeContext(withScript);

    const ctx = await e2e.newContext({ javaScriptEnabled: false });
    await e2e.withDiagnostics(ctx, async () => {
      const page = await ctx.newPage();
      const passwordForm = `form[action="${origin}/api/auth/callback/password"]`;
      await page.goto(`${origin}/api/auth/signin?callbackUrl=${encodeURIComponent(`${origin}/protected`)}`);
      await submitForm(page, { email, password: PASSWORD }, page.locator(passwordForm));
      assert.equal(new URL(page.url()).pathname, "/protected");

      // The demo's home page links to the set-up page: the QR code, the key and the enable form.
      await page.goto(`${origin}/`);
      await Promise.all([page.waitForNavigation({ timeout: WAIT }), page.locator(`a[href="/api/auth/two-factor/setup"]`).click()]);
      assert.equal(await page.locator(".qr svg").count(), 1);
      const secret = (await page.textContent("main code, p code")).trim();
      assert.match(secret, /^[A-Z2-7]{32}$/);
      const step = stepNow();
      const enabled = await submitForm(page, { code: totp(secret, step) });
      assert.equal(enabled.status(), 200);
      assert.equal(await page.locator(".recovery-codes li").count(), 10);

      // Sign out on the built-in page, then the password: the sign-in page shows the code form alone.
      await page.goto(`${origin}/api/auth/signout`);
      await submitForm(page, {});
      await page.goto(`${origin}/api/auth/signin?callbackUrl=${encodeURIComponent(`${origin}/protected`)}`);
      await submitForm(page, { email, password: PASSWORD }, page.locator(passwordForm));
      assert.equal(new URL(page.url()).searchParams.get("error"), "TwoFactorRequired");
      assert.equal(await page.locator(passwordForm).count(), 0);
      const codeForm = page.locator(`form[action="${origin}/api/auth/callback/two-factor"]`);
      assert.equal(await codeForm.count(), 1);
      const done = await submitForm(page, { code: totp(secret, step + 1) }, codeForm);
      assert.equal(done.status(), 200);
      assert.equal(new URL(page.url()).pathname, "/protected", "the first factor's callback URL");
      const session = await (await page.request.get(`${origin}/api/auth/session`)).json();
      assert.equal(session.user.email, email);
    });
    await e2e.closeContext(ctx);
  });

  test("an email code signs in once; after too many wrong codes the right one fails too", { timeout: TEST_TIMEOUT }, async () => {
    const ctx = await e2e.newContext();
    await e2e.withDiagnostics(ctx, async () => {
      const page = await e2e.openApp(ctx);
      const postCode = (email, code) => call(page, "/api/auth/callback/email", { email, code });

      // The code from the mail, entered on the built-in verify-request page.
      const email = "frank@example.com";
      const asked = await page.evaluate((e) => window.nextAuth.signIn("email", { email: e, redirect: false }), email);
      assert.equal(asked.ok, true);
      const code = await mailbox.link(email, MAILED_CODE);
      const form = await ctx.newPage();
      await form.goto(`${origin}/api/auth/verify-request?provider=email&type=email`);
      const codeForm = form.locator(`form[action="${origin}/api/auth/callback/email"]`);
      const done = await submitForm(form, { email, code: `${code.slice(0, 3)} ${code.slice(3)}` }, codeForm);
      assert.equal(done.status(), 200);
      // The landing page is the app: useSession sees the session.
      assert.equal(new URL(form.url()).pathname, "/app/");
      await waitStatus(form, "authenticated");
      assert.equal((await form.evaluate(() => window.__session)).data.user.email, email);
      await form.close();
      // Single use.
      const replay = await postCode(email, code);
      assert.equal(replay.status, 401);
      assert.equal(new URL(replay.body.url).searchParams.get("error"), "Verification");

      // Five wrong codes burn the address's codes: the right one then fails.
      const other = "grace@example.com";
      await page.evaluate((e) => window.nextAuth.signIn("email", { email: e, redirect: false }), other);
      const right = await mailbox.link(other, MAILED_CODE);
      const wrong = String((Number(right) + 1) % 1e6).padStart(6, "0");
      for (let i = 0; i < 5; i++) assert.equal((await postCode(other, wrong)).status, 401);
      const burned = await postCode(other, right);
      assert.equal(burned.status, 401);
      assert.equal(new URL(burned.body.url).searchParams.get("error"), "Verification");
    });
    await e2e.closeContext(ctx);
  });
});
