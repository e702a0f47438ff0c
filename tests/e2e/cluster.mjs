// Three demo instances behind a real nginx (round robin on loopback) sharing a SQLite file
// and Redis, with JWT sessions: the stack of cluster.test.mjs (issue 13).
//
//   Chromium ──► nginx (localhost:<P>) ─┬─ /app, /app/*   → dist/index.html, /app/bundle.js
//                                       └─ everything else → demo 1, 2, 3 in turn
//
// nginx connects to the demos from 127.0.0.2 (`proxy_bind`), the one proxy they trust
// (AUTH_TRUSTED_PROXIES), sets X-Forwarded-For, retries the next instance when one cannot
// be reached (`proxy_next_upstream error timeout`) and names the instance that answered in
// `X-Upstream` ($upstream_addr). The demos share NEXTAUTH_SECRET, a SQLite file in a
// directory of the stack's own, and Redis at 127.0.0.1:6379 under a key prefix of the
// stack's own (REDIS_PREFIX), whose keys are deleted when the stack stops.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { demoBinPath, freePort, spawnTracked, stopChild, waitForHttp } from "./harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));

export const REDIS = { host: "127.0.0.1", port: 6379 };
/** The address nginx connects to the demos from, and the one proxy they trust. */
const NGINX_ADDR = "127.0.0.2";

/** nginx: NGINX_BIN, else `nginx` on PATH or in /usr/sbin; `undefined` when there is none. */
export function nginxPath() {
  if (process.env.NGINX_BIN) return process.env.NGINX_BIN;
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), "/usr/sbin"];
  return dirs.map((d) => join(d, "nginx")).find((p) => existsSync(p));
}

