import type { NextConfig } from 'next';

// The console is a client of the control API only. The browser calls /api/control/*,
// which src/app/api/control/[...path]/route.ts forwards to LOADLINE_API when the console
// runs (a `rewrites()` entry would be frozen into the build by `next build`).
const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The middleware's redirect to sign in keeps the Host the browser used: normalized, Next
  // would send a browser on 127.0.0.1 to localhost, another origin without its session.
  skipMiddlewareUrlNormalize: true,
};

export default config;
