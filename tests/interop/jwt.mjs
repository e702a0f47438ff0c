#!/usr/bin/env node
// Node side of Tessera's interop tests: runs the *real* next-auth v4 and @auth/core code.
//
// Input: one JSON request, or an array of them (batch mode), taken from argv[2] when given,
// else from stdin. Output: one JSON result (or an array of results, same order) on stdout.
// A request that throws yields {"error": "..."} in its slot; the process still exits 0.
//
// Requests:
//   {"op":"versions"}
//     -> {"node":"v20…","next-auth":"4.24.15","@auth/core":"0.41.3"}
//   {"op":"encode","lib":"next-auth"|"authjs","secret":"…","salt":"…","claims":{…},"maxAge":60}
//     -> {"token":"…"}            (salt is optional for next-auth, required for authjs;
//                                  maxAge is optional: the library default, 30 days)
//   {"op":"decode","lib":…,"secret":"…","salt":"…","token":"…"}
//     -> {"claims":{…}}  or  {"claims":null,"reason":"<why the library rejected it>"}
//   {"op":"csrf","secret":"…","token":"…","hash":"<optional hash to check>"}
//     -> {"hash":"<sha256hex(token+secret)>",            (node:crypto, as next-auth does it)
//         "verified":{"next-auth":bool,"authjs":bool}}  (only when "hash" was given: whether
//            the libraries' own createCSRFToken trusts the cookie "token|hash" and verifies a
//            POST whose body csrfToken is "token")
//   {"op":"csrf-mint","lib":…,"secret":"…"}
//     -> {"token":"…","hash":"…"}  (a fresh cookie minted by the library's createCSRFToken)
//   {"op":"encode-gcm-v5","secret":"…","salt":"…","claims":{…},"kid":true|false}
//     -> {"token":"…"}  an A256GCM token under the Auth.js v5 key derivation, which
//        @auth/core's decode also accepts (it never produces one itself); built with node:crypto.

import { createHash, createCipheriv, hkdfSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

import * as nextAuthJwt from "next-auth/jwt";
import * as authjsJwt from "@auth/core/jwt";

const require = createRequire(import.meta.url);

// The CSRF helpers are internal modules (not in the packages' "exports" maps), so load
// them by file path.
function pkgDir(name) {
  // `<name>/package.json` is not exported either; find the package root from its entry.
  let dir = dirname(require.resolve(name === "@auth/core" ? "@auth/core/jwt" : name));
  while (JSON.parse(safeRead(join(dir, "package.json")) ?? "{}").name !== name) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the package root of ${name}`);
    dir = up;
  }
  return dir;
}

function safeRead(path) {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

const NEXT_AUTH_DIR = pkgDir("next-auth");
const AUTHJS_DIR = pkgDir("@auth/core");
const nextAuthCsrf = require(join(NEXT_AUTH_DIR, "core/lib/csrf-token.js"));
const authjsCsrf = await import(
  pathToFileURL(join(AUTHJS_DIR, "lib/actions/callback/oauth/csrf-token.js")).href
);

const LIBS = {
  "next-auth": {
    jwt: nextAuthJwt,
    csrf: nextAuthCsrf.createCSRFToken,
    version: JSON.parse(readFileSync(join(NEXT_AUTH_DIR, "package.json"), "utf8")).version,
  },
  authjs: {
    jwt: authjsJwt,
    csrf: authjsCsrf.createCSRFToken,
    version: JSON.parse(readFileSync(join(AUTHJS_DIR, "package.json"), "utf8")).version,
  },
};

function lib(name) {
  const l = LIBS[name];
  if (!l) throw new Error(`unknown lib ${JSON.stringify(name)} (want "next-auth" or "authjs")`);
  return l;
}

const b64url = (buf) => Buffer.from(buf).toString("base64url");

async function handle(req) {
  switch (req.op) {
    case "versions":
      return {
        node: process.version,
        "next-auth": LIBS["next-auth"].version,
        "@auth/core": LIBS.authjs.version,
      };

    case "encode": {
      const params = { token: req.claims ?? {}, secret: req.secret };
      if (req.salt !== undefined) params.salt = req.salt;
      if (req.maxAge !== undefined) params.maxAge = req.maxAge;
      return { token: await lib(req.lib).jwt.encode(params) };
    }

    case "decode": {
      const params = { token: req.token, secret: req.secret };
      if (req.salt !== undefined) params.salt = req.salt;
      try {
        return { claims: (await lib(req.lib).jwt.decode(params)) ?? null };
      } catch (e) {
        return { claims: null, reason: `${e?.code ?? e?.name ?? "Error"}: ${e?.message ?? e}` };
      }
    }

    case "csrf": {
      // Exactly next-auth's expression: createHash("sha256").update(`${token}${secret}`).
      const hash = createHash("sha256").update(`${req.token}${req.secret}`).digest("hex");
      const out = { hash };
      if (req.hash !== undefined) {
        out.verified = {};
        for (const [name, l] of Object.entries(LIBS)) {
          const r = await l.csrf({
            options: { secret: req.secret },
            cookieValue: `${req.token}|${req.hash}`,
            isPost: true,
            bodyValue: req.token,
          });
          out.verified[name] = r.csrfTokenVerified === true && r.csrfToken === req.token;
        }
      }
      return out;
    }

    case "csrf-mint": {
      const r = await lib(req.lib).csrf({
        options: { secret: req.secret },
        cookieValue: undefined,
        isPost: false,
        bodyValue: undefined,
      });
      const [token, hash] = r.cookie.split("|");
      if (token !== r.csrfToken) throw new Error("minted cookie does not carry the token");
      return { token, hash };
    }

    case "encode-gcm-v5": {
      const salt = req.salt;
      const key = Buffer.from(
        hkdfSync("sha256", req.secret, salt, `Auth.js Generated Encryption Key (${salt})`, 32),
      );
      const header = { alg: "dir", enc: "A256GCM" };
      if (req.kid) {
        // RFC 7638 thumbprint, SHA-256 for a 32-byte key (as @auth/core computes it).
        header.kid = createHash("sha256")
          .update(JSON.stringify({ k: b64url(key), kty: "oct" }))
          .digest("base64url");
      }
      const now = Math.floor(Date.now() / 1000);
      const claims = { ...(req.claims ?? {}), iat: now, exp: now + (req.maxAge ?? 60) };
      const h = b64url(JSON.stringify(header));
      const iv = randomBytes(12);
      const c = createCipheriv("aes-256-gcm", key, iv);
      c.setAAD(Buffer.from(h, "ascii"));
      const ct = Buffer.concat([c.update(JSON.stringify(claims), "utf8"), c.final()]);
      return { token: `${h}..${b64url(iv)}.${b64url(ct)}.${b64url(c.getAuthTag())}` };
    }

    default:
      throw new Error(`unknown op ${JSON.stringify(req.op)}`);
  }
}

async function main() {
  const input = process.argv[2] ?? readFileSync(0, "utf8");
  const parsed = JSON.parse(input);
  const batch = Array.isArray(parsed);
  const results = [];
  for (const req of batch ? parsed : [parsed]) {
    try {
      results.push(await handle(req));
    } catch (e) {
      results.push({ error: `${e?.name ?? "Error"}: ${e?.message ?? e}` });
    }
  }
  process.stdout.write(JSON.stringify(batch ? results : results[0]) + "\n");
}

main().catch((e) => {
  process.stderr.write(`jwt.mjs: ${e?.stack ?? e}\n`);
  process.exit(2);
});
