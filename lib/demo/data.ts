/** Demo data for embedded mode: two organisations, each with an owner, and users with different roles in each. */
export const DEMO_PASSWORD = "demo-password-2026";

export const DEMO_ORGS = [
  { id: "org_acme", name: "Acme Corp", slug: "acme" },
  { id: "org_globex", name: "Globex", slug: "globex" },
] as const;

export const DEMO_USERS = [
  { id: "user_alice", email: "alice@acme.test", name: "Alice Owner", memberships: [{ orgId: "org_acme", role: "owner" }, { orgId: "org_globex", role: "member" }] },
  { id: "user_bob", email: "bob@acme.test", name: "Bob Member", memberships: [{ orgId: "org_acme", role: "member" }] },
  { id: "user_carol", email: "carol@globex.test", name: "Carol Admin", memberships: [{ orgId: "org_globex", role: "admin" }] },
  { id: "user_dave", email: "dave@globex.test", name: "Dave Owner", memberships: [{ orgId: "org_globex", role: "owner" }] },
  // TEN-8: a platform operator, member of no org; she enters one only with an owner's consent (/settings/support-access).
  { id: "user_dana", email: "dana@support.test", name: "Dana Support", memberships: [] },
  // TEN-7: not a member of Acme; sees only the project shared with them.
  { id: "user_erin", email: "erin@partner.test", name: "Erin Guest", memberships: [{ orgId: "org_acme", role: "guest" }] },
] as const;

/** The demo's platform operators (what `npm run operators -- add` does). */
export const DEMO_OPERATORS = ["user_dana"] as const;
/**
 * IDN-2: a demo user with TOTP enrolled (and the same password). The secret is public demo data, printed by
 * `npm run dev` like the password: add it to an authenticator app, or compute codes with any TOTP tool.
 */
export const DEMO_TOTP_USER = {
  id: "user_frank",
  email: "frank@acme.test",
  name: "Frank Admin (TOTP)",
  memberships: [{ orgId: "org_acme", role: "admin" }],
  totpSecret: "KRSXG5CUMVXGC3TUI5UWC4TEKRXXI4BS",
} as const;

export const DEMO_PROJECTS = [
  { orgId: "org_acme", name: "Website relaunch", createdBy: "user_alice" },
  { orgId: "org_acme", name: "Q4 security review", createdBy: "user_bob" },
  { orgId: "org_globex", name: "Partner onboarding", createdBy: "user_carol" },
] as const;

/** Project grants (TEN-7), by project name within the grantee's org. */
export const DEMO_GRANTS = [{ userId: "user_erin", orgId: "org_acme", project: "Website relaunch", role: "editor" }] as const;
