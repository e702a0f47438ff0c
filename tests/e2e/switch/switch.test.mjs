// The switch from next-auth to `tessera serve`, end to end (issue 11).
//
// A real Next.js app (pages router, next-auth 4.24 with @auth/pg-adapter on PostgreSQL, an
// email provider and an OpenID Connect provider) runs first on its own next-auth route.
// Then it is stopped, `tessera serve` starts on the same tables with the same secret and
// providers, and the same app built with the README's rewrite (/api/auth/* → Tessera)
// starts on the same origin. The browser contexts signed in before the switch must stay
// signed in, and everything next-auth left in the database must go on working: sessions,
// users and accounts, a pending email sign-in link, and (JWT strategy) the session cookie,
// chunked or not, which the app's own getToken() must still read once Tessera has re-issued
// it. Last, each part goes back to next-auth (a rollback): what Tessera wrote must be
// next-auth's again.
//
// Needs: `node build.mjs` (both builds), the tessera binary (TESSERA_BIN, default
// <workspace>/target/debug/tessera), PostgreSQL on 127.0.0.1:5432 (database test; or
// SWITCH_PG_URL), aiosmtpd (crates/tessera-smtp/tests/smtp-server.sh), oidc-provider
// (tests/oidc), Chromium. run.sh checks them all.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import {
  WAIT,
  evalNavigating,
  freePort,
  launchBrowser,
  spawnTracked,
  stopChild,
  waitForHttp,
  waitStatus,
} from "../harness.mjs";
import { lineOf, startMailbox } from "./servers.mjs";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
const TEST_TIMEOUT = 60_000;
// The app's secret, random as it should be (`tessera doctor` refuses a guessable one).
const SECRET = randomBytes(32).toString("base64url");
const PG_URL = process.env.SWITCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const SCHEMA = `switch_${randomBytes(6).toString("hex")}`;
// The app's DATABASE_URL, which Tessera takes as it is: libpq's `options` puts the test's
// schema first on the search_path (node-postgres and sqlx both pass it to the server).
const DATABASE_URL = `${PG_URL}${PG_URL.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${SCHEMA}`)}`;
const DDL = readFileSync(join(root, "crates/tessera-sqlx/tests/it/pg_adapter/schema.sql"), "utf8");
const TESSERA_BIN = resolve(here, process.env.TESSERA_BIN ?? join(root, "target/debug/tessera"));
const DIST = { nextauth: ".next-nextauth", tessera: ".next-tessera" };
const SESSION_COOKIE = "next-auth.session-token";
const SESSION_CHUNK = /^next-auth\.session-token\.(\d+)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const JWE = /^eyJ[\w-]*\.[\w-]*\.[\w-]+\.[\w-]+\.[\w-]+$/;

// ------------------------------------------------------------------ the pieces

let db; // pg client with SCHEMA on its search_path
let smtp; // the SMTP test server (servers.mjs)
let oidc;
let browser;
let app; // the running Next.js app
let tessera; // the running tessera serve
let appPort;
let origin; // what the browser uses, NEXTAUTH_URL of both servers
let tesseraOrigin;
const contexts = {};

const rows = async (sql, params = []) => (await db.query(sql, params)).rows;
const count = async (table) => Number((await rows(`select count(*) as n from ${table}`))[0].n);

/**
 * Starts the app from `distDir` on `appPort` (next start), waiting until it serves "/".
 * Built with the rewrite, the app gets only what its own code still needs (getToken(): the
 * secret): none of next-auth's database, mail or provider settings.
 */
async function startApp(distDir, strategy) {
  const env = {
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    NEXT_DIST_DIR: distDir,
    NEXTAUTH_URL: origin,
    NEXTAUTH_SECRET: SECRET,
  };
  if (distDir === DIST.nextauth) {
    Object.assign(env, {
      DATABASE_URL,
      EMAIL_SERVER: `smtp://127.0.0.1:${smtp.port}`,
      EMAIL_FROM: "Switch <noreply@example.com>",
      OIDC_ISSUER: oidc.issuer,
      SESSION_STRATEGY: strategy,
    });
  }
  const args = [join(here, "node_modules/next/dist/bin/next"), "start", here, "-p", String(appPort), "-H", "127.0.0.1"];
  const child = spawnTracked(`next ${distDir}`, process.execPath, args, env);
  await waitForHttp(`http://127.0.0.1:${appPort}/`, child, `next start (${distDir})`, 30_000);
  return child;
}

