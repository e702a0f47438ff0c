// The app's own API route reading the session cookie with next-auth's getToken(): it must go
// on working after the switch, on cookies Tessera issues (JWT strategy).
import { getToken } from "next-auth/jwt";

export default async function handler(req, res) {
  const token = await getToken({ req, secret: process.env.NEXTAUTH_SECRET });
  res.setHeader("Cache-Control", "no-store");
  res.status(200).json({ token });
}
