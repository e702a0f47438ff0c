// Builds the app twice, as a team would for the switch (Next.js fixes rewrites at build time):
//   .next-nextauth  without TESSERA_ORIGIN: /api/auth/* is the app's own next-auth route
//   .next-tessera   with TESSERA_ORIGIN:    /api/auth/* is rewritten to Tessera
// Tessera's origin is a loopback port picked here (free at build time), and written to
// .next-tessera/tessera-origin for the test (which starts Tessera there). A build whose
// inputs did not change since is kept; `node build.mjs --force` rebuilds both.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const force = process.argv.includes("--force");

/** The newest modification time among the app's sources and its lock file. */
function newestInput() {
  let newest = 0;
  const visit = (path) => {
    const st = statSync(path);
    if (st.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ["pages", "lib", "next.config.js", "package-lock.json", "build.mjs"]) visit(join(here, p));
  return newest;
}

/** Whether `port` of 127.0.0.1 can be listened on now. */
function isFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/**
 * A port free now, below Linux's ephemeral range (32768 and up), so no outgoing connection
 * of the machine takes it by the time the test listens there.
 */
async function freePort() {
  for (let i = 0; i < 100; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (await isFree(port)) return port;
  }
  throw new Error("no free port between 20000 and 32000");
}

/** Builds into `distDir` unless `stamp` (in it) is newer than every input; true if built. */
async function build(distDir, env, stamp = "BUILD_ID") {
  const path = join(here, distDir, stamp);
  if (!force && existsSync(path) && statSync(path).mtimeMs > newestInput()) {
    console.log(`switch: ${distDir} is up to date`);
    return false;
  }
  const started = Date.now();
  const result = spawnSync(process.execPath, [join(here, "node_modules/next/dist/bin/next"), "build", "--no-lint"], {
    cwd: here,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NEXT_DIST_DIR: distDir, ...env },
  });
  if (result.status !== 0) throw new Error(`next build (${distDir}) failed with status ${result.status}`);
  console.log(`switch: built ${distDir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

await build(".next-nextauth", { TESSERA_ORIGIN: "" });
const origin = `http://127.0.0.1:${await freePort()}`;
if (await build(".next-tessera", { TESSERA_ORIGIN: origin }, "tessera-origin")) {
  writeFileSync(join(here, ".next-tessera", "tessera-origin"), `${origin}\n`);
}
