import { inject } from "vitest";

// Embedded runs: the file's in-memory PGlite starts from the suite's migrated template (tests/helpers/global-setup.ts).
// Runs before the file's imports are evaluated, so lib/env reads it like any other setting (NODE_ENV=test only).
const snapshot = inject("pgliteSnapshot");
if (snapshot) process.env.PGLITE_SNAPSHOT = snapshot;
