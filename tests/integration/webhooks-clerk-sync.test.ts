import { afterAll, describe, expect, it, vi } from "vitest";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { importPKCS8, SignJWT } from "jose";

vi.mock("next/headers", () => import("../helpers/next-request"));

// Clerk configured, offline: a local RS256 key stands for the instance's; deliveries signed with Svix's own signer.
const keys = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
await vi.hoisted(async () => {
  const { webhookEnv } = await import("../helpers/webhook-secrets");
  Object.assign(process.env, webhookEnv());
});
process.env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY = `pk_test_${Buffer.from("happy-otter-12.clerk.accounts.dev$").toString("base64")}`;
process.env.CLERK_SECRET_KEY = `sk_test_${randomBytes(16).toString("hex")}`;
process.env.CLERK_JWT_KEY = keys.publicKey;

const { closeDb, ownerDb, withWebhookService } = await import("@/lib/db");
const { env } = await import("@/lib/env");
const { resolveSession } = await import("@/lib/auth/session");
const { POST } = await import("@/app/api/webhooks/clerk/route");
const { createOrg, createUser, uid } = await import("../helpers/tenants");
const { signedRequest, storedEvents } = await import("../helpers/webhooks");
const { checkAuditChain } = await import("@/lib/controls/checks");

afterAll(closeDb);

const privateKey = await importPKCS8(keys.privateKey, "RS256");
async function clerkToken(userId: string, org: { id: string; slug: string } | null, role: string, iat = Math.floor(Date.now() / 1000)) {
  return await new SignJWT({ sid: `sess_${uid()}`, azp: env.authorizedParties[0], v: 2, ...(org ? { o: { id: org.id, rol: role, slg: org.slug } } : {}) })
    .setProtectedHeader({ alg: "RS256", kid: "ins_test" })
    .setSubject(userId)
    .setIssuer("https://happy-otter-12.clerk.accounts.dev")
    .setIssuedAt(iat)
    .setNotBefore(iat - 5)
    .setExpirationTime(iat + 60)
    .sign(privateKey);
}

/** One Clerk delivery through the real route, signed with Svix; answers its status and the svix id. */
async function deliver(type: string, data: Record<string, unknown>, options: { svixId?: string; timestamp?: number } = {}) {
  const svixId = options.svixId ?? `msg_${uid()}`;
  const body = JSON.stringify({ object: "event", type, timestamp: options.timestamp ?? Date.now(), instance_id: "ins_test", data });
  const response = await POST(signedRequest("clerk", body, { svixId }));
  return { status: response.status, svixId };
}

const membership = (org: string, user: string, role: string, updatedAt: number) => ({
  object: "organization_membership",
  id: `orgmem_${uid()}`,
  role,
  permissions: [],
  created_at: updatedAt - 1000,
  updated_at: updatedAt,
  organization: { object: "organization", id: org, name: "Org", slug: "org", created_at: 1, updated_at: 1 },
  public_user_data: { user_id: user, identifier: `${user}@example.test`, first_name: null, last_name: null, image_url: "", has_image: false },
});

async function roleOf(org: string, user: string) {
  const [row] = await (await ownerDb()).query<{ role: string }>("select role from public.memberships where org_id = $1 and user_id = $2", [org, user]);
  return row?.role ?? null;
}
async function auditOf(org: string, user: string) {
  return (await ownerDb()).query<{ action: string; actor_type: string; actor_id: string; changes: Record<string, unknown> }>(
    "select action, actor_type, actor_id, changes from public.audit_logs where org_id = $1 and target_id = $2 order by seq",
    [org, user],
  );
}

