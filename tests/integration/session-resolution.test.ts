import { afterAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb, withEmbeddedIdp, withTenant } from "@/lib/db";
import { resolveSession } from "@/lib/auth/session";
import { markVerified, type SessionClaims } from "@/lib/auth/claims";
import { verifySessionToken } from "@/lib/auth/verify";
import { signingKey } from "@/lib/auth/embedded/keys";
import { EMBEDDED_ISSUER, issueSessionToken, newSessionId } from "@/lib/auth/embedded/tokens";
import { env } from "@/lib/env";
import { createOrg, createUser, signIn, uid } from "../helpers/tenants";

afterAll(closeDb);

/** The token itself still verifies in every "null" test below: the null must come from the database check. */
async function tokenVerifies(token: string): Promise<boolean> {
  const { verificationKey } = await signingKey();
  await verifySessionToken(token, { key: verificationKey, issuer: EMBEDDED_ISSUER, authorizedParties: env.authorizedParties });
  return true;
}

async function startSession(userId: string, expiresAt: Date): Promise<string> {
  const sessionId = newSessionId();
  await withEmbeddedIdp((tx) => tx.query("select idp.start_session($1, $2, $3, $4, $5)", [sessionId, userId, expiresAt.toISOString(), null, "vitest"]));
  return sessionId;
}

async function localRows(userId: string, orgId: string) {
  const db = await ownerDb();
  const users = await db.query<{ id: string }>("select id from public.users where id = $1", [userId]);
  const orgs = await db.query<{ id: string; slug: string; name: string }>("select id, slug, name from public.organizations where id = $1", [orgId]);
  const memberships = await db.query<{ role: string }>("select role from public.memberships where org_id = $1 and user_id = $2", [orgId, userId]);
  return { users, orgs, memberships };
}

describe("resolveSession checks the embedded session row and membership on every request (IDN-4)", () => {
  it("returns null for a revoked session, even after the same token resolved successfully before", async () => {
    const org = await createOrg("Acme");
    const userId = await createUser([{ orgId: org.id, role: "member" }]);
    const { token, session } = await signIn(userId, { ...org, role: "member" });
    expect(await resolveSession(token)).toMatchObject({ userId, sessionId: session.sessionId, orgId: org.id });

    const revoked = await withTenant(session.claims, (tx) =>
      tx.query<{ id: string }>("update idp.sessions set revoked_at = now() where id = $1 returning id", [session.sessionId]),
    );
    expect(revoked).toEqual([{ id: session.sessionId }]);

    expect(await tokenVerifies(token)).toBe(true);
    expect(await resolveSession(token)).toBeNull();
  });

  it("returns null for a session whose row has expired although the token has not", async () => {
    const org = await createOrg("Acme");
    const userId = await createUser([{ orgId: org.id, role: "member" }]);
    const activeOrg = { id: org.id, role: "member" as const, slug: org.slug };

    const expiredId = await startSession(userId, new Date(Date.now() - 60_000));
    const expired = await issueSessionToken({ userId, sessionId: expiredId, org: activeOrg });
    expect(await tokenVerifies(expired.token)).toBe(true);
    expect(await resolveSession(expired.token)).toBeNull();

    // Same user, same org, a live row: resolves. Only the row's expiry differs.
    const liveId = await startSession(userId, new Date(Date.now() + 60_000));
    const live = await issueSessionToken({ userId, sessionId: liveId, org: activeOrg });
    expect(await resolveSession(live.token)).toMatchObject({ userId, sessionId: liveId });
  });

  it("returns null for a validly signed token whose session was never started", async () => {
    const userId = await createUser();
    const { token } = await issueSessionToken({ userId, sessionId: newSessionId(), org: null });
    expect(await tokenVerifies(token)).toBe(true);
    expect(await resolveSession(token)).toBeNull();
  });

  it("returns null for a session id that belongs to another user", async () => {
    const victim = await createUser();
    const attacker = await createUser();
    const victimSession = await startSession(victim, new Date(Date.now() + 60_000));
    const { token } = await issueSessionToken({ userId: attacker, sessionId: victimSession, org: null });
    expect(await resolveSession(token)).toBeNull();
  });

  it("a user cannot revoke someone else's session", async () => {
    const org = await createOrg("Acme");
    const alice = await createUser([{ orgId: org.id, role: "owner" }]);
    const bob = await createUser([{ orgId: org.id, role: "member" }]);
    const a = await signIn(alice, { ...org, role: "owner" });
    const b = await signIn(bob, { ...org, role: "member" });

    const touched = await withTenant(b.session.claims, (tx) =>
      tx.query("update idp.sessions set revoked_at = now() where id = $1 returning id", [a.session.sessionId]),
    );
    expect(touched).toEqual([]);
    expect(await resolveSession(a.token)).toMatchObject({ userId: alice });
  });

  it("returns null for a token that fails verification", async () => {
    const org = await createOrg("Acme");
    const userId = await createUser([{ orgId: org.id, role: "member" }]);
    const { token } = await signIn(userId, { ...org, role: "member" });
    const [header, payload, signature] = token.split(".");
    const forged = JSON.parse(Buffer.from(payload!, "base64url").toString()) as Record<string, unknown>;
    forged.o = { id: org.id, rol: "owner", slg: org.slug };
    expect(await resolveSession(`${header}.${Buffer.from(JSON.stringify(forged)).toString("base64url")}.${signature}`)).toBeNull();
    expect(await resolveSession("")).toBeNull();
    expect(await resolveSession(null)).toBeNull();
  });

  it("an embedded token cannot provision a membership: asserting an org the user is not in resolves to null and writes nothing", async () => {
    const org = await createOrg("Initech");
    const userId = await createUser(); // no membership
    const sessionId = await startSession(userId, new Date(Date.now() + 60_000));
    const { token } = await issueSessionToken({ userId, sessionId, org: { id: org.id, role: "admin", slug: org.slug } });
    expect(await tokenVerifies(token)).toBe(true);

    expect(await resolveSession(token)).toBeNull();
    expect((await localRows(userId, org.id)).memberships).toEqual([]);

    // The same session without the org claim is fine: the null above is about the asserted membership.
    const { token: orgless } = await issueSessionToken({ userId, sessionId, org: null });
    expect(await resolveSession(orgless)).toMatchObject({ userId, orgId: null });
  });

  it("an embedded token whose role is stale (membership demoted after sign-in) resolves to null", async () => {
    const org = await createOrg("Initech");
    const userId = await createUser([{ orgId: org.id, role: "admin" }]);
    const { token } = await signIn(userId, { ...org, role: "admin" });
    expect(await resolveSession(token)).toMatchObject({ orgRole: "admin" });

    const db = await ownerDb();
    await db.query("update public.memberships set role = 'member' where org_id = $1 and user_id = $2", [org.id, userId]);
    expect(await tokenVerifies(token)).toBe(true);
    expect(await resolveSession(token)).toBeNull();
  });
});

