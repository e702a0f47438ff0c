// The browser suite's page (tests/e2e/app/SessionView.jsx): useSession() on `window`.
import { SessionView } from "../../lib/exposed-session";

export default function App() {
  return <SessionView title="next-auth/react e2e" />;
}