/** `tessera serve` on the app's tables, with the providers the app had (`strategy` sessions). */
async function startTessera(strategy, doctor) {
  const dir = mkdtempSync(join(tmpdir(), "tessera-switch-"));
  const config = join(dir, "tessera.toml");
  writeFileSync(
    config,
    `# The app's next-auth options, as tessera.toml (the secret and the database from the environment).
[server]
address = "127.0.0.1"

[session]
strategy = "${strategy}"
update = { name = 64 }

[[providers]]
id = "email"
type = "email"
server = "smtp+insecure://127.0.0.1:${smtp.port}"
from = "Switch <noreply@example.com>"

[[providers]]
id = "oidc"
type = "oidc"
name = "Loopback OIDC"
issuer = "${oidc.issuer}"
client_id = "tessera"
client_secret = "tessera-secret"
`,
  );
  const env = {
    PORT: new URL(tesseraOrigin).port,
    NEXTAUTH_URL: origin,
    NEXTAUTH_SECRET: SECRET,
    DATABASE_URL, // the app's own
    AUTH_DB_SCHEMA: "pg-adapter",
    RUST_LOG: process.env.RUST_LOG ?? "info",
  };
  if (doctor) {
    // What a team runs before the switch: everything checks out but the plain-http URL.
    const { stdout } = await run(TESSERA_BIN, ["doctor", "--config", config], { env: { ...process.env, ...env } }).catch(
      (e) => assert.fail(`tessera doctor failed (${e.code}):\n${e.stdout}${e.stderr}`),
    );
    for (const line of [
      /^ok +database: PostgreSQL, next-auth's pg-adapter tables as expected$/m,
      /^ok +providers\.email: SMTP 127\.0\.0\.1:\d+ answers$/m,
      /^ok +providers\.oidc: OpenID Connect discovery at .* answers$/m,
      /^0 error\(s\)/m,
    ]) {
      assert.match(stdout, line);
    }
  }
  const child = spawnTracked("tessera", TESSERA_BIN, ["serve", "--config", config], env);
  child.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  await waitForHttp(`${tesseraOrigin}/healthz`, child, "tessera serve", 20_000);
  return child;
}

/** Stops whatever serves the app now, then starts `which` ("nextauth" or "tessera"). */
async function switchTo(which, strategy, { doctor = false } = {}) {
  // Pages left open across the switch are those a test marks (a visitor mid-way).
  for (const page of Object.values(contexts).flatMap((c) => c.pages())) if (!page.keepOpen) await page.close();
  await stopChild(app);
  await stopChild(tessera);
  app = tessera = undefined;
  app = await startApp(DIST[which], strategy);
  if (which === "tessera") {
    // The rewrite is in place: with Tessera not started yet, /api/auth does not answer.
    const down = await fetch(`${origin}/api/auth/session`);
    assert.notEqual(down.status, 200, "the app's /api/auth goes to Tessera's origin");
    tessera = await startTessera(strategy, doctor);
    const up = await fetch(`${origin}/api/auth/session`);
    assert.equal(up.status, 200);
  }
}

function logs() {
  return [smtp, oidc, app, tessera]
    .filter(Boolean)
    .map((c) => `--- ${c.name} ---\n${c.logs().split("\n").slice(-40).join("\n")}`)
    .join("\n");
}

/** Runs `fn`, adding the servers' last log lines to its failure. */
async function diagnosed(fn) {
  try {
    await fn();
  } catch (e) {
    e.message += `\n${logs()}`;
    throw e;
  }
}

