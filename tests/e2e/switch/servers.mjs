// Test servers the switch's tests share: the SMTP test server and its sign-in links, and a
// child process's output read for the line that says it is ready.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { WAIT, spawnTracked, stopChild } from "../harness.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** Resolves to the first match of `pattern` in `child`'s output (within 20 s). */
export function lineOf(child, pattern, what) {
  return new Promise((resolveLine, reject) => {
    const deadline = Date.now() + 20_000;
    const poll = setInterval(() => {
      const m = child.logs().match(pattern);
      if (m || child.exitCode !== null || Date.now() > deadline) {
        clearInterval(poll);
        if (m) resolveLine(m);
        else reject(new Error(`${what} did not start:\n${child.logs()}`));
      }
    }, 20);
  });
}

/**
 * Starts the SMTP test server (crates/tessera-smtp/tests/smtp-server.sh, aiosmtpd on a
 * free port), which writes each mail it receives as JSON into a directory of its own.
 * Resolves to its child process with `port`, `link(address)` and `stop()`.
 */
export async function startMailbox() {
  const dir = mkdtempSync(join(tmpdir(), "tessera-switch-mail-"));
  const smtp = spawnTracked("smtp", "sh", [join(root, "crates/tessera-smtp/tests/smtp-server.sh"), "--dir", dir]);
  const seen = new Set();
  smtp.stop = async () => {
    await stopChild(smtp);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    smtp.port = Number((await lineOf(smtp, /READY (\d+)/, "the SMTP server"))[1]);
  } catch (e) {
    await smtp.stop();
    throw e;
  }
  /**
   * The link of the next mail to `address` the server received (waits for it): by default
   * an email sign-in link, else the first match of `pattern` in the mail's text.
   */
  smtp.link = async (address, pattern = /https?:\/\/\S+\/api\/auth\/callback\/email\?\S+/) => {
    const deadline = Date.now() + WAIT;
    while (Date.now() < deadline) {
      for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
        if (seen.has(file)) continue;
        const mail = JSON.parse(readFileSync(join(dir, file), "utf8"));
        if (!mail.rcpt_tos.includes(address)) continue;
        seen.add(file);
        const link = mail.text?.match(pattern)?.[0];
        assert.ok(link, `a link matching ${pattern} in the mail to ${address}: ${mail.text}`);
        return link;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no mail to ${address} in ${dir}`);
  };
  return smtp;
}
