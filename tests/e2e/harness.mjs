// Test harness: free ports, the demo + proxy child processes, headless Chromium.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import { dirname, isAbsolute, join, resolve } from "node:path";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));

export const CHROMIUM_PATH = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function demoBinPath() {
  const p = process.env.DEMO_BIN ?? "../../target/debug/demo";
  return isAbsolute(p) ? p : resolve(here, p);
}

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

export async function waitForHttp(url, child, name, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited early (code ${child.exitCode}, signal ${child.signalCode}):\n${child.logs()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
      lastErr = new Error(`HTTP ${res.status}`);
    } catch (e) {
      lastErr = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not answer ${url} within ${timeoutMs} ms (${lastErr?.message}):\n${child.logs()}`);
}

function spawnLogged(name, cmd, args, env) {
  // stdin stays open: tests/oidc/server.mjs stops when it closes.
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  const keep = (chunk) => {
    out += chunk;
    if (out.length > 64_000) out = out.slice(-64_000);
    if (process.env.E2E_VERBOSE) process.stderr.write(`[${name}] ${chunk}`);
  };
  child.stdout.setEncoding("utf8").on("data", keep);
  child.stderr.setEncoding("utf8").on("data", keep);
  child.logs = () => out;
  child.name = name;
  return child;
}

const live = new Set();

/** A logged child process (`logs()`), killed by the last-resort cleanup if still running. */
export function spawnTracked(name, cmd, args, env) {
  const child = spawnLogged(name, cmd, args, env);
  live.add(child);
  return child;
}

function killAllSync() {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {}
  }
  live.clear();
}
// Last-resort cleanup if the test process dies without running `after` hooks.
process.once("exit", killAllSync);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.once(sig, () => {
    killAllSync();
    process.exit(130);
  });
}

/** Stops `child`: SIGTERM, then SIGKILL after 3 s. */
export async function stopChild(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    live.delete(child);
    return;
  }
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
  await exited;
  clearTimeout(timer);
  live.delete(child);
}

/**
 * Starts oidc-provider (tests/oidc/server.mjs) on a free port of 127.0.0.1 with the client
 * "tessera"/"tessera-secret" allowed to redirect to `redirectUris`. Resolves to the child
 * process with its `issuer`.
 */
async function startOidcProvider(redirectUris) {
  const dir = join(here, "..", "oidc");
  if (!existsSync(join(dir, "node_modules", "oidc-provider"))) {
    throw new Error(`oidc-provider is not installed: run \`npm ci --prefix ${dir}\``);
  }
  const child = spawnLogged("oidc", process.execPath, [join(dir, "server.mjs")], {
    REDIRECT_URIS: redirectUris.join(","),
  });
  live.add(child);
  const issuer = await new Promise((resolveIssuer, reject) => {
    const timer = setTimeout(() => reject(new Error(`oidc-provider did not start:\n${child.logs()}`)), 15_000);
    const poll = setInterval(() => {
      const line = child.logs().split("\n").find((l) => l.startsWith('{"issuer"'));
      if (line || child.exitCode !== null) {
        clearInterval(poll);
        clearTimeout(timer);
        if (line) resolveIssuer(JSON.parse(line).issuer);
        else reject(new Error(`oidc-provider exited:\n${child.logs()}`));
      }
    }, 20);
  });
  child.issuer = issuer;
  return child;
}

/**
 * Starts the demo on one free port and the same-origin proxy on another.
 * Returns {origin, demoOrigin, issuer, stop(), logs()}; `origin` is what the browser uses.
 *
 * Options: `env`, extra environment for the demo (DEMO_SESSION_STRATEGY=jwt, say);
 * `oidc: true`, also start a real OpenID Connect provider and offer it as provider "oidc";
 * `distDir`, the app bundle the proxy serves at /app/ (default tests/e2e/dist).
 */
