// Bundles tests/e2e/app/main.jsx (React 18 + unmodified next-auth/react) into dist/.
// next-auth/react reads process.env.* at module load; outside Next.js nothing inlines
// those, so define them here. NEXTAUTH_URL & co. are left undefined, which makes the
// client use the relative basePath `/api/auth` in the browser (spec §9.1).
import { build } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

// Bundles `<root>/app/main.jsx` into `<root>/dist/` with the page `app/index.html`: this
// directory's app by default, next-auth 5's from `v5/build.mjs` (its packages resolve from
// `<root>/node_modules`, so each bundle holds one React).
export async function buildBundle({ mode = process.env.E2E_BUNDLE_MODE ?? "production", root = here } = {}) {
  const dist = join(root, "dist");
  await mkdir(dist, { recursive: true });
  await build({
    entryPoints: [join(root, "app", "main.jsx")],
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
    // Anything else that touches `process.env` gets an empty object instead of a ReferenceError.
    banner: { js: "var process = globalThis.process || { env: {} };" },
  });
  await copyFile(join(here, "app", "index.html"), join(dist, "index.html"));
  return dist;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await buildBundle();
  console.log(`e2e bundle written to ${out}`);
}
