/** A safe production configuration (Clerk, PostgreSQL with TLS, Redis with TLS) that env tests vary one setting of. */
export const PRODUCTION_ENV = {
  NODE_ENV: "production",
  APP_URL: "https://app.example.com",
  DATABASE_URL: "postgres://app_runtime:pw@db.example.com:5432/app?sslmode=require",
  REDIS_URL: "rediss://cache.example.com:6379",
  NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: "pk_live_Y2xlcmsuZXhhbXBsZS5jb20k",
  CLERK_SECRET_KEY: "sk_live_x",
  CLERK_JWT_KEY: "-----BEGIN PUBLIC KEY-----x-----END PUBLIC KEY-----",
  // AUD-5: a test-only Ed25519 key (generated for these fixtures, signs nothing real).
  AUDIT_SIGNING_KEY: "v1:MC4CAQAwBQYDK2VwBCIEICaCFSvz0wIdx1MKk2sL5XPwbGsgu/BHAOLZj0ElghQb", // secret-scan: allow (test-only key)
  // ENC-1: a key-encryption key of its own (32 bytes, base64), not the public development key.
  ENCRYPTION_KEYS: `prod1:${Buffer.alloc(32, 7).toString("base64")}`,
};
