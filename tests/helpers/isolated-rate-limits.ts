import { randomUUID } from "node:crypto";

// RL-2 in tests: every test file counts rate limits under its own Redis key namespace, so files running side by
// side, and consecutive runs against the same Redis, never share a counter (every API test uses one client IP).
// Runs before the file's imports are evaluated, so lib/env reads it like any other setting.
process.env.RATE_LIMIT_PREFIX = `tg:test:${randomUUID()}`;
