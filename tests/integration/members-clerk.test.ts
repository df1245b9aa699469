import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { importPKCS8, SignJWT } from "jose";

vi.mock("next/headers", () => import("../helpers/next-request"));

// --- The Clerk Backend API stand-in: records every request; answers as `behaviour` says. ---
interface Recorded {
  method: string;
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown> | null;
}
let behaviour: "ok" | 422 | 500 = "ok";
const recorded: Recorded[] = [];
const standIn = createServer((req: IncomingMessage, res: ServerResponse) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const raw = Buffer.concat(chunks).toString("utf8");
    recorded.push({ method: req.method ?? "", path: req.url ?? "", authorization: req.headers.authorization, body: raw ? (JSON.parse(raw) as Record<string, unknown>) : null });
    res.setHeader("content-type", "application/json");
    if (behaviour !== "ok") {
      res.statusCode = behaviour;
      res.end(JSON.stringify({ errors: [{ code: behaviour === 422 ? "form_param_invalid" : "internal_error", message: "refused", long_message: "refused by the stand-in" }] }));
      return;
    }
    const invite = /^\/v1\/organizations\/([^/]+)\/invitations(?:\/([^/]+)\/revoke)?$/.exec(req.url ?? "");
    if (invite) {
      res.end(JSON.stringify({ object: "organization_invitation", id: invite[2] ?? `orginv_${randomBytes(8).toString("hex")}`, email_address: "x@example.test", role: "org:member", organization_id: invite[1], status: invite[2] ? "revoked" : "pending", created_at: Date.now(), updated_at: Date.now(), public_metadata: {}, private_metadata: {} }));
      return;
    }
    const membership = /^\/v1\/organizations\/([^/]+)\/memberships\/([^/]+)$/.exec(req.url ?? "");
    if (membership) {
      res.end(JSON.stringify({ object: "organization_membership", id: `orgmem_${randomBytes(6).toString("hex")}`, role: "org:admin", permissions: [], created_at: Date.now(), updated_at: Date.now(), organization: { object: "organization", id: membership[1], name: "x", slug: "x", created_at: Date.now(), updated_at: Date.now(), public_metadata: {}, private_metadata: {} }, public_user_data: { user_id: membership[2], identifier: "x@example.test" }, public_metadata: {}, private_metadata: {} }));
      return;
    }
    res.statusCode = 404;
    res.end(JSON.stringify({ errors: [{ code: "resource_not_found", message: "not found" }] }));
  });
});
await new Promise<void>((resolve) => standIn.listen(0, "127.0.0.1", resolve));
const port = (standIn.address() as AddressInfo).port;

// --- Clerk configured, offline: a local RS256 key stands for the instance's, the stand-in for its API. ---
const keys = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
const SECRET = `sk_test_${randomBytes(16).toString("hex")}`;
process.env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY = `pk_test_${Buffer.from("happy-otter-12.clerk.accounts.dev$").toString("base64")}`;
process.env.CLERK_SECRET_KEY = SECRET;
process.env.CLERK_JWT_KEY = keys.publicKey;
process.env.CLERK_API_URL = `http://127.0.0.1:${port}`;

const { closeDb, ownerDb } = await import("@/lib/db");
const { env } = await import("@/lib/env");
const { resolveSession } = await import("@/lib/auth/session");
const { changeMemberRole, inviteMember, leaveOrganization, removeMember, revokeInvite } = await import("@/lib/members");
const { createOrg, createUser, request, uid } = await import("../helpers/tenants");

afterAll(async () => {
  standIn.close();
  await closeDb();
});
beforeEach(() => {
  behaviour = "ok";
  recorded.length = 0;
});

const privateKey = await importPKCS8(keys.privateKey, "RS256");
async function clerkToken(userId: string, org: { id: string; slug: string }, role: string, iat = Math.floor(Date.now() / 1000)) {
  return  await new SignJWT({ sid: `sess_${uid()}`, azp: env.authorizedParties[0], v: 2, o: { id: org.id, rol: role, slg: org.slug } })
    .setProtectedHeader({ alg: "RS256", kid: "ins_test" })
    .setSubject(userId)
    .setIssuer("https://happy-otter-12.clerk.accounts.dev")
    .setIssuedAt(iat)
    .setNotBefore(iat - 5)
    .setExpirationTime(iat + 60)
    .sign(privateKey);
}
async function clerkSession(userId: string, org: { id: string; slug: string }, role: string, iat?: number) {
  const token = await clerkToken(userId, org, role, iat);
  return { token, session: (await resolveSession(token))! };
}

async function roleOf(orgId: string, userId: string) {
  const [row] = await (await ownerDb()).query<{ role: string }>("select role from public.memberships where org_id = $1 and user_id = $2", [orgId, userId]);
  return row?.role ?? null;
}

