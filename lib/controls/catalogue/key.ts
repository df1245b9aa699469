import { evidence, family } from "../types";

const LIFECYCLE = "tests/integration/api-keys-lifecycle.test.ts";
const CACHE = "tests/integration/api-key-cache.test.ts";
const API = "tests/integration/api-v1.test.ts";
const FORMAT = "tests/unit/api-keys-format.test.ts";

export const KEY = family("KEY", [
  {
    id: "KEY-1",
    title: "Keys created by admins, shown once, stored as hashes",
    description:
      "Organisation admins create API keys in the dashboard. The plaintext is shown once, at creation; TenantGuard stores only its SHA-256 hash and a short, non-secret prefix to recognise it by, so nothing in the database can be turned back into a working key.",
    status: "implemented",
    implementation: ["lib/api-keys/key-format.ts", "lib/api-keys/manage.ts", "app/(dashboard)/settings/api-keys/actions.ts", "components/api-keys/secret-reveal.tsx"],
    evidence: [
      evidence(FORMAT, "hashApiKey is SHA-256 hex of the full key"),
      evidence(LIFECYCLE, "a created key verifies as an API-key principal of its org; only its SHA-256 is stored"),
      evidence(LIFECYCLE, "the plaintext never appears in any table, and the hash appears only in api_keys"),
      evidence("tests/e2e/dashboard.e2e.ts", "API key: created and shown once"),
      evidence("tests/e2e/dashboard.e2e.ts", "KEY-1: a new or rolled key's secret travels to the browser once and is never sent back to the server"),
      evidence("tests/unit/api-key-actions-formdata.test.ts", "API-key actions that reveal a secret take FormData only"),
    ],
  },
  {
    id: "KEY-2",
    title: "Revocation, expiry and last use, checked on every request",
    description:
      "A key's revocation and expiry are checked by the database inside every request's own transaction, so a revoked or expired key fails on the very next request on every app instance, with no cache window. Rolling a key keeps the old secret working only for a chosen grace period; an optional IP allow-list is enforced with the same generic refusal; last use and a verification log are recorded in batches.",
    status: "implemented",
    implementation: [
      "lib/api-keys/verify.ts",
      "lib/api-keys/usage-log.ts",
      "lib/api-keys/ip-allowlist.ts",
      "lib/api-keys/key-claims.ts",
      "lib/db/index.ts",
      "lib/db/tenant-check.ts",
      "supabase/migrations/20261124001000_policy_helpers_plpgsql.sql",
      "supabase/migrations/20261124001100_key_log_writer.sql",
    ],
    evidence: [
      evidence(CACHE, "after revoke, expiry, delete or the end of a roll's grace, through REST"),
      evidence(CACHE, "refuses claims without the presented hash, forged permissions, scope or org"),
      evidence(LIFECYCLE, "revoked (on the very next request), expired, deleted, unknown"),
      evidence(LIFECYCLE, "both secrets work until the grace ends, then only the new one"),
      evidence(LIFECYCLE, "outside the list fails with the same error"),
      evidence("tests/integration/api-key-unknown-address.test.ts", "an allow-listed key is refused, on first use and once its facts are cached"),
      evidence("tests/integration/controls-checks.test.ts", "expired-keys fails when the database would still accept a key past its expiry"),
      evidence("tests/integration/scale-out.test.ts", "KEY-2: an API key revoked on instance A is refused on instance B at its next request, though B had it cached"),
      evidence("tests/integration/security-center.test.ts", "api-key-hygiene warns for a live key with no expiry, or unused for 90 days"),
    ],
    limitations: ["The verification log is buffered per instance for up to API_KEY_LOG_FLUSH_MS: entries not yet written are lost if the process is killed."],
  },
  {
    id: "KEY-3",
    title: "Org or project scope, read or write",
    description:
      "Every key is scoped to its organisation or to one of its projects, and carries read or read-and-write permission. Both travel in the key's claims, are re-checked by the database on every request, and are enforced by row-level security: a read-only key's writes are refused and touch nothing.",
    status: "implemented",
    implementation: ["lib/api-keys/schemas.ts", "lib/api/handler.ts", "supabase/migrations/20261124000500_api_keys.sql"],
    evidence: [
      evidence("tests/integration/api-keys-scope.test.ts", "inserts into projects and documents are refused by RLS"),
      evidence("tests/integration/api-keys-scope.test.ts", "creates and deletes projects of its org (the partner API's DELETE), but no other org's"),
      evidence(API, "a read-only key cannot write (403) and nothing changes"),
    ],
  },
  {
    id: "KEY-4",
    title: "Key lifecycle is audited",
    description:
      "Creating, rolling, revoking and deleting a key each write an audit entry in the same transaction as the change, naming the admin who did it and never the secret.",
    status: "implemented",
    implementation: ["lib/api-keys/manage.ts", "lib/audit/writer.ts"],
    evidence: [evidence(LIFECYCLE, "create, revoke, roll and delete are audit-logged without secrets")],
  },
  {
    id: "KEY-5",
    title: "Bearer authentication; keys never logged",
    description:
      "The partner API accepts a key only as `Authorization: Bearer <key>`, parsed strictly; anything malformed is refused before the database is asked. Key material never reaches logs, telemetry, rate-limit identifiers or error reports: the logger redacts credential headers and masks token-shaped strings.",
    status: "implemented",
    implementation: ["lib/api-keys/key-format.ts", "lib/api/handler.ts", "lib/observability/logger.ts", "lib/ratelimit/identifier.ts"],
    evidence: [
      evidence(FORMAT, "KEY-5: strict Bearer parsing"),
      evidence("tests/unit/api-keys-offline.test.ts", "malformed keys are rejected before any database call"),
      evidence(API, "the plaintext key appears in no table and no log line"),
      evidence("tests/integration/api-key-never-logged.test.ts", "KEY-5: API keys never reach the process's output"),
      evidence("tests/unit/observability-logger.test.ts", "authorization, cookie, set-cookie and API-key headers"),
      evidence("tests/unit/ratelimit-memory.test.ts", "a plaintext-looking API key is refused as an identifier"),
    ],
  },
]);
