// What the test files that read the demo's mail share: the SMTP test server (aiosmtpd, from
// ../../crates/tessera-smtp/tests/smtp-server.sh) checked once per file, skipped visibly
// (or, under CI=true, failing) when it cannot run; and the demo started with its mail going
// to a fresh server.
import { spawnSync } from "node:child_process";
import { appendFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { E2E } from "./harness.mjs";
import { startMailbox } from "./switch/servers.mjs";

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Why `file` cannot run here (the SMTP test server cannot be installed), or null. Under
 * CI=true that is an error; elsewhere a SKIP banner is printed and recorded in
 * TESSERA_TEST_SKIPS, and the caller skips its suite with the reason.
 */
export function mailSkip(file) {
  const script = join(here, "../../crates/tessera-smtp/tests/smtp-server.sh");
  const r = spawnSync("sh", [script, "--install"], { encoding: "utf8", timeout: 180_000 });
  if (r.status === 0) return null;
  const missing = `the SMTP test server (aiosmtpd) could not be installed: ${(r.stderr || r.error?.message || "").trim()}`;
  if (process.env.CI === "true") throw new Error(`${file}: ${missing} (required under CI=true)`);
  const rule = "=".repeat(64);
  process.stderr.write(`${rule}\ne2e: SKIP: ${file}: ${missing}\ne2e: (set CI=true to make this an error)\n${rule}\n`);
  if (process.env.TESSERA_TEST_SKIPS) appendFileSync(process.env.TESSERA_TEST_SKIPS, `tests/e2e/${file}\t${missing}\n`);
  return missing;
}

/** The demo (with `env` besides) mailing through a fresh SMTP test server: `{ e2e, mailbox }`. */
export async function startDemoWithMailbox(env = {}) {
  const mailbox = await startMailbox();
  try {
    const e2e = await E2E.start({
      env: { EMAIL_SERVER: `smtp+insecure://127.0.0.1:${mailbox.port}`, EMAIL_FROM: "Tessera Demo <demo@example.com>", ...env },
    });
    return { e2e, mailbox };
  } catch (e) {
    await mailbox.stop();
    throw e;
  }
}
