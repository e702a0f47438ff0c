// useSession({required: true}): when signed out, next-auth/react itself navigates to
// /api/auth/signin?error=SessionRequired&callbackUrl=<this page>.
import { SessionView } from "../../lib/exposed-session";

export default function Required() {
  return <SessionView title="Required session" options={{ required: true }} />;
}