describe("JIT provisioning from verified claims (IDN-3, TEN-1)", () => {
  const baseClaims = (sub: string): SessionClaims => {
    const now = Math.floor(Date.now() / 1000);
    return { sub, sid: `sess_${uid()}`, iss: "https://clerk.example.com", azp: "http://localhost:3000", iat: now, nbf: now, exp: now + 60 };
  };

  async function provision(claims: SessionClaims): Promise<void> {
    await withTenant(markVerified(claims), (tx) => tx.query("select private.provision_from_claims()"));
  }

  it('Clerk v2 claims for an unknown user and org create the user, the org and an admin membership (rol: "admin")', async () => {
    const userId = `user_${uid()}`;
    const orgId = `org_${uid()}`;
    const slug = `newco-${uid()}`;
    expect(await localRows(userId, orgId)).toEqual({ users: [], orgs: [], memberships: [] });

    await provision({ ...baseClaims(userId), v: 2, o: { id: orgId, rol: "admin", slg: slug } });

    expect(await localRows(userId, orgId)).toEqual({
      users: [{ id: userId }],
      orgs: [{ id: orgId, slug, name: slug }],
      memberships: [{ role: "admin" }],
    });
  });

  it('Clerk v1 claims (org_id, org_role: "org:member") create a member membership', async () => {
    const userId = `user_${uid()}`;
    const orgId = `org_${uid()}`;
    const slug = `legacy-${uid()}`;
    await provision({ ...baseClaims(userId), org_id: orgId, org_role: "org:member", org_slug: slug });
    expect(await localRows(userId, orgId)).toEqual({
      users: [{ id: userId }],
      orgs: [{ id: orgId, slug, name: slug }],
      memberships: [{ role: "member" }],
    });
  });

  it('Clerk v1 "org:admin" becomes admin, and a later token with a lower role demotes the membership', async () => {
    const userId = `user_${uid()}`;
    const orgId = `org_${uid()}`;
    await provision({ ...baseClaims(userId), org_id: orgId, org_role: "org:admin", org_slug: `legacy-${uid()}` });
    expect((await localRows(userId, orgId)).memberships).toEqual([{ role: "admin" }]);

    await provision({ ...baseClaims(userId), v: 2, o: { id: orgId, rol: "member" } });
    expect((await localRows(userId, orgId)).memberships).toEqual([{ role: "member" }]);
  });

  it("an unrecognised role provisions no membership and removes an existing one", async () => {
    const userId = `user_${uid()}`;
    const orgId = `org_${uid()}`;
    const slg = `odd-${uid()}`;
    await provision({ ...baseClaims(userId), v: 2, o: { id: orgId, rol: "org:superuser", slg } });
    expect((await localRows(userId, orgId)).memberships).toEqual([]);
    await provision({ ...baseClaims(userId), v: 2, o: { id: orgId, rol: "admin", slg } });
    expect((await localRows(userId, orgId)).memberships).toEqual([{ role: "admin" }]);
    await provision({ ...baseClaims(userId), v: 2, o: { id: orgId, rol: "org:superuser", slg } });
    expect((await localRows(userId, orgId)).memberships).toEqual([]);
  });

  it("claims without an organisation provision only the user", async () => {
    const userId = `user_${uid()}`;
    await provision(baseClaims(userId));
    const db = await ownerDb();
    expect(await db.query("select id from public.users where id = $1", [userId])).toEqual([{ id: userId }]);
    expect(await db.query("select org_id from public.memberships where user_id = $1", [userId])).toEqual([]);
  });
});
