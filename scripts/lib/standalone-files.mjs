// What scripts/standalone.mjs copies into `.next/standalone` beside the traced server (tests/unit/standalone.test.ts
// keeps SERVER_FILES in step with scripts/server.mjs's own imports).

/** Files our server entry imports, at the same relative paths (it imports ../lib/...). */
export const SERVER_FILES = ["scripts/server.mjs", "lib/http/forwarding-headers.mjs", "lib/security/request-line.mjs"];
/** Read from disk by the app at run time (relative to its working directory); copied when present. */
export const RUNTIME_PATHS = ["supabase/migrations", "scripts/verify-rls-coverage.sql", "config", "sbom", "public"];
