// Verifies Tessera's hook signature (crates/tessera-server/src/hooks/mod.rs):
//   Tessera-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>
import crypto from "node:crypto";

/** True when `header` signs `body` (a Buffer, the raw request body) under `secret`. */
export function verifyTessera(header, body, secret, toleranceSeconds = 300) {
  if (!secret) return false;
  let t = NaN;
  const v1 = [];
  for (const item of (header ?? "").split(",")) {
    const [key, value] = item.trim().split("=", 2);
    if (key === "t" && /^\d+$/.test(value)) t = Number(value);
    else if (key === "v1") v1.push(Buffer.from(value ?? "", "hex"));
  }
  if (!Number.isSafeInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = crypto.createHmac("sha256", secret).update(`${t}.`).update(body).digest();
  return v1.some((sig) => sig.length === expected.length && crypto.timingSafeEqual(sig, expected));
}
