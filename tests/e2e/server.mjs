// Same-origin front for the e2e tests.
//   /app, /app/, /app/required, /app/*  -> dist/index.html (the React app)
//   /app/bundle.js                      -> dist/bundle.js
//   everything else (incl. /api/auth/*) -> proxied verbatim to the Tessera demo
// Status, body and headers of the upstream response are passed through untouched
// (multiple Set-Cookie headers and Location included), so the browser sees exactly
// what the demo sent. Start the demo with NEXTAUTH_URL=http://localhost:<PORT>.
//
// Standalone: PORT=4100 UPSTREAM=http://127.0.0.1:4101 node server.mjs
import http from "node:http";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

export function createServer({ upstream, distDir = join(here, "dist") }) {
  const target = new URL(upstream);
  return http.createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/app" || path.startsWith("/app/")) {
      return serveApp(path, req, res, distDir);
    }
    proxy(req, res, target);
  });
}

async function serveApp(path, req, res, distDir) {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { "content-type": "text/plain" }).end("method not allowed");
    return;
  }
  const isBundle = path === "/app/bundle.js";
  try {
    const body = await readFile(join(distDir, isBundle ? "bundle.js" : "index.html"));
    res.writeHead(200, {
      "content-type": isBundle ? "text/javascript; charset=utf-8" : "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-length": body.length,
    });
    res.end(req.method === "HEAD" ? undefined : body);
  } catch (e) {
    res.writeHead(500, { "content-type": "text/plain" }).end(`e2e bundle missing (run node build.mjs): ${e.message}`);
  }
}

function proxy(req, res, target) {
  const upstreamReq = http.request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      // Host stays the browser's (localhost:<proxy port>), like a transparent reverse proxy.
      headers: req.headers,
    },
    (upstreamRes) => {
      // rawHeaders keeps every Set-Cookie line separately and in order.
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, upstreamRes.rawHeaders);
      upstreamRes.pipe(res);
    },
  );
  upstreamReq.on("error", (e) => {
    if (!res.headersSent) {
      res.writeHead(502, { "content-type": "text/plain" });
    }
    res.end(`proxy error: ${e.message}`);
  });
  req.pipe(upstreamReq);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const port = Number(process.env.PORT ?? 4100);
  const upstream = process.env.UPSTREAM;
  if (!upstream) {
    console.error("server.mjs: set UPSTREAM=http://127.0.0.1:<demo port>");
    process.exit(2);
  }
  const host = process.env.HOST ?? "127.0.0.1";
  // DIST_DIR: another app bundle (tests/e2e/v5 serves the next-auth 5 one).
  const server = createServer({ upstream, distDir: process.env.DIST_DIR || undefined });
  server.listen(port, host, () => {
    console.log(`e2e proxy listening on http://localhost:${port} -> ${upstream}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
