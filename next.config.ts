import type { NextConfig } from "next";
// ENC-3: configuration is validated when the app is built and when it starts; a bad one fails here.
import "./lib/env";

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // Native and WebAssembly packages stay in node_modules instead of being bundled.
  serverExternalPackages: ["@electric-sql/pglite", "@node-rs/argon2", "pg"],
};

export default nextConfig;