describe("TEN-3 with Clerk: member operations go through Clerk's Backend API", () => {
  it("the provider is Clerk, and a Clerk session resolves (JIT-provisioned)", async () => {
    expect(env.identityProvider).toBe("clerk");
    const org = await createOrg("Clerk");
    const owner = await createUser([{ orgId: org.id, role: "owner" }]);
    expect((await clerkSession(owner, org, "owner")).session).toMatchObject({ userId: owner, orgId: org.id, orgRole: "owner" });
  });

  it("an invite creates a Clerk organization invitation (no link of ours) and revoking it revokes it at Clerk", async () => {
    const org = await createOrg("Clerk");
    const admin = await createUser([{ orgId: org.id, role: "owner" }, ]);
    const { session } = await clerkSession(admin, org, "owner");
    const created = await inviteMember(session, { email: "New.Person@Example.test", role: "admin" }, request());
    if (!created.ok) throw new Error(created.message);
    expect(created.data.link).toBeNull();
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ method: "POST", path: `/v1/organizations/${org.id}/invitations`, authorization: `Bearer ${SECRET}` });
    expect(recorded[0]!.body).toMatchObject({ email_address: "new.person@example.test", role: "org:admin", inviter_user_id: admin, expires_in_days: 7 });
    const [row] = await (await ownerDb()).query<{ clerk_invitation_id: string; token_hash: Buffer | null }>("select clerk_invitation_id, token_hash from public.org_invites where id = $1", [created.data.id]);
    expect(row!.clerk_invitation_id).toMatch(/^orginv_/);
    expect(row!.token_hash).toBeNull();

    expect((await revokeInvite(session, { id: created.data.id }, request())).ok).toBe(true);
    expect(recorded[1]).toMatchObject({ method: "POST", path: `/v1/organizations/${org.id}/invitations/${row!.clerk_invitation_id}/revoke` });
    expect(recorded[1]!.body).toMatchObject({ requesting_user_id: admin });
  });

  it("role changes and removals are sent to Clerk and applied locally; an older token cannot undo them", async () => {
    const org = await createOrg("Clerk");
    const owner = await createUser([{ orgId: org.id, role: "owner" }]);
    const member = await createUser([{ orgId: org.id, role: "member" }]);
    const { session } = await clerkSession(owner, org, "owner");
    const before = Math.floor(Date.now() / 1000) - 20;
    const old = await clerkSession(member, org, "org:member", before);
    expect(old.session).toMatchObject({ orgRole: "member" });
    // Signed before the changes below, first presented after them (so its JIT provisioning runs then).
    const unseen = await clerkToken(member, org, "org:member", before);

    expect((await changeMemberRole(session, { userId: member, role: "admin" }, request())).ok).toBe(true);
    expect(recorded[0]).toMatchObject({ method: "PATCH", path: `/v1/organizations/${org.id}/memberships/${member}`, body: { role: "org:admin" } });
    expect(await roleOf(org.id, member)).toBe("admin");
    // The member's token from before the change names the old role: refused, and it does not restore that role.
    expect(await resolveSession(old.token)).toBeNull();
    expect(await roleOf(org.id, member)).toBe("admin");
    expect(await resolveSession(await clerkToken(member, org, "org:member", before + 1))).toBeNull();
    expect(await roleOf(org.id, member)).toBe("admin");

    expect((await removeMember(session, { userId: member }, request())).ok).toBe(true);
    expect(recorded[1]).toMatchObject({ method: "DELETE", path: `/v1/organizations/${org.id}/memberships/${member}` });
    expect(await roleOf(org.id, member)).toBeNull();
    expect(await resolveSession(old.token)).toBeNull();
    expect(await resolveSession(unseen)).toBeNull();
    expect(await roleOf(org.id, member)).toBeNull();
  });

  it("leaving goes through Clerk too", async () => {
    const org = await createOrg("Clerk");
    await createUser([{ orgId: org.id, role: "owner" }]);
    const member = await createUser([{ orgId: org.id, role: "member" }]);
    const { session } = await clerkSession(member, org, "member");
    expect((await leaveOrganization(session, {}, request())).ok).toBe(true);
    expect(recorded[0]).toMatchObject({ method: "DELETE", path: `/v1/organizations/${org.id}/memberships/${member}` });
    expect(await roleOf(org.id, member)).toBeNull();
  });

  it("Clerk refusing or failing is a clear message and changes nothing locally", async () => {
    const org = await createOrg("Clerk");
    const owner = await createUser([{ orgId: org.id, role: "owner" }]);
    const member = await createUser([{ orgId: org.id, role: "member" }]);
    const { session } = await clerkSession(owner, org, "owner");
    behaviour = 422;
    expect(await changeMemberRole(session, { userId: member, role: "admin" }, request())).toMatchObject({ ok: false, status: 422, message: expect.stringMatching(/Clerk refused/) });
    expect(await roleOf(org.id, member)).toBe("member");
    behaviour = 500;
    expect(await removeMember(session, { userId: member }, request())).toMatchObject({ ok: false, status: 503, message: expect.stringMatching(/Clerk could not be reached/) });
    expect(await roleOf(org.id, member)).toBe("member");
    const invited = await inviteMember(session, { email: "someone@example.test", role: "member" }, request());
    expect(invited).toMatchObject({ ok: false, status: 503 });
    expect(await (await ownerDb()).query("select 1 from public.org_invites where org_id = $1", [org.id])).toHaveLength(0);
  });

  it("the escalation rule is checked before anything is sent to Clerk", async () => {
    const org = await createOrg("Clerk");
    await createUser([{ orgId: org.id, role: "owner" }]);
    const admin = await createUser([{ orgId: org.id, role: "admin" }]);
    const member = await createUser([{ orgId: org.id, role: "member" }]);
    const { session } = await clerkSession(admin, org, "org:admin");
    expect(await inviteMember(session, { email: "boss@example.test", role: "owner" }, request())).toMatchObject({ ok: false, status: 403 });
    expect(await changeMemberRole(session, { userId: member, role: "owner" }, request())).toMatchObject({ ok: false, status: 403 });
    expect(recorded).toHaveLength(0);
  });
});