async function newContext(name) {
  const ctx = await browser.newContext();
  // next-auth/react reports client errors by POSTing to /api/auth/_log: none may be sent.
  ctx.clientLogs = [];
  ctx.on("request", (r) => {
    if (new URL(r.url()).pathname === "/api/auth/_log") ctx.clientLogs.push(r.postData() ?? "");
  });
  contexts[name] = ctx;
  return ctx;
}

/** Opens the app's page in `ctx` and waits until useSession() has left "loading". */
async function openApp(ctx) {
  const page = await ctx.newPage();
  const res = await page.goto(`${origin}/`);
  assert.equal(res.status(), 200);
  await page.waitForFunction(() => window.__appReady && window.__session?.status !== "loading", null, {
    timeout: WAIT,
  });
  return page;
}

const sessionOf = (page) => page.evaluate(() => window.nextAuth.getSession());
const cookieOf = async (ctx) => (await ctx.cookies(origin)).find((c) => c.name === SESSION_COOKIE);

/** The session cookie, or its chunks (`.0`, `.1`, … in order) when it is too long for one. */
async function sessionCookies(ctx) {
  const chunk = (c) => (c.name === SESSION_COOKIE ? -1 : Number(c.name.match(SESSION_CHUNK)?.[1] ?? NaN));
  return (await ctx.cookies(origin)).filter((c) => !Number.isNaN(chunk(c))).sort((a, b) => chunk(a) - chunk(b));
}
const joined = (cookies) => cookies.map((c) => c.value).join("");

/** The app's own /api/token route: next-auth's getToken() on the browser's cookie. */
async function appToken(ctx) {
  const res = await ctx.request.get(`${origin}/api/token`);
  assert.equal(res.status(), 200);
  return (await res.json()).token;
}

/** The sign-in link of the next mail to `address` the SMTP server received (waits for it). */
const mailedLink = (address) => smtp.link(address);

/** signIn('email', {redirect:false}) from `page`; resolves to the mailed link. */
async function requestEmailLink(page, address) {
  const result = await page.evaluate(
    (email) => window.nextAuth.signIn("email", { email, redirect: false, callbackUrl: "/" }),
    address,
  );
  assert.deepEqual(result, {
    error: null,
    status: 200,
    ok: true,
    url: `${origin}/api/auth/verify-request?provider=email&type=email`,
  });
  return mailedLink(address);
}

/** Follows a mailed link in `page` and waits until the app shows the signed-in session. */
async function followLink(page, link) {
  await page.goto(link);
  await page.waitForURL(`${origin}/`, { timeout: WAIT });
  await page.waitForFunction(() => window.__appReady, null, { timeout: WAIT });
  await waitStatus(page, "authenticated");
}

/**
 * Plays the user at the provider: its login form (as `login`, any password) and its consent
 * form, until it redirects back to the app (as oauth.test.mjs does).
 */
