import { afterAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb } from "@/lib/db";
import { resolveSession } from "@/lib/auth/session";
import { hashPassword, listSessions, revokeSession, signInWithPassword, switchOrganization } from "@/lib/auth/embedded/sign-in";
import { createOrg, createUser } from "../helpers/tenants";

afterAll(closeDb);

async function userWithPassword(password: string, memberships: Parameters<typeof createUser>[0]) {
  const userId = await createUser(memberships);
  const db = await ownerDb();
  await db.query("insert into idp.credentials (user_id, password_hash) values ($1, $2)", [userId, await hashPassword(password)]);
  const [row] = await db.query<{ email: string; password_hash: string }>(
    "select u.email, c.password_hash from public.users u join idp.credentials c on c.user_id = u.id where u.id = $1",
    [userId],
  );
  return { userId, email: row!.email, storedHash: row!.password_hash };
}

const from = { ip: "198.51.100.4", userAgent: "vitest" };

describe("embedded identity provider sign-in (IDN-2)", () => {
  it("stores argon2id hashes, never the password", async () => {
    const { storedHash } = await userWithPassword("correct horse battery", []);
    expect(storedHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(storedHash).not.toContain("correct horse battery");
  });

  it("signs in with the right password into the first organisation, and not otherwise", async () => {
    const org = await createOrg("Acme");
    const { userId, email } = await userWithPassword("correct horse battery", [{ orgId: org.id, role: "admin" }]);

    expect(await signInWithPassword({ email, password: "wrong", ...from })).toBeNull();
    expect(await signInWithPassword({ email: `nobody-${email}`, password: "correct horse battery", ...from })).toBeNull();

    const issued = await signInWithPassword({ email: email.toUpperCase(), password: "correct horse battery", ...from });
    expect(issued).not.toBeNull();
    const session = await resolveSession(issued!.token);
    expect(session).toMatchObject({ userId, orgId: org.id, orgRole: "admin", orgSlug: org.slug });
    const [row] = await listSessions(session!);
    expect(row).toMatchObject({ id: session!.sessionId, ip: "198.51.100.4", user_agent: "vitest", revoked_at: null });
  });

  it("switches only to organisations the user belongs to, keeping the session", async () => {
    const a = await createOrg("Acme");
    const b = await createOrg("Globex");
    const stranger = await createOrg("Initech");
    const { email } = await userWithPassword("pw-switch-123", [
      { orgId: a.id, role: "owner" },
      { orgId: b.id, role: "member" },
    ]);
    const session = (await resolveSession((await signInWithPassword({ email, password: "pw-switch-123", ...from }))!.token))!;
    const switched = await switchOrganization(session, session.orgId === a.id ? b.id : a.id);
    const next = await resolveSession(switched!.token);
    expect(next?.sessionId).toBe(session.sessionId);
    expect(next?.orgId).not.toBe(session.orgId);
    expect(await switchOrganization(session, stranger.id)).toBeNull();
  });

  it("a revoked session's token is refused on the next request (IDN-4)", async () => {
    const org = await createOrg("Acme");
    const { email } = await userWithPassword("pw-revoke-123", [{ orgId: org.id, role: "member" }]);
    const { token } = (await signInWithPassword({ email, password: "pw-revoke-123", ...from }))!;
    const session = (await resolveSession(token))!;
    expect(await revokeSession(session, session.sessionId)).toBe(true);
    expect(await resolveSession(token)).toBeNull();
  });

  it("a user cannot revoke someone else's session", async () => {
    const org = await createOrg("Acme");
    const alice = await userWithPassword("pw-alice-123", [{ orgId: org.id, role: "owner" }]);
    const bob = await userWithPassword("pw-bob-1234", [{ orgId: org.id, role: "member" }]);
    const aliceSession = (await resolveSession((await signInWithPassword({ email: alice.email, password: "pw-alice-123", ...from }))!.token))!;
    const bobToken = (await signInWithPassword({ email: bob.email, password: "pw-bob-1234", ...from }))!.token;
    const bobSession = (await resolveSession(bobToken))!;
    expect(await revokeSession(aliceSession, bobSession.sessionId)).toBe(false);
    expect(await resolveSession(bobToken)).not.toBeNull();
    expect((await listSessions(aliceSession)).map((s) => s.id)).toEqual([aliceSession.sessionId]);
  });
});
