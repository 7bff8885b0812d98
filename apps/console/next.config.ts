import type { NextConfig } from 'next';

// The console is a client of the control API only. The browser calls /api/control/*,
// which src/app/api/control/[...path]/route.ts forwards to LOADLINE_API when the console
// runs (a `rewrites()` entry would be frozen into the build by `next build`).
const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
};

export default config;