async function authorizeAtProvider(page, login) {
  await page.waitForURL((u) => u.origin === oidc.issuer, { timeout: WAIT });
  for (let step = 0; step < 6; step++) {
    await page.waitForURL((u) => u.origin === origin || u.origin === oidc.issuer, { timeout: WAIT });
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

/** signIn('oidc') from `page` as `login`; waits until the app shows the session. */
async function signInWithOidc(page, login) {
  await evalNavigating(page, () => window.nextAuth.signIn("oidc", { callbackUrl: "/" }));
  await authorizeAtProvider(page, login);
  await page.waitForURL(`${origin}/`, { timeout: WAIT });
  await page.waitForFunction(() => window.__appReady, null, { timeout: WAIT });
  await waitStatus(page, "authenticated");
}

// ------------------------------------------------------------------ setup

before(async () => {
  for (const dist of Object.values(DIST)) {
    if (!existsSync(join(here, dist, "BUILD_ID"))) throw new Error(`${dist} is not built: run \`node build.mjs\` in ${here}`);
  }
  if (!existsSync(TESSERA_BIN)) throw new Error(`tessera binary not found at ${TESSERA_BIN}: cargo build -p tessera-cli, or set TESSERA_BIN`);
  tesseraOrigin = readFileSync(join(here, DIST.tessera, "tessera-origin"), "utf8").trim();
  appPort = await freePort();
  origin = `http://localhost:${appPort}`;

  db = new pg.Client({ connectionString: PG_URL });
  await db.connect();
  await db.query(`CREATE SCHEMA ${SCHEMA}`);
  await db.query(`SET search_path TO ${SCHEMA}`);
  await db.query(DDL);

  smtp = await startMailbox();

  const oidcDir = join(root, "tests/oidc");
  if (!existsSync(join(oidcDir, "node_modules/oidc-provider"))) throw new Error(`run \`npm ci --prefix ${oidcDir}\``);
  oidc = spawnTracked("oidc", process.execPath, [join(oidcDir, "server.mjs")], {
    REDIRECT_URIS: `${origin}/api/auth/callback/oidc`,
  });
  oidc.issuer = JSON.parse((await lineOf(oidc, /^\{"issuer".*$/m, "oidc-provider"))[0]).issuer;

  browser = await launchBrowser();
}, { timeout: 60_000 });

after(async () => {
  for (const ctx of Object.values(contexts)) await ctx.close().catch(() => {});
  await browser?.close().catch(() => {});
  await Promise.all([app, tessera, oidc].map((c) => stopChild(c)));
  await smtp?.stop();
  if (db) {
    await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => {});
    await db.end().catch(() => {});
  }
}, { timeout: 30_000 });

// ------------------------------------------------------------------ database sessions

describe("database sessions: next-auth 4 + @auth/pg-adapter, then tessera serve", { timeout: 240_000 }, () => {
  const emailAddress = `switch-${Date.now()}@example.com`;
  const pendingAddress = `pending-${Date.now()}@example.com`;
  const laterAddress = `later-${Date.now()}@example.com`;
  const formAddress = `form-${Date.now()}@example.com`;
  let emailSession; // the session next-auth gave the email context
  let emailCookie;
  let aliceSession;
  let aliceCookie;
  let aliceUserId;
  let pendingLink;
  let aliceAgainSession; // the sessions Tessera made
  let pendingSession;
  let laterLink; // a link Tessera mailed

  test("before: signed in with next-auth by email and by OIDC; a link left pending", { timeout: TEST_TIMEOUT }, () =>
    diagnosed(async () => {
      await switchTo("nextauth", "database");

      const byEmail = await newContext("email");
      const page = await openApp(byEmail);
      await waitStatus(page, "unauthenticated");
      await followLink(page, await requestEmailLink(page, emailAddress));
      emailSession = await sessionOf(page);
      assert.equal(emailSession.user.email, emailAddress);
      assert.deepEqual(Object.keys(emailSession).sort(), ["expires", "user"]);
      emailCookie = await cookieOf(byEmail);
      assert.match(emailCookie.value, UUID, "next-auth's database session token");
      assert.equal(await page.textContent("#session"), JSON.stringify(emailSession));

      const byOidc = await newContext("oidc");
      const page2 = await openApp(byOidc);
      await signInWithOidc(page2, "alice");
      aliceSession = await sessionOf(page2);
      assert.deepEqual(aliceSession.user, {
        name: "Alice Liddell",
        email: "alice@example.com",
        image: "https://img.example/alice.png",
      });
      aliceCookie = await cookieOf(byOidc);
      const [{ userId, ...account }] = await rows(`select "userId", type, provider, "providerAccountId" from accounts`);
      assert.deepEqual(account, { type: "oauth", provider: "oidc", providerAccountId: "alice" });
      aliceUserId = userId;

      // A third visitor asks for a link and does not follow it before the switch.
      const pending = await newContext("pending");
      pendingLink = await requestEmailLink(await openApp(pending), pendingAddress);
      const token = new URL(pendingLink).searchParams.get("token");
      const stored = await rows(`select token from verification_token where identifier = $1`, [pendingAddress]);
      assert.deepEqual(stored, [{ token: createHash("sha256").update(`${token}${SECRET}`).digest("hex") }]);

      // A visitor is at the provider's login page, with next-auth's state, PKCE and nonce
      // cookies, when the switch happens.
      const inflight = await newContext("inflight");
      const page3 = await openApp(inflight);
      await evalNavigating(page3, () => window.nextAuth.signIn("oidc", { callbackUrl: "/?inflight=1" }));
      await page3.waitForURL((u) => u.origin === oidc.issuer, { timeout: WAIT });
      await page3.locator('input[name="login"]').waitFor({ timeout: WAIT });
      const checks = (await inflight.cookies(origin)).map((c) => c.name).filter((n) => /state|pkce|nonce/.test(n));
      assert.deepEqual(checks.sort(), ["next-auth.nonce", "next-auth.pkce.code_verifier", "next-auth.state"]);
      page3.keepOpen = true;

      // Another has next-auth's own sign-in page open (its CSRF token in the form).
      const form = await newContext("form");
      const page4 = await form.newPage();
      await page4.goto(`${origin}/api/auth/signin`);
      await page4.fill('input[name="email"]', formAddress);
      assert.match(await page4.locator('input[name="csrfToken"]').first().inputValue(), /^[0-9a-f]{64}$/);
      page4.keepOpen = true;

      assert.equal(await count("users"), 2);
      assert.equal(await count("accounts"), 1);
      assert.equal(await count("sessions"), 2);
      for (const ctx of Object.values(contexts)) assert.deepEqual(ctx.clientLogs, []);
    }));

  test("after the switch: the same browsers are still signed in, with the same session", { timeout: TEST_TIMEOUT }, () =>
    diagnosed(async () => {
      await switchTo("tessera", "database", { doctor: true });
      const providers = await (await fetch(`${origin}/api/auth/providers`)).json();
      assert.deepEqual(Object.keys(providers).sort(), ["email", "oidc"]);

      const page = await openApp(contexts.email);
      await waitStatus(page, "authenticated");
      assert.deepEqual(await sessionOf(page), emailSession, "Tessera's answer for next-auth's session");
      assert.equal((await cookieOf(contexts.email)).value, emailCookie.value, "the same session token");

      const page2 = await openApp(contexts.oidc);
      await waitStatus(page2, "authenticated", "Alice Liddell");
      assert.deepEqual(await sessionOf(page2), aliceSession);
      assert.equal((await cookieOf(contexts.oidc)).value, aliceCookie.value);

      // A next-auth session due for extension (updateAge, a day by default) is extended
      // in its row and in the cookie; the answer that extends it still shows the expiry it
      // had (as next-auth 4 answers), the next one the new expiry.
      const [due] = await rows(
        `update sessions set expires = date_trunc('milliseconds', now()) + interval '2 days' where "sessionToken" = $1 returning expires`,
        [aliceCookie.value],
      );
      assert.deepEqual(await sessionOf(page2), { ...aliceSession, expires: due.expires.toISOString() });
      const thirtyDays = Date.now() + 30 * 86400_000;
      const [row] = await rows(`select expires from sessions where "sessionToken" = $1`, [aliceCookie.value]);
      assert.ok(Math.abs(row.expires - thirtyDays) < 60_000, `the row is extended to 30 days: ${row.expires.toISOString()}`);
      const cookie = await cookieOf(contexts.oidc);
      assert.equal(cookie.value, aliceCookie.value, "the same token");
      assert.ok(Math.abs(cookie.expires * 1000 - thirtyDays) < 60_000, "the cookie lives 30 days again");
      const extended = await sessionOf(page2);
      assert.deepEqual(extended, { ...aliceSession, expires: row.expires.toISOString() });
      aliceSession = extended;
      for (const ctx of Object.values(contexts)) assert.deepEqual(ctx.clientLogs, []);
    }));

  test("after the switch: the visitors caught mid-way finish signing in with Tessera", { timeout: TEST_TIMEOUT }, () =>
    diagnosed(async () => {
      // The OIDC sign-in next-auth started ends at Tessera's callback, with next-auth's checks.
      const sessions = await count("sessions");
      const [page] = contexts.inflight.pages();
      await authorizeAtProvider(page, "alice");
      await page.waitForURL(`${origin}/?inflight=1`, { timeout: WAIT });
      await page.waitForFunction(() => window.__appReady, null, { timeout: WAIT });
      await waitStatus(page, "authenticated", "Alice Liddell");
      assert.deepEqual((await sessionOf(page)).user, aliceSession.user);
      const names = (await contexts.inflight.cookies(origin)).map((c) => c.name);
      for (const check of ["next-auth.nonce", "next-auth.pkce.code_verifier", "next-auth.state"]) {
        assert.ok(!names.includes(check), `${check} is cleared (cookies: ${names})`);
      }
      assert.equal(await count("sessions"), sessions + 1);
      assert.equal(await count("accounts"), 1);
      assert.deepEqual(contexts.inflight.clientLogs, []);

      // next-auth's sign-in page, rendered before the switch, posts to Tessera: its CSRF
      // token is accepted, Tessera mails the link, and it signs in.
      const [formPage] = contexts.form.pages();
      await Promise.all([
        formPage.waitForURL((u) => u.pathname === "/api/auth/verify-request", { timeout: WAIT }),
        formPage.getByRole("button", { name: "Sign in with Email" }).click(),
      ]);
      await followLink(formPage, await mailedLink(formAddress));
      assert.equal((await sessionOf(formPage)).user.email, formAddress);
      assert.deepEqual(contexts.form.clientLogs, []);
    }));

  test("after the switch: update({name}) is stored on the user; signOut() ends the session", { timeout: TEST_TIMEOUT }, () =>
    diagnosed(async () => {
      const ctx = contexts.email;
      const [page] = ctx.pages();
      await page.fill("#name", "Renamed After Switch");
      await page.click("#update");
      await waitStatus(page, "authenticated", "Renamed After Switch");
      await page.waitForFunction(() => document.querySelector("#session").textContent.includes("Renamed After Switch"), null, {
        timeout: WAIT,
      });
      assert.deepEqual(await rows(`select name from users where email = $1`, [emailAddress]), [{ name: "Renamed After Switch" }]);
      assert.equal((await sessionOf(page)).user.name, "Renamed After Switch");

      await page.click("#signout");
      await waitStatus(page, "unauthenticated");
      assert.equal(await cookieOf(ctx), undefined, "the session cookie is cleared");
      assert.deepEqual(await rows(`select 1 from sessions where "sessionToken" = $1`, [emailCookie.value]), []);
      assert.equal(await sessionOf(page), null);

      // Signing in by email again, through Tessera now, finds the renamed user.
      const users = await count("users");
      await followLink(page, await requestEmailLink(page, emailAddress));
      assert.equal((await sessionOf(page)).user.name, "Renamed After Switch");
      assert.equal(await count("users"), users, "no new user");
      emailSession = await sessionOf(page);
      assert.deepEqual(ctx.clientLogs, []);
    }));

  test("after the switch: signing in again with OIDC finds next-auth's user and account", { timeout: TEST_TIMEOUT }, () =>
    diagnosed(async () => {
      const users = await count("users");
      const ctx = await newContext("oidc-again");
      const page = await openApp(ctx);
      await waitStatus(page, "unauthenticated");
      await signInWithOidc(page, "alice");
      aliceAgainSession = await sessionOf(page);
      assert.deepEqual(aliceAgainSession.user, aliceSession.user);
      const cookie = await cookieOf(ctx);
      assert.match(cookie.value, UUID);
      assert.notEqual(cookie.value, aliceCookie.value, "a new session");
      assert.deepEqual(await rows(`select "userId" from sessions where "sessionToken" = $1`, [cookie.value]), [
        { userId: aliceUserId },
      ]);
      assert.equal(await count("users"), users, "no new user");
      assert.equal(await count("accounts"), 1, "no new account");
      assert.deepEqual(await rows(`select id from users where email = 'alice@example.com'`), [{ id: aliceUserId }]);
      assert.deepEqual(ctx.clientLogs, []);

      // A new OIDC user signing in through Tessera gets rows as next-auth writes them (the
      // JWT part below signs carol in with next-auth again, which must find them).
      const carol = await newContext("carol");
      await signInWithOidc(await openApp(carol), "carol");
      const [{ userId, ...account }] = await rows(
        `select "userId", type, provider, "providerAccountId" from accounts where "providerAccountId" = 'carol'`,
      );
      assert.deepEqual(account, { type: "oauth", provider: "oidc", providerAccountId: "carol" });
      assert.deepEqual(await rows(`select id, name, email, image from users where id = $1`, [userId]), [
        { id: userId, name: "Carol", email: "carol@example.com", image: "https://img.example/carol.png" },
      ]);
      assert.deepEqual(carol.clientLogs, []);
    }));

  test("after the switch: the link next-auth mailed before it signs in", { timeout: TEST_TIMEOUT }, () =>
    diagnosed(async () => {
      const ctx = contexts.pending;
      const page = await ctx.newPage();
      await followLink(page, pendingLink);
      assert.equal((await sessionOf(page)).user.email, pendingAddress);
      assert.deepEqual(await rows(`select 1 from verification_token where identifier = $1`, [pendingAddress]), [], "used up");
      const [user] = await rows(`select id, "emailVerified" from users where email = $1`, [pendingAddress]);
      assert.ok(user?.emailVerified, "a verified user");
      const cookie = await cookieOf(ctx);
      assert.deepEqual(await rows(`select "userId" from sessions where "sessionToken" = $1`, [cookie.value]), [
        { userId: user.id },
      ]);
      pendingSession = await sessionOf(page);
      // And the other way round: a link Tessera mails now, followed after going back.
      laterLink = await requestEmailLink(await openApp(await newContext("later")), laterAddress);
      // The same link again is refused.
      const again = await page.goto(pendingLink);
      assert.ok(new URL(page.url()).searchParams.get("error") === "Verification", `${again.status()} ${page.url()}`);
      assert.deepEqual(ctx.clientLogs, []);
    }));

  test("back to next-auth: the sessions Tessera made are next-auth sessions", { timeout: TEST_TIMEOUT }, () =>
    diagnosed(async () => {
      await switchTo("nextauth", "database");
      for (const [name, expected] of [
        ["email", emailSession],
        ["oidc", aliceSession],
        ["oidc-again", aliceAgainSession],
        ["pending", pendingSession],
      ]) {
        const page = await openApp(contexts[name]);
        await waitStatus(page, "authenticated");
        assert.deepEqual(await sessionOf(page), expected, `the ${name} context under next-auth`);
        assert.deepEqual(contexts[name].clientLogs, []);
      }
      const page = await contexts.later.newPage();
      await followLink(page, laterLink);
      assert.equal((await sessionOf(page)).user.email, laterAddress, "next-auth takes the link Tessera mailed");
      assert.deepEqual(await rows(`select 1 from verification_token where identifier = $1`, [laterAddress]), []);
      assert.deepEqual(contexts.later.clientLogs, []);
    }));
});

// ------------------------------------------------------------------ JWT sessions

describe("JWT sessions: next-auth's cookie under Tessera, Tessera's cookie under getToken()", { timeout: 180_000 }, () => {
  const bigAddress = `big-${Date.now()}@example.com`;
  const nextAuth = {}; // per context: {session, token, jwt} as next-auth gave them
  const tesseraCookies = {}; // per context: the cookies Tessera issued on update()

  test("before: signed in with next-auth (JWT) by OIDC and by email (a chunked cookie); getToken() reads them", { timeout: TEST_TIMEOUT }, () =>
    diagnosed(async () => {
      await switchTo("nextauth", "jwt");
      const users = await count("users");
      const ctx = await newContext("jwt");
      const page = await openApp(ctx);
      await waitStatus(page, "unauthenticated");
      await signInWithOidc(page, "carol");
      const session = await sessionOf(page);
      assert.deepEqual(session.user, { name: "Carol", email: "carol@example.com", image: "https://img.example/carol.png" });
      const cookies = await sessionCookies(ctx);
      assert.deepEqual(cookies.map((c) => c.name), [SESSION_COOKIE]);
      assert.match(cookies[0].value, JWE);
      const token = await appToken(ctx);
      const [carol] = await rows(`select id from users where email = 'carol@example.com'`);
      assert.equal(token.sub, String(carol.id));
      assert.equal(token.name, "Carol");
      assert.equal(token.role, "editor");
      assert.equal(await count("users"), users, "next-auth found the user and account Tessera made");
      nextAuth.jwt = { session, token, jwt: cookies[0].value };

      const big = await newContext("jwt-big");
      const page2 = await openApp(big);
      await followLink(page2, await requestEmailLink(page2, bigAddress));
      const bigCookies = await sessionCookies(big);
      assert.deepEqual(bigCookies.map((c) => c.name), [`${SESSION_COOKIE}.0`, `${SESSION_COOKIE}.1`], "a chunked cookie");
      const bigToken = await appToken(big);
      assert.equal(bigToken.notes.length, 5000);
      nextAuth["jwt-big"] = { session: await sessionOf(page2), token: bigToken, jwt: joined(bigCookies) };
      for (const c of [ctx, big]) assert.deepEqual(c.clientLogs, []);
    }));

  test("after the switch: next-auth's JWTs are still sessions; update() re-issues ones getToken() reads", { timeout: TEST_TIMEOUT }, () =>
    diagnosed(async () => {
      await switchTo("tessera", "jwt");
      for (const [name, newName] of [
        ["jwt", "Carol Renamed"],
        ["jwt-big", "Big Renamed"],
      ]) {
        const ctx = contexts[name];
        const before = nextAuth[name];
        const page = await openApp(ctx);
        await waitStatus(page, "authenticated");
        const now = await sessionOf(page);
        assert.deepEqual(now.user, before.session.user, `Tessera reads next-auth's token (${name})`);
        assert.ok(Date.parse(now.expires) >= Date.parse(before.session.expires), "the session is extended, not cut short");

        await page.fill("#name", newName);
        await page.click("#update");
        await waitStatus(page, "authenticated", newName);
        const cookies = await sessionCookies(ctx);
        assert.deepEqual(
          cookies.map((c) => c.name),
          name === "jwt-big" ? [`${SESSION_COOKIE}.0`, `${SESSION_COOKIE}.1`] : [SESSION_COOKIE],
        );
        assert.match(joined(cookies), JWE);
        assert.notEqual(joined(cookies), before.jwt, "Tessera re-issued the cookie");
        // The app's own route, next-auth's getToken(), reads Tessera's cookie: the new name,
        // and everything else next-auth had put in the token (the app's own claims too).
        const token = await appToken(ctx);
        const { name: _n, iat, exp, jti, ...rest } = token ?? {};
        const { name: _o, iat: iat0, exp: exp0, jti: jti0, ...restBefore } = before.token;
        assert.equal(token?.name, newName);
        assert.deepEqual(rest, restBefore, "the other claims are kept");
        assert.ok(iat >= iat0 && exp >= exp0, "issued anew");
        tesseraCookies[name] = cookies;

        await page.click("#signout");
        await waitStatus(page, "unauthenticated");
        assert.deepEqual(await sessionCookies(ctx), [], "every chunk is cleared");
        assert.equal(await appToken(ctx), null);
        assert.deepEqual(ctx.clientLogs, []);
      }
    }));

  test("back to next-auth: the JWTs Tessera issued are next-auth sessions", { timeout: TEST_TIMEOUT }, () =>
    diagnosed(async () => {
      await switchTo("nextauth", "jwt");
      for (const [name, newName] of [
        ["jwt", "Carol Renamed"],
        ["jwt-big", "Big Renamed"],
      ]) {
        const ctx = await newContext(`${name}-back`);
        await ctx.addCookies(tesseraCookies[name]);
        const page = await openApp(ctx);
        await waitStatus(page, "authenticated", newName);
        assert.deepEqual((await sessionOf(page)).user, { ...nextAuth[name].session.user, name: newName });
        assert.equal((await appToken(ctx)).role, "editor");
        assert.deepEqual(ctx.clientLogs, []);
      }
    }));
});
