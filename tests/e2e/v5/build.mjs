// Bundles tests/e2e/v5/app/main.jsx (React 18 + unmodified next-auth/react of next-auth 5)
// into v5/dist/, with ../build.mjs's settings. esbuild comes from ../node_modules; next-auth 5
// and React from this directory's node_modules, so that the bundle holds one React.
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

import { buildBundle as buildAny } from "../build.mjs";

const here = dirname(fileURLToPath(import.meta.url));

export async function buildBundle({ mode } = {}) {
  return buildAny({ mode, root: here });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await buildBundle();
  console.log(`e2e (next-auth 5) bundle written to ${out}`);
}
