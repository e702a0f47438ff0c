// The app's own next-auth route: what runs before the switch. Built with TESSERA_ORIGIN,
// next.config.js rewrites /api/auth/* to Tessera and this route is no longer reached.
import NextAuth from "next-auth";
import { authOptions } from "../../../lib/auth";

export default NextAuth(authOptions);