export async function startStack({ env = {}, oidc = false, distDir } = {}) {
  const bin = demoBinPath();
  if (!existsSync(bin)) {
    throw new Error(
      `demo binary not found at ${bin}\n` +
        "Build it with `cargo build -p demo` at the workspace root, or set DEMO_BIN to its path.",
    );
  }
  const proxyPort = await freePort();
  let demoPort = await freePort();
  while (demoPort === proxyPort) demoPort = await freePort();
  const origin = `http://localhost:${proxyPort}`;
  const demoOrigin = `http://127.0.0.1:${demoPort}`;

  const children = [];
  const stop = async () => {
    await Promise.all(children.map(stopChild));
  };
  const logs = () => children.map((c) => `--- ${c.name} ---\n${c.logs()}`).join("\n");
  try {
    let issuer;
    if (oidc) {
      const provider = await startOidcProvider([`${origin}/api/auth/callback/oidc`]);
      children.push(provider);
      issuer = provider.issuer;
      env = {
        ...env,
        DEMO_OIDC_ISSUER: issuer,
        DEMO_OIDC_CLIENT_ID: "tessera",
        DEMO_OIDC_CLIENT_SECRET: "tessera-secret",
        DEMO_OIDC_NAME: "Loopback OIDC",
      };
    }
    const demo = spawnLogged("demo", bin, [], {
      PORT: String(demoPort),
      NEXTAUTH_URL: origin,
      NEXTAUTH_SECRET: "tessera-e2e-secret-please-change-0123456789abcdef",
      DEMO_USERNAME: "demo",
      DEMO_PASSWORD: "demo",
      // The demo's default: database sessions in SQLite (here in memory, fresh each run).
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? "sqlite::memory:",
      RUST_LOG: process.env.RUST_LOG ?? "info",
      ...env,
    });
    children.push(demo);
    live.add(demo);
    const proxy = spawnLogged("proxy", process.execPath, [join(here, "server.mjs")], {
      PORT: String(proxyPort),
      HOST: "127.0.0.1",
      UPSTREAM: demoOrigin,
      ...(distDir ? { DIST_DIR: distDir } : {}),
    });
    children.push(proxy);
    live.add(proxy);
    await waitForHttp(`${demoOrigin}/health`, demo, "demo");
    await waitForHttp(`${origin}/health`, proxy, "proxy");
    await waitForHttp(`${origin}/app/bundle.js`, proxy, "proxy (bundle; run `node build.mjs`)");
    return { origin, demoOrigin, issuer, stop, logs, magicLink: (address) => magicLink(logs, address) };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The sign-in link the demo's dev mailer printed for `address` (waits for it). */
async function magicLink(logs, address) {
  const pattern = new RegExp(`sign-in link for ${address.replace(/[.+]/g, "\\$&")}: (\\S+)`);
  const deadline = Date.now() + WAIT;
  while (Date.now() < deadline) {
    const link = logs().match(pattern)?.[1];
    if (link) return link;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no sign-in link for ${address} in the demo's output`);
}

export async function launchBrowser() {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH} (install Debian's chromium: apt-get install -y chromium)`);
  }
  // playwright-core never downloads a browser; launch() gives every run a fresh
  // temporary user-data-dir and each newContext() is an isolated profile.
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}

/** How long one condition may take to come true. */
export const WAIT = 10_000;

/**
 * One stack (demo, proxy, optionally an OpenID Connect provider) and one browser, with the
 * helpers every browser test uses. Each test takes a fresh context (an isolated profile).
 */
export class E2E {
  static async start(options) {
    return E2E.startWith(() => startStack(options));
  }

  /**
   * Like `start()`, on the stack `startTarget()` resolves to: any target shaped like
   * `startStack()`'s result, `{origin, logs(), stop()}` (and what its tests use, such as
   * `magicLink(address)`), the Next.js app of switch/nextjs-front.mjs say.
   */
  static async startWith(startTarget) {
    const stack = await startTarget();
    try {
      return new E2E(stack, await launchBrowser());
    } catch (e) {
      await stack.stop();
      throw e;
    }
  }

  constructor(stack, browser) {
    this.stack = stack;
    this.browser = browser;
    this.contexts = new Set();
  }

  /** Closes every context and the browser, then stops the processes. Always safe to call. */
  async stop() {
    for (const ctx of this.contexts) await ctx.close().catch(() => {});
    await this.browser?.close().catch(() => {});
    await this.stack?.stop();
  }

  async newContext(options = {}) {
    const ctx = await this.browser.newContext(options);
    this.contexts.add(ctx);
    // next-auth/react reports CLIENT_FETCH_ERROR / CLIENT_SESSION_ERROR by POSTing to
    // /api/auth/_log (spec §9.8): any such beacon means the server confused the client.
    ctx.clientLogs = [];
    ctx.on("request", (r) => {
      if (new URL(r.url()).pathname === "/api/auth/_log") ctx.clientLogs.push(r.postData() ?? "");
    });
    return ctx;
  }

  async closeContext(ctx) {
    this.contexts.delete(ctx);
    await ctx.close().catch(() => {});
  }

  /**
   * Runs `fn`, then checks the client reported no errors to /_log. On failure, appends
   * browser console errors and the server logs to the error message.
   */
  async withDiagnostics(ctx, fn, { allowClientLogs = false } = {}) {
    const problems = [];
    ctx.on("page", (p) => watch(p, problems));
    for (const p of ctx.pages()) watch(p, problems);
    try {
      await fn();
      if (!allowClientLogs) {
        assert.deepEqual(ctx.clientLogs, [], "next-auth/react logged client errors to /api/auth/_log");
      }
    } catch (e) {
      e.message +=
        `\n--- browser ---\n${problems.join("\n") || "(no console errors)"}` +
        `\n${this.stack.logs().split("\n").slice(-60).join("\n")}`;
      throw e;
    }
  }

  /** Opens the React app and waits until useSession() has left "loading". */
  async openApp(ctx, path = "/app/") {
    const page = await ctx.newPage();
    const res = await page.goto(this.stack.origin + path);
    assert.equal(res.status(), 200);
    await page.waitForFunction(() => window.__appReady && window.__session && window.__session.status !== "loading", null, {
      timeout: WAIT,
    });
    return page;
  }

  /**
   * Opens the Leptos example (examples/leptos-app, served by the demo at /leptos/) and waits
   * until it has left "loading". `window.__leptosStates` records every status it shows, from
   * the first render on.
   */
  async openLeptos(ctx, query = "") {
    const page = await ctx.newPage();
    await page.addInitScript(() => {
      window.__leptosStates = [];
      new MutationObserver(() => {
        const s = document.querySelector(".status")?.textContent;
        if (s && window.__leptosStates.at(-1) !== s) window.__leptosStates.push(s);
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    const res = await page.goto(`${this.stack.origin}/leptos/${query}`);
    assert.equal(res.status(), 200);
    await page.waitForFunction(
      () => ["authenticated", "unauthenticated"].includes(document.querySelector(".status")?.textContent),
      null,
      { timeout: WAIT },
    );
    return page;
  }
}

/** Waits until the Leptos page shows `status` (and the user's `name`, if given). */
export function leptosStatus(page, status, name) {
  return page.waitForFunction(
    ([s, n]) =>
      document.querySelector(".status")?.textContent === s &&
      (n === undefined || document.querySelector(".name")?.textContent === n),
    [status, name],
    { timeout: WAIT, polling: 50 },
  );
}

function watch(page, problems) {
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on("requestfailed", (r) => problems.push(`requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
}

/** Waits until the React app's useSession() reports `status` (and the user's `name`, if given). */
export function waitStatus(page, status, name) {
  return page.waitForFunction(
    ([s, n]) => window.__session?.status === s && (n === undefined || window.__session?.data?.user?.name === n),
    [status, name],
    { timeout: WAIT },
  );
}

/** page.evaluate() for calls that navigate away: only the navigation's own error is ignored. */
export function evalNavigating(page, fn, arg) {
  return page.evaluate(fn, arg).catch((e) => {
    if (!/Execution context was destroyed|navigat|Target (page, context or browser )?closed/i.test(e.message)) throw e;
  });
}

export const session = (page) => page.evaluate(() => window.__session);
export const states = (page) => page.evaluate(() => window.__sessionStates);

/**
 * next-auth's cross-tab message carries a timestamp in whole seconds, and the storage
 * event only fires when the stored value changes. Before broadcasting a message whose
 * body may equal the last one, wait (condition, not sleep) until the clock has moved on
 * from the stored timestamp.
 */
export async function waitForFreshBroadcastSecond(page) {
  await page.waitForFunction(
    () => {
      const raw = localStorage.getItem("nextauth.message");
      const ts = raw ? JSON.parse(raw).timestamp : 0;
      return Math.floor(Date.now() / 1000) > ts;
    },
    null,
    { timeout: 3_000, polling: 50 },
  );
}
