// The browser suite's target "Next.js in front" (issue 11): this directory's app, built
// with the rewrite of /api/auth/* to Tessera (.next-tessera, `node build.mjs`), in front of
// `tessera serve`. The app keeps its password check (lib/users.js) and its session
// callback, as Tessera's `authorize` and `session` hooks (pages/api/tessera/hooks.js);
// Tessera has database sessions (SQLite in memory, fresh each run), the credentials and
// email providers (mail to the SMTP test server) and `update({name})` up to 64
// characters: what the demo offers the suite.
//
//   Chromium ──► next start (localhost:<P>) ──rewrite /api/auth/*──► tessera serve
//                 /app/, /app/required, /protected      (the port fixed at build time,
//                 /api/tessera/hooks ◄──── hooks ────── .next-tessera/tessera-origin)
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, spawnTracked, stopChild, waitForHttp } from "../harness.mjs";
import { startMailbox } from "./servers.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
const DIST = ".next-tessera";

/** The tessera binary (TESSERA_BIN, default <workspace>/target/debug/tessera). */
export const tesseraBin = () => resolve(here, process.env.TESSERA_BIN ?? join(root, "target/debug/tessera"));

/** tessera.toml for the suite: the demo's providers, the app's hooks. */
function tesseraToml({ smtpPort, appPort }) {
  const hooks = `http://127.0.0.1:${appPort}/api/tessera/hooks`;
  // No trusted_proxies: next start's rewrites add no X-Forwarded-For (they pass on the
  // browser's own), so the Next.js server is not a proxy to believe.
  return `# The browser suite's server: what the demo offers, with the app's own logic in hooks.
[server]
address = "127.0.0.1"

[session]
update = { name = 64 }

[[providers]]
id = "credentials"
type = "credentials"
fields = [
  { name = "username", label = "Username", type = "text" },
  { name = "password", label = "Password", type = "password" },
]

[[providers]]
id = "email"
type = "email"
server = "smtp+insecure://127.0.0.1:${smtpPort}"
from = "Tessera e2e <noreply@example.com>"

[hooks]
authorize = "${hooks}"
session = "${hooks}"
`;
}

/**
 * Starts the SMTP test server, the app (next start, .next-tessera) and `tessera serve`.
 * Resolves to `{origin, appPort, hookSecret, logs(), stop(), magicLink(address)}`, the
 * shape `E2E.startWith` takes.
 */
export async function startNextFront() {
  if (!existsSync(join(here, DIST, "tessera-origin"))) throw new Error(`${DIST} is not built: run \`node build.mjs\` in ${here}`);
  const bin = tesseraBin();
  if (!existsSync(bin)) throw new Error(`tessera binary not found at ${bin}: cargo build -p tessera-cli, or set TESSERA_BIN`);
  const tesseraOrigin = readFileSync(join(here, DIST, "tessera-origin"), "utf8").trim();
  const appPort = await freePort();
  const origin = `http://localhost:${appPort}`;
  const secret = randomBytes(32).toString("base64url");
  const hookSecret = randomBytes(32).toString("base64url");
  const dir = mkdtempSync(join(tmpdir(), "tessera-nextjs-front-"));

  const children = [];
  let mailbox;
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    await mailbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const logs = () =>
    [mailbox, ...children]
      .filter(Boolean)
      .map((c) => `--- ${c.name} ---\n${c.logs()}`)
      .join("\n");
  try {
    mailbox = await startMailbox();
    const config = join(dir, "tessera.toml");
    writeFileSync(config, tesseraToml({ smtpPort: mailbox.port, appPort }));
    const tessera = spawnTracked("tessera", bin, ["serve", "--config", config], {
      PORT: new URL(tesseraOrigin).port,
      NEXTAUTH_URL: origin,
      NEXTAUTH_SECRET: secret,
      DATABASE_URL: "sqlite::memory:",
      TESSERA_HOOK_SECRET: hookSecret,
      RUST_LOG: process.env.RUST_LOG ?? "info",
    });
    children.push(tessera);
    // The app needs no next-auth settings now: its URL (getSession({req}) on the server asks
    // NEXTAUTH_URL/api/auth/session) and the hook's secret.
    const app = spawnTracked(
      "next",
      process.execPath,
      [join(here, "node_modules/next/dist/bin/next"), "start", here, "-p", String(appPort), "-H", "127.0.0.1"],
      {
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
        NEXT_DIST_DIR: DIST,
        NEXTAUTH_URL: origin,
        TESSERA_HOOK_SECRET: hookSecret,
      },
    );
    children.push(app);
    await waitForHttp(`${tesseraOrigin}/healthz`, tessera, "tessera serve", 20_000);
    await waitForHttp(`${origin}/api/auth/providers`, app, "next start (.next-tessera) through the rewrite", 30_000);
    return { origin, appPort, hookSecret, logs, stop, magicLink: (address) => mailbox.link(address) };
  } catch (e) {
    await stop();
    throw e;
  }
}
