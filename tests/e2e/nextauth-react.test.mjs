// End-to-end: the unmodified next-auth/react 4.24.x client, bundled into a tiny React
// app (app/), running in headless Chromium against the Tessera demo (through a same-origin
// proxy). The tests are nextauth-react.suite.mjs; switch/nextjs-front.test.mjs runs them
// against a Next.js app in front of `tessera serve`.
import { startStack } from "./harness.mjs";
import { nextauthReactSuite } from "./nextauth-react.suite.mjs";

nextauthReactSuite({ title: "next-auth/react 4.24 against the Tessera demo", start: () => startStack(), passwords: true });
