// The app's own users and password check: what its next-auth credentials provider's
// `authorize` did, and what Tessera's `authorize` hook (pages/api/tessera/authorize.js)
// asks now. One user, the demo's: demo / demo.
import { createHash, timingSafeEqual } from "node:crypto";

const USERS = [{ id: "1", username: "demo", password: "demo", name: "Demo User", email: "demo@example.com" }];

/** Compares two strings in constant time (over their SHA-256, so any length). */
function same(a, b) {
  const digest = (s) => createHash("sha256").update(String(s)).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** The user `username` / `password` sign in as, or null. */
export function checkPassword(username, password) {
  if (typeof username !== "string" || typeof password !== "string") return null;
  const user = USERS.find((u) => same(u.username, username));
  if (!user || !same(user.password, password)) return null;
  return { id: user.id, name: user.name, email: user.email };
}