/** Sends one command to Redis; resolves to the first line of its reply (`+PONG`, `:1`, …). */
export function redisCommand(args, { host, port } = REDIS) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let reply = "";
    socket.setTimeout(3_000, () => socket.destroy(new Error(`no reply from Redis at ${host}:${port}`)));
    socket.on("error", reject);
    socket.on("connect", () => {
      const parts = args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`);
      socket.write(`*${args.length}\r\n${parts.join("")}`);
    });
    socket.on("data", (chunk) => {
      reply += chunk;
      const end = reply.indexOf("\r\n");
      if (end >= 0) {
        socket.end();
        resolve(reply.slice(0, end));
      }
    });
  });
}

/** What this stack needs and lacks (a sentence), or `null` when nginx and Redis are there. */
export async function missingServices() {
  const nginx = nginxPath();
  if (!nginx || !existsSync(nginx)) return `nginx not found${nginx ? ` at ${nginx}` : ""} (apt-get install -y nginx, or set NGINX_BIN)`;
  try {
    const pong = await redisCommand(["PING"]);
    if (pong !== "+PONG") return `Redis at ${REDIS.host}:${REDIS.port} answered ${pong} to PING`;
  } catch (e) {
    return `no Redis at ${REDIS.host}:${REDIS.port} (${e.message}); start redis-server`;
  }
  return null;
}

function nginxConf({ dir, port, demoPorts, dist }) {
  const servers = demoPorts.map((p) => `    server 127.0.0.1:${p};`).join("\n");
  return `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log error;
events { worker_connections 256; }
http {
  access_log off;
  types { text/html html; text/javascript js; }
  client_body_temp_path ${dir}/temp/body;
  proxy_temp_path ${dir}/temp/proxy;
  fastcgi_temp_path ${dir}/temp/fastcgi;
  uwsgi_temp_path ${dir}/temp/uwsgi;
  scgi_temp_path ${dir}/temp/scgi;
  upstream demos {
${servers}
  }
  server {
    listen 127.0.0.1:${port};
    location = /app/bundle.js {
      root ${dist};
      try_files /bundle.js =404;
      add_header Cache-Control no-store;
    }
    location ^~ /app {
      root ${dist};
      try_files /index.html =404;
      add_header Cache-Control no-store;
    }
    location / {
      proxy_pass http://demos;
      proxy_bind ${NGINX_ADDR};
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_next_upstream error timeout;
      proxy_connect_timeout 1s;
      add_header X-Upstream $upstream_addr always;
    }
  }
}
`;
}

/**
 * Starts `instances` demos with JWT sessions behind nginx. Resolves to
 * {origin, demoOrigins, demoAddrs, redisPrefix, stop(), logs()}: `origin` (nginx) is what the
 * browser uses; `demoAddrs` are the instances as nginx names them in X-Upstream.
 */
export async function startCluster({ instances = 3, env = {} } = {}) {
  const nginx = nginxPath();
  const dir = mkdtempSync(join(tmpdir(), "tessera-e2e-cluster-"));
  chmodSync(dir, 0o755); // nginx's worker may run as another user
  // The app's files are copied there, readable by nginx's worker wherever the tree is.
  const dist = join(dir, "dist");
  mkdirSync(dist, { mode: 0o755 });
  mkdirSync(join(dir, "temp"), { mode: 0o755 });
  for (const f of ["index.html", "bundle.js"]) {
    const from = join(here, "dist", f);
    if (!existsSync(from)) throw new Error(`${from} is missing: run \`node build.mjs\``);
    copyFileSync(from, join(dist, f));
    chmodSync(join(dist, f), 0o644);
  }

  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const demoPorts = [];
  while (demoPorts.length < instances) {
    const p = await freePort();
    if (p !== port && !demoPorts.includes(p)) demoPorts.push(p);
  }
  const redisPrefix = `tessera-test:e2e-cluster:${process.pid}:${Date.now()}:`;
  const children = [];
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    await redisCommand([
      "EVAL",
      "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end return 0",
      "0",
      `${redisPrefix}*`,
    ]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  const logs = () => children.map((c) => `--- ${c.name} ---\n${c.logs()}`).join("\n");
  try {
    // One after the other: the first creates the tables.
    for (const [i, demoPort] of demoPorts.entries()) {
      const demo = spawnTracked(`demo ${i}`, demoBinPath(), [], {
        PORT: String(demoPort),
        NEXTAUTH_URL: origin,
        NEXTAUTH_SECRET: "tessera-e2e-cluster-secret-0123456789abcdef",
        DEMO_USERNAME: "demo",
        DEMO_PASSWORD: "demo",
        DATABASE_URL: join(dir, "demo.db"),
        DEMO_SESSION_STRATEGY: "jwt",
        REDIS_URL: `redis://${REDIS.host}:${REDIS.port}`,
        REDIS_PREFIX: redisPrefix,
        AUTH_TRUSTED_PROXIES: `${NGINX_ADDR}/32`,
        RUST_LOG: process.env.RUST_LOG ?? "info",
        ...env,
      });
      children.push(demo);
      await waitForHttp(`http://127.0.0.1:${demoPort}/health`, demo, `demo ${i}`);
    }
    writeFileSync(join(dir, "nginx.conf"), nginxConf({ dir, port, demoPorts, dist }));
    const proxy = spawnTracked(
      "nginx",
      nginx,
      ["-p", dir, "-e", join(dir, "error.log"), "-c", join(dir, "nginx.conf"), "-g", "daemon off;"],
      {},
    );
    children.push(proxy);
    await waitForHttp(`${origin}/health`, proxy, "nginx");
    await waitForHttp(`${origin}/app/bundle.js`, proxy, "nginx (the app's bundle)");
    return {
      origin,
      demoOrigins: demoPorts.map((p) => `http://127.0.0.1:${p}`),
      demoAddrs: demoPorts.map((p) => `127.0.0.1:${p}`),
      redisPrefix,
      stop,
      logs,
    };
  } catch (e) {
    e.message += `\n${logs()}`;
    await stop();
    throw e;
  }
}
