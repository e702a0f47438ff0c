// Tessera's hooks ([hooks] in tessera.toml; one URL serves them, the body names the hook):
// what the app's next-auth options did, still run by the app.
//   authorize  the credentials provider's `authorize`: the app's own password check
//   session    callbacks.session: the user's id in the session, as the app had it
// The signature covers the raw body, so Next.js must not parse it (bodyParser: false).
import { checkPassword } from "../../../lib/users";
import { verifyTessera } from "../../../lib/tessera-signature";

export const config = { api: { bodyParser: false } };

/** The largest body read (Tessera's calls are far smaller). */
const MAX_BODY = 64 * 1024;

/** The raw request body as a Buffer, or null when it is longer than MAX_BODY. */
async function rawBody(req) {
  const chunks = [];
  let length = 0;
  for await (const chunk of req) {
    length += chunk.length;
    if (length > MAX_BODY) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export default async function handler(req, res) {
  if (req.method !== "POST") {
    res.setHeader("Allow", "POST");
    return res.status(405).end();
  }
  const body = await rawBody(req);
  if (body === null) return res.status(413).end();
  if (!verifyTessera(req.headers["tessera-signature"], body, process.env.TESSERA_HOOK_SECRET)) {
    return res.status(401).send("bad signature");
  }
  let call;
  try {
    call = JSON.parse(body.toString("utf8"));
  } catch {
    return res.status(400).send("not JSON");
  }
  res.setHeader("Cache-Control", "no-store");
  switch (call?.hook) {
    case "authorize": {
      const { username, password } = call.credentials ?? {};
      return res.status(200).json({ user: checkPassword(username, password) });
    }
    case "session": {
      // Database sessions: `user` is the stored user (update() already applied).
      const { session, user } = call;
      return res.status(200).json({ session: { ...session, user: { ...session.user, id: user?.id } } });
    }
    default:
      return res.status(404).send("unknown hook");
  }
}
