import { randomBytes } from "node:crypto";
import { ownerDb, withEmbeddedIdp } from "@/lib/db";
import { issueSessionToken, newSessionId, type SessionFactors } from "@/lib/auth/embedded/tokens";
import { resolveSession } from "@/lib/auth/session";
import type { OrgRole, Session } from "@/lib/auth/claims";
import type { RequestContext } from "@/lib/http/request-context";

export const uid = () => randomBytes(9).toString("hex");

export const request = (over: Partial<RequestContext> = {}): RequestContext => ({
  ip: "203.0.113.7",
  userAgent: "vitest",
  requestId: `req-${uid()}`,
  ...over,
});

/** Creates an organisation as the owner (what seeding or Clerk webhooks do), with a unique id per test. */
export async function createOrg(name = "Org"): Promise<{ id: string; slug: string }> {
  const suffix = uid();
  const org = { id: `org_${suffix}`, slug: `${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${suffix}` };
  const db = await ownerDb();
  await db.query("insert into public.organizations (id, name, slug) values ($1, $2, $3)", [org.id, name, org.slug]);
  return org;
}

export async function createUser(memberships: { orgId: string; role: OrgRole }[] = []): Promise<string> {
  const id = `user_${uid()}`;
  const db = await ownerDb();
  await db.query("insert into public.users (id, email) values ($1, $2)", [id, `${id}@example.test`]);
  for (const m of memberships) {
    await db.query("insert into public.memberships (org_id, user_id, role) values ($1, $2, $3)", [m.orgId, id, m.role]);
  }
  return id;
}

/** A real embedded-IdP session: a started session row, a signed token, and the verifier's Session. */
export async function signIn(
  userId: string,
  org: { id: string; slug: string; role: OrgRole } | null,
  options: { factors?: SessionFactors } = {},
): Promise<{ token: string; session: Session }> {
  const sessionId = newSessionId();
  await withEmbeddedIdp((tx) =>
    tx.query("select idp.start_session($1, $2, $3, $4, $5)", [sessionId, userId, new Date(Date.now() + 3_600_000).toISOString(), null, "vitest"]),
  );
  const { token } = await issueSessionToken({ userId, sessionId, org: org && { id: org.id, role: org.role, slug: org.slug }, factors: options.factors });
  const session = await resolveSession(token);
  if (!session) throw new Error("test sign-in failed");
  return { token, session };
}

/** An org with one user of each role, signed in. */
export async function orgWithMembers(name: string) {
  const org = await createOrg(name);
  const out = {} as Record<OrgRole, Session>;
  for (const role of ["owner", "admin", "member"] as const) {
    const userId = await createUser([{ orgId: org.id, role }]);
    out[role] = (await signIn(userId, { ...org, role })).session;
  }
  return { org, ...out };
}

/** BIL-1: puts an org on a paid plan (what a verified Stripe subscription event does), for tests that create more than the Free plan allows. */
export async function putOnPlan(orgId: string, plan: "pro" | "business") {
  await (await ownerDb()).query("insert into public.subscriptions (org_id, plan, status, state_at) values ($1, $2, 'active', now())", [orgId, plan]);
}
