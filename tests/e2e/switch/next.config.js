// The app's Next.js configuration, as a team switching to `tessera serve` would write it.
//
// TESSERA_ORIGIN (read at build time: Next.js fixes rewrites when it builds): when set,
// every /api/auth/* request goes to Tessera instead of the app's own next-auth route.
// `beforeFiles` makes the rewrite win over pages/api/auth/[...nextauth].js, which can stay.
// NEXT_DIST_DIR lets the test keep a build with and a build without the rewrite side by
// side (read by `next build` and by `next start` alike).
/** @type {import('next').NextConfig} */
module.exports = {
  distDir: process.env.NEXT_DIST_DIR || ".next",
  reactStrictMode: true,
  poweredByHeader: false,
  // Keep the build short: plain JavaScript, no lint step.
  eslint: { ignoreDuringBuilds: true },
  // The test runs `next start` from this directory: no need to trace the server's files for
  // a standalone copy (about half the build time).
  outputFileTracing: false,
  // The browser suite's pages are /app/ and /app/required, with the slash the demo's URLs
  // have (nextjs-front.test.mjs runs that suite here): serve /app/ as it is instead of
  // redirecting it to /app.
  skipTrailingSlashRedirect: true,
  async rewrites() {
    const tessera = process.env.TESSERA_ORIGIN;
    if (!tessera) return [];
    return {
      beforeFiles: [{ source: "/api/auth/:path*", destination: `${tessera}/api/auth/:path*` }],
    };
  },
};
