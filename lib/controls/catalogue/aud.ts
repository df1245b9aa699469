import { evidence, family } from "../types";

const AUDIT = "tests/integration/audit-log.test.ts";
const CHECKPOINTS = "tests/integration/audit-checkpoints.test.ts";
const RETENTION = "tests/integration/audit-retention.test.ts";
const PAGE = "tests/integration/audit-log-page.test.ts";
const COVERAGE = "tests/integration/audit-coverage.test.ts";

export const AUD = family("AUD", [
  {
    id: "AUD-1",
    title: "Append-only audit log",
    description:
      "Each audit entry says who acted (the actor), in which organisation, what they did to which target, from where (client address and user agent), under which request id, what changed, and when. Requests can only insert and read it: the runtime roles have no UPDATE or DELETE, and a trigger rejects UPDATE, DELETE and TRUNCATE from anyone, the tables' owner included.",
    status: "implemented",
    implementation: ["supabase/migrations/20261124000300_audit.sql", "lib/audit/writer.ts"],
    evidence: [
      evidence(AUDIT, "UPDATE, DELETE and TRUNCATE are refused, even for an org owner"),
      evidence(AUDIT, "the append-only triggers stop even the owner from changing or removing entries"),
      evidence(AUDIT, "an entry claiming another org is refused"),
      evidence(RETENTION, "the runtime role still cannot delete, not even expired entries, and the maintenance role cannot update"),
      evidence(PAGE, "admins see entries filtered by actor, action family, target, severity and date, in keyset pages"),
    ],
    limitations: ["The tables' owner can disable the trigger; what it then changes is caught by the hash chain (AUD-2) and, for a rewrite of the whole chain with its head, by the signed checkpoints (AUD-5)."],
  },
  {
    id: "AUD-2",
    title: "Hash-chained, tamper-evident entries",
    description:
      "Entries are hash-chained per organisation: each carries a sequence number, the previous entry's hash and its own hash over canonical JSON of every field, appended under a per-organisation lock so concurrent writers stay linear, and the chain's head is anchored separately. `npm run verify:audit` and the live check name the first modified, removed or reordered entry of each organisation.",
    status: "implemented",
    implementation: ["lib/audit/chain.ts", "lib/audit/writer.ts", "lib/audit/verify.ts", "scripts/verify-audit-chain.ts", "supabase/migrations/20261124000300_audit.sql"],
    evidence: [
      evidence(AUDIT, "reports a modified entry as hash-mismatch at its seq"),
      evidence(AUDIT, "reports a removed middle entry as a sequence gap"),
      evidence(AUDIT, "reports entries removed from the end of the chain against the anchored head"),
      evidence(AUDIT, "reports a removed entry whose successor was renumbered"),
      evidence(AUDIT, "detects a change to any column of an entry"),
      evidence(AUDIT, "the hash covers every column of audit_logs but id, prev_hash and hash"),
      evidence("tests/unit/audit-chain.test.ts", "known-answer vector for the entry hash"),
      evidence("tests/unit/audit-chain.test.ts", "tampering with any field of an entry is detected"),
      evidence(AUDIT, "50 concurrent appends form one linear chain"),
      evidence("tests/integration/scale-out.test.ts", "AUD-2: writes from both instances at once leave one linear, verifiable audit chain"),
      evidence("tests/integration/controls-checks.test.ts", "audit-chain fails on an entry tampered with as the owner"),
      evidence(PAGE, "Verify chain reports an intact chain against the signed checkpoint; members may not verify"),
    ],
    limitations: ["Entries appended after the latest signed checkpoint are covered by the chain and its head only until the next checkpoint (AUD-5)."],
  },
  {
    id: "AUD-3",
    title: "What is audited",
    description:
      "TenantGuard records every change that matters to an auditor (keys and other credentials, who belongs to an organisation and with which role, integrations, the subscription, documents read or removed) and every security event (refused authentication, attempts on another tenant's data, abuse of the rate limits, webhooks that fail verification), each through the one audit writer in the same transaction as the change it records.",
    status: "implemented",
    issue: 18,
    implementation: ["lib/audit/writer.ts", "lib/audit/security-events.ts", "lib/audit/events.ts", "tests/helpers/audit-coverage.ts", "lib/projects/index.ts", "lib/api-keys/manage.ts", "lib/documents/pipeline.ts", "lib/documents/scan.ts", "lib/webhooks/providers/stripe.ts", "lib/grants/manage.ts", "lib/auth/embedded/auth-events.ts", "lib/credentials/manage.ts"],
    evidence: [
      // IDN-2 / IDN-5 / IDN-6 authentication events (before any org exists: idp.auth_events).
      evidence("tests/integration/sign-in-abuse.test.ts", "both are recorded as failed sign-ins, never with the email"),
      evidence("tests/integration/sign-in-abuse.test.ts", "the lockout is recorded once"),
      evidence("tests/integration/refresh-rotation.test.ts", "the second use fails and the family's newest tokens stop working"),
      evidence("tests/integration/second-factor-policies.test.ts", "the change is audited"),
      evidence("tests/integration/projects-pipeline.test.ts", "members create and rename, only admins delete, all audited"),
      // Credential events: integration.credential_set / replaced / tested / deleted, personal_credential.*.
      evidence("tests/integration/credentials.test.ts", "store, replace, test and delete: write-only, last 4 characters shown, audited without the value"),
      evidence("tests/integration/documents-audit.test.ts", "upload, scan verdict, download-URL issue and delete are audited in order, by the key and the system actor, and the chain verifies"),
      evidence("tests/integration/documents-audit.test.ts", "an import is audited with the source host only; an infected verdict names the signature"),
      evidence("tests/integration/api-keys-lifecycle.test.ts", "create, revoke, roll and delete are audit-logged without secrets"),
      evidence("tests/integration/api-v1.test.ts", "auditing writes as the key"),
      evidence("tests/integration/documents-pipeline.test.ts", "a clean file is pending in quarantine, scanned clean, promoted, and downloadable byte for byte with safe headers"),
      evidence("tests/integration/documents-import-action.test.ts", "an allow-listed local server is imported: the document is listed pending, with its origin, audited"),
      evidence("tests/integration/jobs-dashboard.test.ts", "an admin sees the org's dead job with its masked error and retries it: pending again, attempts 0, audited"),
      // Membership events: member.invite_created / invite_revoked / invite_redeemed / role_changed / removed / left.
      evidence("tests/integration/members.test.ts", "an admin's invite link adds the invited person once, is stored only as its hash, and is audited"),
      evidence("tests/integration/members.test.ts", "owners promote, demote and remove; an admin manages members and admins"),
      evidence("tests/integration/members.test.ts", "the last owner can be neither demoted, removed nor leave"),
      evidence("tests/integration/members-dashboard.test.ts", "an invite redemption is audited in the invite's org"),
      evidence("tests/integration/webhooks-stripe-billing.test.ts", "subscription deleted: back to the Free plan's limits"),
      evidence("tests/integration/webhooks-stripe-billing.test.ts", "invoice paid delivered twice (and again as a new event) is one payment row, audited once"),
      evidence("tests/integration/webhooks-stripe-billing.test.ts", "finalized then paid in the same second, in either order, ends paid; a failed payment is audited"),
      evidence("tests/integration/webhooks-clerk-sync.test.ts", "Clerk membership role change -> local role and an audit row"),
      evidence("tests/integration/webhooks-clerk-sync.test.ts", "user deleted -> their session is refused on the next request, and every membership is gone"),
      // Project sharing (TEN-7): project_grant.created / changed / revoked, project_link.created / revoked / redeemed, org.base_permission_changed.
      evidence("tests/integration/project-links.test.ts", "AUD-3: grant and link events are in the org's audit log"),
      evidence(COVERAGE, "none mutates without an audit entry (or a listed reason), and no exemption is stale"),
      evidence(COVERAGE, "fails on a fixture action that changes a row without an audit entry"),
      evidence(PAGE, "AUD-3: revoking a session is audited in the active org's chain, in the same transaction"),
    ],
    limitations: [
      "The coverage test reads the source (pipeline actions, server actions, API mutations) and follows calls a few levels deep; a path it cannot follow is listed with its reason. Sign-in failures, rate-limit abuse and rejected webhooks name no organisation, so they are security events (metrics, alerts, threshold counters), not entries of an org's chain.",
    ],
  },
  {
    id: "AUD-4",
    title: "Retention that keeps the chain verifiable",
    description:
      "Audit entries are kept for one year by default (settable per organisation, with legal hold) and removed by a scheduled job under a dedicated maintenance role, after a checkpoint at the cut, so the remaining chain still verifies. An audit write that fails on a path that only records never breaks the user's request; the failure is queued, counted and reported.",
    status: "implemented",
    issue: 18,
    implementation: ["supabase/migrations/20261203040100_audit_retention.sql", "lib/audit/retention.ts", "lib/audit/record-only.ts", "lib/audit/security-events.ts", "lib/controls/checks/audit.ts"],
    evidence: [
      evidence(RETENTION, "removes entries past one year after a signed cut; the rest verifies in the database and offline"),
      evidence(RETENTION, "legal hold keeps every entry; a longer per-org retention keeps them too"),
      evidence(RETENTION, "the runtime role still cannot delete, not even expired entries, and the maintenance role cannot update"),
      evidence(RETENTION, "a cross-tenant probe whose audit write fails still answers 404; the failure is counted, queued, and written on retry"),
      evidence(RETENTION, "a change whose audit write fails is rolled back with it"),
      evidence(PAGE, "retention settings: admins save them (audited from -> to); an invalid value is refused with its field"),
    ],
    limitations: ["The newest entry of a chain is never removed (an emptied chain is always a break), so a chain keeps at least one entry past its retention."],
  },
  {
    id: "AUD-5",
    title: "Signed checkpoints outside the database",
    description:
      "On a schedule, TenantGuard signs the latest head of each organisation's chain with a signing key that exists only outside the database, and stores those signed checkpoints away from it and in every export. Even the database owner, who can rewrite rows, then cannot alter, drop or reorder history without the checkpoints exposing it. Security events are classified by type and severity in one place, and the serious ones raise alerts.",
    status: "implemented",
    issue: 18,
    implementation: [
      "lib/audit/signing.ts",
      "lib/audit/checkpoints.ts",
      "lib/audit/verify.ts",
      "lib/audit/offline.ts",
      "lib/audit/export.ts",
      "lib/audit/events.ts",
      "lib/audit/alerts.ts",
      "lib/audit/schedule.ts",
      "app/.well-known/tenantguard-audit-key/route.ts",
      "scripts/verify-audit-chain.ts",
      "supabase/migrations/20261203040000_audit_checkpoints.sql",
    ],
    evidence: [
      evidence(CHECKPOINTS, "the scheduled audit.checkpoint task signs every grown head, stores it and writes it to the sink; the chain verifies against it"),
      evidence("tests/unit/audit-signing-rotation.test.ts", "a checkpoint signed by the previous key verifies once its public key is listed as retired, and not before"),
      evidence("tests/unit/security-alert-sentry.test.ts", "a high event is sent as an error-level message naming the event; a low event is not sent"),
      evidence(CHECKPOINTS, "a chain rewritten with its head as the owner verifies without a checkpoint, and is detected against the signed one"),
      evidence(CHECKPOINTS, "deleting the newest entries (head moved back) and reordering entries are detected against the checkpoint"),
      evidence(CHECKPOINTS, "the owner removing the stored checkpoints too is still detected through the external sink"),
      evidence(CHECKPOINTS, "a checkpoint signed with another key is refused, and a genuine one does not verify under another public key"),
      evidence(CHECKPOINTS, "the public key is published at /.well-known/tenantguard-audit-key and verifies the deployment's checkpoints"),
      evidence(CHECKPOINTS, "an exported file verifies with the public key and no database; the same file with one byte changed fails"),
      evidence("tests/e2e/audit-log.e2e.ts", "an owner signs a checkpoint, verifies the chain, opens an entry and filters; the JSON export verifies offline"),
      evidence("tests/e2e/audit-log.e2e.ts", "a member is told the page is for admins (no entry shown) and gets 404 for the export"),
      evidence(CHECKPOINTS, "every event has a severity; 20 failed key verifications from one address in a minute raise one high alert"),
      evidence("tests/unit/env.test.ts", "AUD-5: production refuses to start without AUDIT_SIGNING_KEY or with a malformed one"),
    ],
    limitations: [
      "The external sink is a directory (AUDIT_CHECKPOINT_DIR); pointing it at storage the database's owner cannot write (another host, an object-locked bucket mounted as a directory) is the deployment's part. S3 upload is not built in.",
      "Only the current signing key verifies: after a key change, older checkpoints are verified with the previous public key offline.",
    ],
  },
]);
