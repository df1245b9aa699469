import { defineConfig } from "vitest/config";
import path from "node:path";

// The same suite runs on embedded defaults (PGlite in memory, per test file, each a copy of one database migrated by
// the global setup) and, when DATABASE_URL is set, against a real PostgreSQL (and REDIS_URL's Redis). See .ci/run.
const embedded = !process.env.DATABASE_URL;

export default defineConfig({
  resolve: {
    alias: {
      "@": path.resolve(__dirname),
      // `server-only` throws outside React's server build; tests are server code too.
      "server-only": path.resolve(__dirname, "tests/helpers/server-only.ts"),
      // One graphql instance: Node loads graphql-yoga's copy as CommonJS, so our imports must get the same file
      // (graphql refuses to mix its ESM and CJS builds: "Cannot use GraphQLNonNull from another module or realm").
      graphql: path.resolve(__dirname, "node_modules/graphql/index.js"),
    },
  },
  test: {
    include: ["tests/unit/**/*.test.ts", "tests/integration/**/*.test.ts"],
    environment: "node",
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ["tests/helpers/global-setup.ts"],
    setupFiles: ["tests/helpers/isolated-rate-limits.ts", "tests/helpers/pglite-snapshot.ts"],
    env: {
      NODE_ENV: "test",
      APP_URL: "http://localhost:3000",
      IDP_KEY_FILE: ".data/test/idp-key.json",
      AUDIT_CHECKPOINT_DIR: ".data/test/audit-checkpoints",
      // Tests write the API-key log when they read it (flushKeyUses), so a timer never splits what they count.
      API_KEY_LOG_FLUSH_MS: "60000",
      // IDN-5: the progressive delay is proved by tests/unit/failure-delay.test.ts; lockout tests make dozens of attempts.
      AUTH_FAILURE_DELAY_MAX_MS: "0",
      // ENC-1: every test process holds the KEKs the rotation tests rotate to, so a test file that opens the shared
      // PostgreSQL database while another file's data keys are wrapped by one of them still starts. "dev" is the
      // development key's material (lib/crypto/keyring.ts), active as with no configuration.
      ENCRYPTION_KEYS: [
        "dev:Z0SvUCUZX3GgfiTtNRagRFWusMciK3rOoPcQhqqVqXE=",
        ...["t1", "t2", "t3", "t4", "hyg"].map((id, i) => `${id}:${Buffer.alloc(32, 0x41 + i).toString("base64")}`),
      ].join(",") + ";active=dev",
      // On PostgreSQL every test file shares one database: a test that loads instrumentation.ts must not start an
      // in-process worker that takes other files' jobs (each file starts the workers it needs). Each embedded file has
      // a database of its own, and PGlite refuses JOBS_IN_PROCESS=false.
      ...(embedded ? { PGLITE_DATA_DIR: "memory://" } : { JOBS_IN_PROCESS: "false" }),
    },
  },
});