describe("Clerk sync (IDN-3) through /api/webhooks/clerk", () => {
  it("Clerk membership role change -> local role and an audit row", async () => {
    const org = await createOrg("Sync");
    await createUser([{ orgId: org.id, role: "owner" }]);
    const user = `user_${uid()}`;
    const t = Date.now();
    expect((await deliver("organizationMembership.created", membership(org.id, user, "org:member", t))).status).toBe(200);
    expect(await roleOf(org.id, user)).toBe("member");
    expect((await deliver("organizationMembership.updated", membership(org.id, user, "org:admin", t + 1000))).status).toBe(200);
    expect(await roleOf(org.id, user)).toBe("admin");
    const audit = await auditOf(org.id, user);
    expect(audit.map((a) => [a.action, a.actor_type, a.actor_id, a.changes.from, a.changes.to])).toEqual([
      ["member.added", "webhook", "clerk", null, "member"],
      ["member.role_changed", "webhook", "clerk", "member", "admin"],
    ]);
    expect((await checkAuditChain({ orgId: org.id })).status).toBe("pass");
  });

  it("an older membership event after a newer one changes nothing", async () => {
    const org = await createOrg("Order");
    await createUser([{ orgId: org.id, role: "owner" }]);
    const user = `user_${uid()}`;
    const t = Date.now();
    await deliver("organizationMembership.created", membership(org.id, user, "org:admin", t + 5000));
    const late = await deliver("organizationMembership.updated", membership(org.id, user, "org:member", t));
    expect(late.status).toBe(200);
    expect(await roleOf(org.id, user)).toBe("admin");
    expect((await storedEvents("clerk", late.svixId))[0]).toMatchObject({ status: "ignored", note: "superseded by a newer event" });
    expect((await auditOf(org.id, user)).map((a) => a.action)).toEqual(["member.added"]);
  });

  it("the same delivery twice has one effect", async () => {
    const org = await createOrg("Twice");
    await createUser([{ orgId: org.id, role: "owner" }]);
    const user = `user_${uid()}`;
    const data = membership(org.id, user, "org:member", Date.now());
    const first = await deliver("organizationMembership.created", data);
    const again = await deliver("organizationMembership.created", data, { svixId: first.svixId });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect((await auditOf(org.id, user)).length).toBe(1);
    expect((await storedEvents("clerk", first.svixId))[0]).toMatchObject({ status: "processed", attempts: 1 });
  });

  it("membership deleted -> removed, and the Clerk session for that org is refused on the next request", async () => {
    const org = await createOrg("Removed");
    await createUser([{ orgId: org.id, role: "owner" }]);
    const user = `user_${uid()}`;
    const t = Date.now() - 10_000;
    await deliver("organizationMembership.created", membership(org.id, user, "org:member", t));
    const token = await clerkToken(user, org, "org:member", Math.floor(t / 1000) + 1);
    expect((await resolveSession(token))?.userId).toBe(user);
    expect((await deliver("organizationMembership.deleted", membership(org.id, user, "org:member", t))).status).toBe(200);
    expect(await roleOf(org.id, user)).toBeNull();
    expect(await resolveSession(token)).toBeNull();
    expect((await auditOf(org.id, user)).map((a) => a.action)).toEqual(["member.added", "member.removed"]);
  });

  it("user deleted -> their session is refused on the next request, and every membership is gone", async () => {
    const a = await createOrg("DelA");
    const b = await createOrg("DelB");
    await createUser([{ orgId: a.id, role: "owner" }]);
    const user = await createUser([{ orgId: a.id, role: "admin" }, { orgId: b.id, role: "owner" }]);
    const tokenA = await clerkToken(user, a, "org:admin");
    const noOrg = await clerkToken(user, null, "");
    expect((await resolveSession(tokenA))?.orgId).toBe(a.id);
    expect((await resolveSession(noOrg))?.userId).toBe(user);
    const del = await deliver("user.deleted", { id: user, object: "user", deleted: true });
    expect(del.status).toBe(200);
    const db = await ownerDb();
    expect(await db.query("select org_id from public.memberships where user_id = $1", [user])).toEqual([]);
    expect(await resolveSession(tokenA)).toBeNull();
    expect(await resolveSession(noOrg)).toBeNull();
    expect(await resolveSession(await clerkToken(user, b, "org:owner"))).toBeNull();
    expect(await db.query("select org_id from public.memberships where user_id = $1", [user])).toEqual([]);
    for (const org of [a, b]) {
      expect((await auditOf(org.id, user)).map((x) => [x.action, x.actor_type, x.actor_id])).toEqual([["member.removed", "webhook", "clerk"]]);
      expect((await checkAuditChain({ orgId: org.id })).status).toBe("pass");
    }
  });

  it("user.updated changes the email; an older user event after it does not", async () => {
    const user = await createUser();
    const t = Date.now();
    const userData = (email: string, at: number) => ({
      id: user,
      object: "user",
      first_name: "Ada",
      last_name: "Lovelace",
      primary_email_address_id: "idn_primary",
      email_addresses: [{ id: "idn_other", email_address: `other-${user}@example.test` }, { id: "idn_primary", email_address: email }],
      updated_at: at,
    });
    expect((await deliver("user.updated", userData(`New-${user}@Example.test`, t))).status).toBe(200);
    expect((await deliver("user.updated", userData(`old-${user}@example.test`, t - 1000))).status).toBe(200);
    const [row] = await (await ownerDb()).query<{ email: string; display_name: string }>("select email, display_name from public.users where id = $1", [user]);
    expect(row).toEqual({ email: `new-${user}@example.test`, display_name: "Ada Lovelace" });
  });

  it("organization.created creates the org whose id is the Clerk org id", async () => {
    const id = `org_${uid()}`;
    const created = await deliver("organization.created", { id, object: "organization", name: "Created at Clerk", slug: `created-${uid()}`, created_at: Date.now(), updated_at: Date.now() });
    expect(created.status).toBe(200);
    const [row] = await (await ownerDb()).query<{ name: string }>("select name from public.organizations where id = $1", [id]);
    expect(row?.name).toBe("Created at Clerk");
  });

  it("a membership event names its org only through our records: an unknown Clerk org is ignored", async () => {
    const user = `user_${uid()}`;
    const ghost = `org_${uid()}`;
    const r = await deliver("organizationMembership.created", membership(ghost, user, "org:owner", Date.now()));
    expect(r.status).toBe(200);
    expect((await storedEvents("clerk", r.svixId))[0]).toMatchObject({ status: "ignored", org_id: null });
    expect(await (await ownerDb()).query("select 1 from public.organizations where id = $1", [ghost])).toEqual([]);
  });

  it("a last-owner demotion via webhook -> 5xx and failed; retried after a promotion, processed", async () => {
    const org = await createOrg("LastOwner");
    const owner = await createUser([{ orgId: org.id, role: "owner" }]);
    const other = await createUser([{ orgId: org.id, role: "member" }]);
    const t = Date.now();
    const demotion = membership(org.id, owner, "org:member", t);
    const first = await deliver("organizationMembership.updated", demotion);
    expect(first.status).toBe(500);
    expect((await storedEvents("clerk", first.svixId))[0]).toMatchObject({ status: "failed", last_error: "LastOwnerRefused" });
    expect(await roleOf(org.id, owner)).toBe("owner");
    expect((await deliver("organizationMembership.updated", membership(org.id, other, "org:owner", t - 1))).status).toBe(200);
    const retry = await deliver("organizationMembership.updated", demotion, { svixId: first.svixId });
    expect(retry.status).toBe(200);
    expect((await storedEvents("clerk", first.svixId))[0]).toMatchObject({ status: "processed", attempts: 2 });
    expect(await roleOf(org.id, owner)).toBe("member");
  });

  it("organization.deleted: nobody is a member, tokens are refused, the audit trail stays", async () => {
    const org = await createOrg("Gone");
    const owner = await createUser([{ orgId: org.id, role: "owner" }]);
    const token = await clerkToken(owner, org, "org:owner");
    expect((await resolveSession(token))?.orgId).toBe(org.id);
    expect((await deliver("organization.deleted", { id: org.id, object: "organization", deleted: true })).status).toBe(200);
    const db = await ownerDb();
    expect(await db.query("select 1 from public.memberships where org_id = $1", [org.id])).toEqual([]);
    expect(await resolveSession(token)).toBeNull();
    expect(await db.query("select 1 from public.memberships where org_id = $1", [org.id])).toEqual([]);
    expect((await db.query<{ action: string }>("select action from public.audit_logs where org_id = $1", [org.id])).map((a) => a.action)).toContain("organization.deleted");
  });

  it("webhook_service reaches no org's members outside an entered org, writes no user or membership directly, and the user-scoped functions need the claimed delivery", async () => {
    const org = await createOrg("Narrow");
    const user = await createUser([{ orgId: org.id, role: "owner" }]);
    const seen = await withWebhookService((tx) => tx.query("select org_id from public.memberships where org_id = $1", [org.id]));
    expect(seen).toEqual([]);
    for (const statement of [
      ["update public.users set email = null where id = $1", [user]],
      ["delete from public.memberships where user_id = $1", [user]],
      ["insert into public.organizations (id, name, slug) values ($1, 'x', $2)", [`org_${uid()}`, `x-${uid()}`]],
    ] as const) {
      await expect(withWebhookService((tx) => tx.query(statement[0], [...statement[1]]))).rejects.toMatchObject({ code: "42501" });
    }
    await expect(withWebhookService((tx) => tx.query("select * from private.webhook_clerk_user_delete(gen_random_uuid(), $1, 1)", [user]))).rejects.toMatchObject({ code: "55000" });
    await expect(withWebhookService((tx) => tx.query("select private.webhook_clerk_org_create(gen_random_uuid(), $1, 'x', null)", [`org_${uid()}`]))).rejects.toMatchObject({ code: "55000" });
    expect(await roleOf(org.id, user)).toBe("owner");
  });
});
