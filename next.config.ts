import type { NextConfig } from "next";
// ENC-3: configuration is validated when the app is built and when it starts; a bad one fails here.
import { env } from "./lib/env";
import { staticSecurityHeaders } from "./lib/security/headers";

const nextConfig: NextConfig = {
  poweredByHeader: false, // HDR-1: no X-Powered-By
  // Self-hosting: `.next/standalone` holds the server and only the node_modules it traces; scripts/standalone.mjs
  // (postbuild) puts our own server entry (scripts/server.mjs) and the files read at run time beside it.
  output: "standalone",
  // The build checks the app's own code; `npm run typecheck` checks everything, tests and scripts included.
  typescript: { tsconfigPath: "tsconfig.app.json" },
  // Native and WebAssembly packages stay in node_modules instead of being bundled.
  serverExternalPackages: ["@electric-sql/pglite", "@node-rs/argon2", "pg", "pino", "ioredis", "graphql", "graphql-yoga", "@escape.tech/graphql-armor"],
  // VAL-2: server action bodies are capped (route handlers: proxy.ts and lib/http/body.ts).
  // Next.js buffers each body that passes the proxy up to proxyClientMaxBodySize and cuts a longer one short: 1 MiB,
  // the most the edge lets any route it runs for declare. FILE-1: the upload routes are outside the proxy (proxy.ts's
  // matcher) and stream; they run the edge checks themselves and check the bytes received.
  experimental: { serverActions: { bodySizeLimit: "1mb" }, proxyClientMaxBodySize: "1mb" },
  // HDR-1 for responses the proxy does not see (static assets); the proxy sets the same set plus the CSP.
  async headers() {
    const headers = Object.entries(staticSecurityHeaders(env.NODE_ENV === "production")).map(([key, value]) => ({ key, value }));
    return [{ source: "/:path*", headers }];
  },
};

export default nextConfig;
