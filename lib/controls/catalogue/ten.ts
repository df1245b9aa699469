import { evidence, family } from "../types";

const RLS = "tests/integration/rls-coverage.test.ts";
const SCOPE = "tests/integration/api-keys-scope.test.ts";
const API = "tests/integration/api-v1.test.ts";
const MEMBERS = "tests/integration/members.test.ts";
const MEMBERS_DASHBOARD = "tests/integration/members-dashboard.test.ts";
const MEMBERS_CLERK = "tests/integration/members-clerk.test.ts";
const GRANTS_PROPERTY = "tests/integration/project-grants.property.test.ts";
const LINKS = "tests/integration/project-links.test.ts";
const PGLITE_SUPERUSER =
  "On the embedded engine (PGlite) the database session is its superuser: a request transaction only switches role with SET LOCAL, so SQL that resets the role (`reset role`, `set session authorization`) leaves row-level security. Only PostgreSQL enforces the non-superuser login role; the `database-session` check reports this as a warning.";

export const TEN = family("TEN", [
  {
    id: "TEN-1",
    title: "Row-level security on every tenant table",
    description:
      "Every tenant-scoped row carries its organisation's id, and every table of the app schemas has PostgreSQL row-level security switched on and forced (it binds the tables' owner too), with policies that read the verified JWT claims through `auth.jwt()` exactly as Supabase defines it. The app connects as a role that owns nothing, has no BYPASSRLS and can only switch to the request roles, so tenant isolation holds in the database even where application code forgets a filter.",
    status: "implemented",
    implementation: [
      "supabase/migrations/20261124000000_auth_shim.sql",
      "supabase/migrations/20261124000100_runtime_role.sql",
      "supabase/migrations/20261124000200_core_schema.sql",
      "supabase/migrations/20261124001000_policy_helpers_plpgsql.sql",
      "supabase/migrations/20261201000000_security_definer_grants.sql",
      "supabase/migrations/20261201200000_jobs.sql",
      "lib/db/index.ts",
      "lib/jobs/worker.ts",
    ],
    evidence: [
      evidence(RLS, "requests run as authenticated/anon; neither they nor app_runtime can bypass RLS or own app objects"),
      evidence(RLS, "PostgreSQL: the session is app_runtime, NOINHERIT, not superuser, no BYPASSRLS"),
      evidence("tests/integration/null-org-claim.test.ts", "see no row of any tenant table"),
      evidence("tests/integration/tenant-isolation.property.test.ts", "no actor sees, changes or deletes another org's projects"),
      evidence(SCOPE, "no rows of the other org, and no key-management rows even in its own org"),
      evidence("tests/integration/health-endpoints.test.ts", "/health/status says whether the database session is a superuser"),
      evidence("tests/integration/security-definer-grants.test.ts", "every one of them, and each grantee, is exactly the expected table"),
      evidence("tests/integration/security-definer-grants.test.ts", "a function created by a later migration is executable by nobody until granted"),
      evidence("tests/integration/controls-checks.test.ts", "runtime-role fails for a role that can bypass row-level security or owns app tables"),
      evidence("tests/integration/controls-checks.test.ts", "database-session warns on the embedded engine and fails for a superuser session"),
      evidence("tests/integration/controls-checks.test.ts", "database-session on PostgreSQL: passes for a plain login role, fails for a superuser or a BYPASSRLS one"),
      // Jobs: enqueued for the caller's own org only; run as job_service, which sees no other org's row anywhere.
      evidence("tests/integration/jobs.test.ts", "org A cannot enqueue a job for org B, nor see B's jobs"),
      evidence("tests/integration/jobs.test.ts", "an enqueue cannot set the state, attempts or lease (column grants), nor another principal's name"),
      evidence("tests/integration/jobs.test.ts", "sees no other org's row in any table"),
    ],
    limitations: [PGLITE_SUPERUSER],
  },
  {
    id: "TEN-2",
    title: "One transaction per request with the verified claims",
    description:
      "Each request's queries run in one transaction whose first statement sets the verified claims and a non-owner role for that transaction only (the PostgREST/Supabase mechanism), with a statement time limit. Claims and role end with the transaction, so nothing a request sets can leak into the next request on the same connection.",
    status: "implemented",
    implementation: ["lib/db/index.ts", "lib/db/tenant-check.ts", "lib/db/engine.ts"],
    evidence: [
      evidence("tests/integration/swallowed-statement-error.test.ts", "rejects with 25P02 and leaves nothing written, on every engine"),
      evidence("tests/integration/tenant-transaction-scope.test.ts", "TEN-2: claims and role are set for the transaction, never for the session"),
      evidence("tests/unit/tenant-preamble.test.ts", "sets claims, role and time limit with is_local = true"),
      evidence("tests/integration/single-statement.test.ts", "answer the one statement under the caller's claims and RLS"),
      evidence("tests/integration/prepared-statements.test.ts", "reused across tenants on one connection, see only the current tenant's rows"),
      evidence("tests/integration/prepared-statements.test.ts", "a failed statement leaves the connection clean: no open transaction, no claims"),
      evidence("tests/integration/statement-timeout.test.ts", "sets statement_timeout for the transaction only"),
      evidence("tests/integration/controls-checks.test.ts", "database-session warns on the embedded engine and fails for a superuser session"),
      // Jobs: a job's transaction is its org's service principal only while a live lease on that job backs it.
      evidence("tests/integration/jobs.test.ts", "service claims for an org are refused without a live lease on a job of that org and kind"),
      evidence("tests/integration/jobs.test.ts", "a job enqueued in a transaction that rolls back does not exist"),
    ],
    limitations: [PGLITE_SUPERUSER],
  },
  {
    id: "TEN-3",
    title: "Members and roles, checked before work",
    description:
      "On top of row-level security, every server action and page checks the caller's membership and role before doing any work: members view and work on data; admins and owners also manage keys, members, integrations, billing and settings. Roles come from verified claims only, never from request input, and every request re-checks that the membership its session names still exists with that role, so a removal or role change takes effect on the next request. Owners and admins invite people by email (embedded provider: a one-use link valid 7 days by default, stored only as its SHA-256, revocable, for the invited email only; Clerk: Clerk's invitations), change roles and remove members; members leave. Nobody grants, changes or removes a role above their own, and every organisation keeps at least one owner: both rules are enforced by the database (SECURITY DEFINER functions that read the caller's role from the memberships table, and a trigger under a per-org lock), which request roles cannot bypass because they have no write privilege on the membership tables. With Clerk configured the same operations go through Clerk's Backend API, and Clerk's membership events update the local copy, never overwritten by an older event or an older token.",
    status: "implemented",
    issue: 15,
    implementation: [
      "lib/actions/pipeline.ts",
      "lib/pages/read.ts",
      "lib/pages/define-page.tsx",
      "lib/auth/session.ts",
      "lib/projects/index.ts",
      "lib/api-keys/manage.ts",
      "lib/members/manage.ts",
      "lib/members/redeem.ts",
      "lib/members/sync.ts",
      "lib/webhooks/providers/clerk.ts",
      "lib/members/clerk-api.ts",
      "lib/members/check.ts",
      "supabase/migrations/20261202070000_members.sql",
      "app/(dashboard)/settings/members/page.tsx",
      "app/(auth)/invite/[token]/page.tsx",
    ],
    evidence: [
      evidence("tests/integration/projects-pipeline.test.ts", "members create and rename, only admins delete, all audited"),
      evidence("tests/integration/api-keys-lifecycle.test.ts", "members can neither create nor see keys, logs or admin notices"),
      evidence("tests/integration/session-membership.test.ts", "a demoted admin's token stops working at once"),
      evidence("tests/integration/page-pipeline.test.ts", "the API-key page is an admin page: a member gets 404"),
      evidence(MEMBERS, "an admin's invite link adds the invited person once, is stored only as its hash"),
      evidence(MEMBERS, "expired, revoked, tampered and wrong-account links are refused with their reason"),
      evidence("tests/e2e/settings-pages.e2e.ts", "members: an invalid invite keeps the input; an invite link is shown once, the invite listed and revoked; a role changed and back; members only read"),
      evidence("tests/e2e/settings-pages.e2e.ts", "billing without Stripe keys: Free plan, usage bars, the not-configured notice, no purchase; members get 404"),
      evidence(MEMBERS, "another org's invite adds a membership only in that org"),
      evidence(MEMBERS, "concurrent redemptions of a one-use link: exactly one membership"),
      evidence(MEMBERS, "an admin cannot invite an owner, promote to owner, or demote or remove an owner"),
      evidence(MEMBERS, "members cannot invite, change roles or remove anyone, in the app or in the database"),
      evidence(MEMBERS, "the last owner can be neither demoted, removed nor leave"),
      evidence(MEMBERS, "two owners demoting each other at once leave exactly one owner"),
      evidence(MEMBERS, "their session no longer resolves, so pages and actions refuse them"),
      evidence(MEMBERS, "members see their own org's members only; invites only for admins; other orgs' users are a 404"),
      evidence(MEMBERS, "older events change nothing, and a deletion is not undone"),
      evidence(MEMBERS, "fails when the last-owner trigger is disabled or a request role may write memberships directly"),
      evidence(MEMBERS_DASHBOARD, "pages, server actions and the cookie API refuse it"),
      evidence(MEMBERS_DASHBOARD, "renders for a member without management controls or invites"),
      evidence(MEMBERS_CLERK, "an invite creates a Clerk organization invitation"),
      evidence(MEMBERS_CLERK, "role changes and removals are sent to Clerk and applied locally; an older token cannot undo them"),
      evidence(MEMBERS_CLERK, "the escalation rule is checked before anything is sent to Clerk"),
      evidence("tests/integration/webhooks-clerk-sync.test.ts", "Clerk membership role change -> local role and an audit row"),
      evidence("tests/integration/webhooks-clerk-sync.test.ts", "an older membership event after a newer one changes nothing"),
      evidence("tests/integration/webhooks-clerk-sync.test.ts", "membership deleted -> removed, and the Clerk session for that org is refused on the next request"),
      evidence("tests/integration/webhooks-clerk-sync.test.ts", "a last-owner demotion via webhook -> 5xx and failed; retried after a promotion, processed"),
    ],
    limitations: [
      "Two steps of membership work are not in one transaction: the audit entry of an invite redemption is written right after the membership, in the invite's org under the new member's session for it (the redeeming session names another org or none); a failure there is logged, not undone. With Clerk, the database is changed and Clerk's API called in one transaction, so a Clerk refusal rolls the change back, but a commit failing after Clerk accepted leaves Clerk ahead until its webhook arrives.",
      "With Clerk, owners are Clerk's custom role `org:owner`, which the Clerk instance must define; the invite link page is the embedded provider's only (Clerk sends its own emails). Organisations created without any owner (e.g. JIT-provisioned from a member's token) stay ownerless until one is made: the live check warns about them.",
      "API keys belong to the organisation, not to the admin who created them: removing that admin does not revoke them.",
    ],
  },
  {
    id: "TEN-4",
    title: "Cross-tenant attempts are 404s and security events",
    description:
      "An id that belongs to another organisation is answered exactly like an id that does not exist (404, or NOT_FOUND in GraphQL), so existence is never disclosed. Every resource named by id (projects, documents, API keys, sessions), through actions, pages, REST and GraphQL, records the attempt as exactly one `security.cross_tenant_access` event in the caller's own audit chain.",
    status: "implemented",
    implementation: ["lib/audit/security-events.ts", "lib/projects/index.ts", "lib/api/resources.ts", "lib/pages/read.ts", "supabase/migrations/20261201060000_cross_tenant_probes.sql"],
    evidence: [
      evidence("tests/integration/cross-tenant-probes.test.ts", "404, no disclosure, exactly one security event per probe"),
      evidence("tests/integration/cross-tenant-probes.test.ts", "every resource kind is probed by at least one entry point"),
      evidence("tests/integration/cross-tenant-probes.test.ts", "revoking one's own session twice, or one's own key after deleting it, is not a probe"),
      evidence("tests/integration/page-pipeline.test.ts", "another org's project id is a 404 with exactly one security event"),
      evidence(API, "org A's key with org B's ids gets 404, and the probe is a security event"),
      evidence("tests/integration/graphql.test.ts", "org A's key with org B's id gets NOT_FOUND and a security event"),
    ],
  },
  {
    id: "TEN-5",
    title: "RLS coverage verifier",
    description:
      "`scripts/verify-rls-coverage.sql` lists every table of the app schemas that lacks row-level security enabled, forced, or a policy; `npm run verify:rls` exits non-zero when it finds one, a test runs it on every change, and the running app runs it as a live check.",
    status: "implemented",
    implementation: ["scripts/verify-rls-coverage.sql", "scripts/verify-rls-coverage.ts", "lib/controls/checks/database.ts"],
    evidence: [
      evidence(RLS, "returns no rows on the migrated schema, and the script reports OK"),
      evidence(RLS, "lists exactly the tables without RLS, with RLS not forced, and without a policy"),
      evidence(RLS, "covers idp, private and partitions"),
      evidence("tests/integration/controls-checks.test.ts", "rls-coverage fails on a table without row-level security"),
    ],
  },
  {
    id: "TEN-6",
    title: "Project-scoped credentials",
    description:
      "A key limited to one project reads and writes that project and nothing else: the scope travels in the verified claims and the policies enforce it, so another project of the same organisation is invisible to it and any write to it touches no row.",
    status: "implemented",
    implementation: ["supabase/migrations/20261124000500_api_keys.sql", "supabase/migrations/20261124001000_policy_helpers_plpgsql.sql", "lib/api-keys/verify.ts"],
    evidence: [
      evidence(SCOPE, "sees only its project and that project's documents"),
      evidence(SCOPE, "cannot update or delete another project of the same org"),
      evidence(API, "a project-scoped key sees only its project; other projects are 404"),
      // Grants, base permissions and guests (TEN-7) leave keys as they were: an org key sees every project, a scoped key its own.
      evidence(GRANTS_PROPERTY, "every row an actor sees or changes is justified by its role, the base permission or a live grant"),
    ],
    limitations: ["Per-project grants for people are TEN-7; they do not change what a key may do."],
  },
  {
    id: "TEN-7",
    title: "Per-project grants and invite links",
    description:
      "A person's level on a project comes from four inputs only: organisation owners and admins have every project; members get the organisation's base permission (none, read or write; read by default), raised for one project by a live grant (viewer reads, editor also adds and changes documents and videos, manager also manages the project's sharing), and manage the projects they created; guests (people invited to a project who are not members, membership role `guest`) get only their live grants and see nothing at organisation level (member list, API keys, audit log, billing, webhook log, other projects). Grants may expire, and an expired grant stops working at its expiry with no job, because the policy helper compares the expiry with now(). Managers share a project by email with people already in the organisation (members and guests; the lookup never looks outside it, so no account can be probed for), and with anyone through invite links that grant viewer or editor, expire within 30 days, have a maximum number of uses and can be revoked; a link's token is shown once and stored as its SHA-256; redeeming needs a signed-in account (or creating one), adds the grant (a non-member becomes a guest), never duplicates it, and of concurrent redemptions of the last use exactly one succeeds. All of it is enforced by restrictive row-level security policies on projects, documents and videos, through two SECURITY DEFINER helpers evaluated once per statement, and by SECURITY DEFINER functions for every write; the app checks the same levels first and answers 404 for a project the caller cannot read, 403 for one it reads but may not change.",
    status: "implemented",
    issue: 15,
    implementation: [
      "supabase/migrations/20261203000000_project_grants.sql",
      "lib/grants/manage.ts",
      "lib/grants/level.ts",
      "lib/grants/redeem.ts",
      "lib/grants/tokens.ts",
      "lib/grants/check.ts",
      "lib/actions/pipeline.ts",
      "app/(dashboard)/projects/[id]/sharing/page.tsx",
      "app/(auth)/share/[projectId]/[token]/page.tsx",
      "app/(dashboard)/settings/members/page.tsx",
      "docs/access.md",
    ],
    evidence: [
      evidence(GRANTS_PROPERTY, "every row an actor sees or changes is justified by its role, the base permission or a live grant"),
      evidence(LINKS, "redeeming twice neither duplicates the grant nor uses the link again"),
      evidence(LINKS, "used-up, expired, revoked, tampered and another project's tokens are refused"),
      evidence(LINKS, "concurrent redemptions of a one-use link: exactly one grant"),
      evidence(LINKS, "only the project's managers and the org's admins create links"),
      evidence(LINKS, "a guest sees only its granted project, whatever the org's base permission"),
      evidence(LINKS, "every org-level dashboard page is a 404 for a guest"),
      evidence(LINKS, "the partner API does not take a guest's session token"),
      evidence(LINKS, "raw SQL under a guest's claims: its own membership, itself, its own grant, and no org-level rows"),
      evidence(LINKS, "revoking a guest's last grant removes it from the org; removing a member drops its grants"),
      evidence(LINKS, "a grant stops working at its expiry, with no job"),
      evidence(LINKS, "fails when expired grants count, request roles may write grants, or a project-scoped table lacks the grant policies"),
      evidence("tests/integration/security-definer-grants.test.ts", "every one of them, and each grantee, is exactly the expected table"),
    ],
    limitations: [
      "Guests with Clerk: the guest role maps to a Clerk custom role `org:guest`, but redeeming a link does not yet create the Clerk organisation membership, JIT provisioning and Clerk's membership webhooks do not yet accept `org:guest`, and the project link page is the embedded provider's only; with Clerk, share projects with existing members.",
      "Managing a project's sharing is for organisation members: guests can be viewers or editors, and links grant viewer or editor only.",
      "The audit entry of a link redemption is written right after the grant, in the link's org under the person's session for it (as for member invites); a failure there is logged, not undone.",
    ],
  },
  {
    id: "TEN-8",
    title: "Consented, audited support access",
    description:
      "TenantGuard staff have no standing access to any organisation. An owner can open a time-limited support window; inside it, every action carries the staff member as its actor (Clerk's `act` claim shape) and lands in the audit log, and when the window closes the access ends.",
    status: "planned",
    issue: 15,
    implementation: [],
    evidence: [],
  },
]);
