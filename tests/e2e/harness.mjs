// Test harness: free ports, the demo + proxy child processes, headless Chromium.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import { dirname, isAbsolute, join, resolve } from "node:path";
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

async function waitForHttp(url, child, name, timeoutMs = 15_000) {
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
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const keep = (chunk) => {
    out += chunk;
    if (out.length > 64_000) out = out.slice(-64_000);
    if (process.env.E2E_VERBOSE) process.stderr.write(`[${name}] ${chunk}`);
  };
  child.stdout.setEncoding("utf8").on("data", keep);
  child.stderr.setEncoding("utf8").on("data", keep);
  child.logs = () => out;
  return child;
}

const live = new Set();
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

async function stopChild(child) {
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
 * Starts the demo on one free port and the same-origin proxy on another.
 * Returns {origin, demoOrigin, stop()}; `origin` is what the browser uses.
 */
export async function startStack() {
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
  try {
    const demo = spawnLogged("demo", bin, [], {
      PORT: String(demoPort),
      NEXTAUTH_URL: origin,
      NEXTAUTH_SECRET: "tessera-e2e-secret-please-change-0123456789abcdef",
      DEMO_USERNAME: "demo",
      DEMO_PASSWORD: "demo",
      // The demo's default: database sessions in SQLite (here in memory, fresh each run).
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? "sqlite::memory:",
      RUST_LOG: process.env.RUST_LOG ?? "info",
    });
    children.push(demo);
    live.add(demo);
    const proxy = spawnLogged("proxy", process.execPath, [join(here, "server.mjs")], {
      PORT: String(proxyPort),
      HOST: "127.0.0.1",
      UPSTREAM: demoOrigin,
    });
    children.push(proxy);
    live.add(proxy);
    await waitForHttp(`${demoOrigin}/health`, demo, "demo");
    await waitForHttp(`${origin}/health`, proxy, "proxy");
    await waitForHttp(`${origin}/app/bundle.js`, proxy, "proxy (bundle; run `node build.mjs`)");
    return { origin, demoOrigin, stop, logs: () => `--- demo ---\n${children[0].logs()}\n--- proxy ---\n${children[1].logs()}` };
  } catch (e) {
    await stop();
    throw e;
  }
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
