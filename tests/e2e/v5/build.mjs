// Bundles tests/e2e/v5/app/main.jsx (React 18 + unmodified next-auth/react of next-auth 5)
// into v5/dist/, as ../build.mjs does for next-auth 4. esbuild comes from ../node_modules;
// next-auth 5 and React from this directory's node_modules, so that the bundle holds one
// React. NEXTAUTH_URL & co. are undefined: the client uses the relative `/api/auth`.
import { build } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");

export async function buildBundle({ mode = process.env.E2E_BUNDLE_MODE ?? "production" } = {}) {
  await mkdir(dist, { recursive: true });
  await build({
    entryPoints: [join(here, "app", "main.jsx")],
    outfile: join(dist, "bundle.js"),
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2020",
    jsx: "automatic",
    minify: false,
    sourcemap: "inline",
    logLevel: "warning",
    define: {
      "process.env.NODE_ENV": JSON.stringify(mode),
      "process.env.NEXTAUTH_URL": "undefined",
      "process.env.NEXTAUTH_URL_INTERNAL": "undefined",
      "process.env.VERCEL_URL": "undefined",
    },
    banner: { js: "var process = globalThis.process || { env: {} };" },
  });
  await copyFile(join(here, "..", "app", "index.html"), join(dist, "index.html"));
  return dist;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await buildBundle();
  console.log(`e2e (next-auth 5) bundle written to ${out}`);
}
