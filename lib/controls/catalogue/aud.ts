import { evidence, family } from "../types";

const AUDIT = "tests/integration/audit-log.test.ts";

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
    ],
    limitations: ["The tables' owner can disable the trigger; what it then changes is caught by the hash chain (AUD-2) up to a rewrite of the whole chain with its head, which only external anchoring (AUD-5) detects."],
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
      evidence("tests/integration/controls-checks.test.ts", "audit-chain fails on an entry tampered with as the owner"),
    ],
    limitations: ["Someone holding the owner role can rewrite a whole chain together with its head; signed external checkpoints (AUD-5, #18) close that."],
  },
  {
    id: "AUD-3",
    title: "What is audited",
    description:
      "TenantGuard records every change that matters to an auditor (keys and other credentials, who belongs to an organisation and with which role, integrations, the subscription, documents read or removed) and every security event (refused authentication, attempts on another tenant's data, abuse of the rate limits, webhooks that fail verification), each through the one audit writer in the same transaction as the change it records.",
    status: "partial",
    issue: 18,
    implementation: ["lib/audit/writer.ts", "lib/audit/security-events.ts", "lib/projects/index.ts", "lib/api-keys/manage.ts", "lib/documents/pipeline.ts", "lib/documents/scan.ts", "lib/webhooks/providers/stripe.ts", "lib/credentials/manage.ts"],
    evidence: [
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
    ],
    limitations: [
      "Audited today: project and API-key changes, cross-tenant probes; documents (document.uploaded, document.imported, document.scan_verdict, document.download_url_issued, document.deleted; the fetch of a signed download link itself is not audited, only its issue); billing events from Stripe's webhooks (billing.subscription_changed, billing.subscription_ended, billing.checkout_completed, billing.invoice_finalized, billing.payment_succeeded, billing.payment_failed); membership changes made in the app (member.invite_created, member.invite_revoked, member.invite_redeemed, member.role_changed, member.removed, member.left) or arriving as Clerk's webhooks (member.added / role_changed / removed as the `webhook` actor `clerk`, one removal per org for a user deleted at Clerk). Sign-in outcomes, webhook deliveries that fail verification (counted in the webhook log, not audited) and rate-limit abuse are not yet, and no test enforces coverage (#18).",
    ],
  },
  {
    id: "AUD-4",
    title: "Retention that keeps the chain verifiable",
    description:
      "Audit entries are kept for one year by default (settable per organisation, with legal hold) and removed by a scheduled job under a dedicated maintenance role, after a checkpoint at the cut, so the remaining chain still verifies. An audit write that fails on a path that only records never breaks the user's request; the failure is queued, counted and reported.",
    status: "planned",
    issue: 18,
    implementation: [],
    evidence: [],
  },
  {
    id: "AUD-5",
    title: "Signed checkpoints outside the database",
    description:
      "On a schedule, TenantGuard signs the latest head of each organisation's chain with a signing key that exists only outside the database, and stores those signed checkpoints away from it and in every export. Even the database owner, who can rewrite rows, then cannot alter, drop or reorder history without the checkpoints exposing it. Security events are classified by type and severity in one place, and the serious ones raise alerts.",
    status: "planned",
    issue: 18,
    implementation: [],
    evidence: [],
  },
]);
