import { afterAll, describe, expect, it, vi } from "vitest";
import { createHash } from "node:crypto";

vi.mock("next/headers", () => import("../helpers/next-request"));

const { closeDb, ownerDb, withTenant, withAnonymous } = await import("@/lib/db");
const { resolveSession } = await import("@/lib/auth/session");
const { changeMemberRole, inviteMember, leaveOrganization, listMembers, previewInvite, redeemInvite, removeMember, revokeInvite, createInvitedAccount, applyClerkMembership } = await import("@/lib/members");
const { createProject } = await import("@/lib/projects");
const { default: MembersPage } = await import("@/app/(dashboard)/settings/members/page");
const { createOrg, createUser, orgWithMembers, request, signIn } = await import("../helpers/tenants");
const { inRolledBackOwnerTransaction } = await import("../helpers/owner-scratch");

afterAll(closeDb);

type Sess = NonNullable<Awaited<ReturnType<typeof resolveSession>>>;
const tokenOf = (link: string | null) => link!.split("/invite/")[1]!;

async function invite(admin: Sess, email: string, role: "owner" | "admin" | "member" = "member") {
  const created = await inviteMember(admin, { email, role }, request());
  if (!created.ok) throw new Error(`invite failed: ${created.message}`);
  return { ...created.data, token: tokenOf(created.data.link) };
}

async function invitee(email: string) {
  const db = await ownerDb();
  const id = `user_${Math.random().toString(36).slice(2, 12)}`;
  await db.query("insert into public.users (id, email) values ($1, $2)", [id, email]);
  return (await signIn(id, null)).session;
}

async function roleOf(orgId: string, userId: string) {
  const [row] = await (await ownerDb()).query<{ role: string }>("select role from public.memberships where org_id = $1 and user_id = $2", [orgId, userId]);
  return row?.role ?? null;
}

async function auditActions(orgId: string) {
  const rows = await (await ownerDb()).query<{ action: string }>("select action from public.audit_logs where org_id = $1 order by seq", [orgId]);
  return rows.map((r) => r.action);
}

const email = () => `p${Math.random().toString(36).slice(2, 10)}@example.test`;

describe("TEN-3 invite links (embedded provider)", () => {
  it("an admin's invite link adds the invited person once, is stored only as its hash, and is audited", async () => {
    const { org, admin } = await orgWithMembers("Acme");
    const address = email();
    const created = await invite(admin, address, "member");
    expect(created.token).toMatch(/^tgi_[A-Za-z0-9_-]{43}$/);
    const [stored] = await (await ownerDb()).query<{ token_hash: Buffer }>("select token_hash from public.org_invites where id = $1", [created.id]);
    // Only the SHA-256 of the token is stored: no part of the token itself.
    const storedHash = Buffer.from(stored!.token_hash);
    expect(storedHash.equals(createHash("sha256").update(created.token).digest())).toBe(true);
    const tokenBytes = Buffer.from(created.token);
    for (let i = 0; i + 8 <= tokenBytes.length; i++) expect(storedHash.includes(tokenBytes.subarray(i, i + 8))).toBe(false);

    expect(await previewInvite(created.token)).toMatchObject({ status: "valid", role: "member", email: address, accountExists: false });
    const user = await invitee(address);
    expect(await redeemInvite(user, created.token)).toMatchObject({ outcome: "joined", orgId: org.id, role: "member" });
    expect(await roleOf(org.id, user.userId)).toBe("member");
    // Used up: a second redemption is refused and adds nothing.
    expect((await redeemInvite(user, created.token)).outcome).toBe("used");
    expect(await previewInvite(created.token)).toMatchObject({ status: "used" });
    expect(await auditActions(org.id)).toContain("member.invite_created");
  });

  it("expired, revoked, tampered and wrong-account links are refused with their reason, and add no membership", async () => {
    const { org, admin } = await orgWithMembers("Acme");
    const address = email();
    const user = await invitee(address);

    const expired = await invite(admin, address);
    await (await ownerDb()).query("update public.org_invites set created_at = now() - interval '9 days', expires_at = now() - interval '1 day' where id = $1", [expired.id]);
    expect((await redeemInvite(user, expired.token)).outcome).toBe("expired");
    expect((await previewInvite(expired.token)).status).toBe("expired");

    const revoked = await invite(admin, address);
    expect((await revokeInvite(admin, { id: revoked.id }, request())).ok).toBe(true);
    expect((await redeemInvite(user, revoked.token)).outcome).toBe("revoked");
    expect((await previewInvite(revoked.token)).status).toBe("revoked");

    const live = await invite(admin, address);
    const last = live.token.at(-1) === "A" ? "B" : "A";
    const tampered = `${live.token.slice(0, -1)}${last}`;
    expect((await redeemInvite(user, tampered)).outcome).toBe("invalid");
    expect((await previewInvite(tampered)).status).toBe("invalid");
    expect((await redeemInvite(user, "not-a-token")).outcome).toBe("invalid");

    const stranger = await invitee(email());
    expect((await redeemInvite(stranger, live.token)).outcome).toBe("wrong_account");
    expect(await roleOf(org.id, user.userId)).toBeNull();
    expect(await roleOf(org.id, stranger.userId)).toBeNull();
    expect(await auditActions(org.id)).toContain("member.invite_revoked");
  });

  it("another org's invite adds a membership only in that org, never in the redeemer's active org; its admins cannot revoke it", async () => {
    const a = await orgWithMembers("A");
    const b = await orgWithMembers("B");
    const address = email();
    const created = await invite(a.admin, address, "admin");
    // A member of B, signed in to B, redeems A's link.
    const user = await invitee(address);
    await (await ownerDb()).query("insert into public.memberships (org_id, user_id, role) values ($1, $2, 'member')", [b.org.id, user.userId]);
    const inB = (await signIn(user.userId, { ...b.org, role: "member" })).session;
    expect(await revokeInvite(b.owner, { id: created.id }, request())).toMatchObject({ ok: false, status: 404 });
    expect(await redeemInvite(inB, created.token)).toMatchObject({ outcome: "joined", orgId: a.org.id });
    expect(await roleOf(a.org.id, user.userId)).toBe("admin");
    expect(await roleOf(b.org.id, user.userId)).toBe("member");
  });

  // On PGlite transactions run one at a time, so this proves the outcome; on PostgreSQL they truly race.
  it("concurrent redemptions of a one-use link: exactly one membership, the others refused", async () => {
    const { org, admin } = await orgWithMembers("Acme");
    const address = email();
    const created = await invite(admin, address);
    const user = await invitee(address);
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => redeemInvite(user, created.token).then((r) => r.outcome)));
    expect(outcomes.filter((o) => o === "joined")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "used")).toHaveLength(5);
    const rows = await (await ownerDb()).query("select 1 from public.memberships where org_id = $1 and user_id = $2", [org.id, user.userId]);
    expect(rows).toHaveLength(1);
  });

  it("an invited person without an account creates one with the invited email only, once", async () => {
    const { org, admin } = await orgWithMembers("Acme");
    const address = email();
    const created = await invite(admin, address);
    const userId = await createInvitedAccount(created.token, { displayName: "New Person", password: "correct horse battery" });
    expect(userId).toMatch(/^user_/);
    const [user] = await (await ownerDb()).query<{ email: string }>("select email from public.users where id = $1", [userId]);
    expect(user!.email).toBe(address);
    expect(await createInvitedAccount(created.token, { displayName: "", password: "another password 123" })).toBeNull();
    const session = (await signIn(userId!, null)).session;
    expect((await redeemInvite(session, created.token)).outcome).toBe("joined");
    expect(await roleOf(org.id, userId!)).toBe("member");
    expect(await createInvitedAccount(created.token, { displayName: "", password: "another password 123" })).toBeNull();
  });
});

describe("TEN-3 escalation: nobody grants a role above their own", () => {
  it("an admin cannot invite an owner, promote to owner, or demote or remove an owner; the database refuses it too", async () => {
    const { org, owner, admin, member } = await orgWithMembers("Acme");
    expect(await inviteMember(admin, { email: email(), role: "owner" }, request())).toMatchObject({ ok: false, status: 403 });
    expect(await changeMemberRole(admin, { userId: member.userId, role: "owner" }, request())).toMatchObject({ ok: false, status: 403 });
    expect(await changeMemberRole(admin, { userId: owner.userId, role: "member" }, request())).toMatchObject({ ok: false, status: 403 });
    expect(await removeMember(admin, { userId: owner.userId }, request())).toMatchObject({ ok: false, status: 403 });
    expect(await roleOf(org.id, member.userId)).toBe("member");
    expect(await roleOf(org.id, owner.userId)).toBe("owner");
    // Straight at the database under the admin's claims: the function refuses, whatever the app checked.
    await expect(
      withTenant(admin.claims, (tx) => tx.query("select private.create_org_invite($1, 'owner', $2, null, now() + interval '1 day')", [email(), Buffer.alloc(32, 7)])),
    ).rejects.toThrow(/above their own/);
    await expect(withTenant(admin.claims, (tx) => tx.query("select * from private.change_member_role($1, 'owner')", [member.userId]))).rejects.toThrow(/above their own/);
  });

  it("members cannot invite, change roles or remove anyone, in the app or in the database", async () => {
    const { org, admin, member } = await orgWithMembers("Acme");
    expect(await inviteMember(member, { email: email(), role: "member" }, request())).toMatchObject({ ok: false, status: 403 });
    expect(await removeMember(member, { userId: admin.userId }, request())).toMatchObject({ ok: false, status: 403 });
    await expect(withTenant(member.claims, (tx) => tx.query("select * from private.change_member_role($1, 'member')", [admin.userId]))).rejects.toThrow(/only owners and admins/);
    await expect(withTenant(member.claims, (tx) => tx.query("update public.memberships set role = 'owner' where user_id = $1", [member.userId]))).rejects.toThrow(/permission denied/);
    await expect(withTenant(member.claims, (tx) => tx.query("insert into public.memberships (org_id, user_id, role) values ($1, $2, 'owner')", [org.id, member.userId]))).rejects.toThrow(/permission denied/);
    expect(await roleOf(org.id, admin.userId)).toBe("admin");
  });

  it("owners promote, demote and remove; an admin manages members and admins", async () => {
    const { org, owner, admin, member } = await orgWithMembers("Acme");
    expect(await changeMemberRole(owner, { userId: member.userId, role: "owner" }, request())).toMatchObject({ ok: true });
    expect(await roleOf(org.id, member.userId)).toBe("owner");
    const other = await createUser([{ orgId: org.id, role: "member" }]);
    expect(await changeMemberRole(admin, { userId: other, role: "admin" }, request())).toMatchObject({ ok: true });
    expect(await removeMember(admin, { userId: other }, request())).toMatchObject({ ok: true });
    expect(await roleOf(org.id, other)).toBeNull();
    const actions = await auditActions(org.id);
    expect(actions).toEqual(expect.arrayContaining(["member.role_changed", "member.removed"]));
  });
});

describe("TEN-3 the last owner stays", () => {
  it("the last owner can be neither demoted, removed nor leave; with two owners one may go", async () => {
    const { org, owner } = await orgWithMembers("Acme");
    expect(await changeMemberRole(owner, { userId: owner.userId, role: "admin" }, request())).toMatchObject({ ok: false, status: 409 });
    expect(await leaveOrganization(owner, {}, request())).toMatchObject({ ok: false, status: 409 });
    await expect((await ownerDb()).query("delete from public.memberships where org_id = $1 and user_id = $2", [org.id, owner.userId])).rejects.toThrow(/at least one owner/);
    expect(await roleOf(org.id, owner.userId)).toBe("owner");

    const second = await createUser([{ orgId: org.id, role: "owner" }]);
    expect(await leaveOrganization(owner, {}, request())).toMatchObject({ ok: true });
    expect(await roleOf(org.id, owner.userId)).toBeNull();
    expect(await roleOf(org.id, second)).toBe("owner");
    expect(await auditActions(org.id)).toContain("member.left");
  });

  // On PostgreSQL the two transactions truly race (the per-org lock decides); on PGlite they run one after the other.
  it("two owners demoting each other at once leave exactly one owner", async () => {
    for (let round = 0; round < 5; round++) {
      const org = await createOrg("Race");
      const a = await createUser([{ orgId: org.id, role: "owner" }]);
      const b = await createUser([{ orgId: org.id, role: "owner" }]);
      const sa = (await signIn(a, { ...org, role: "owner" })).session;
      const sb = (await signIn(b, { ...org, role: "owner" })).session;
      const results = await Promise.all([
        changeMemberRole(sa, { userId: b, role: "admin" }, request()),
        changeMemberRole(sb, { userId: a, role: "admin" }, request()),
      ]);
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const owners = await (await ownerDb()).query("select 1 from public.memberships where org_id = $1 and role = 'owner'", [org.id]);
      expect(owners).toHaveLength(1);
    }
  });

  it("deleting the organisation itself, or the last owner's account, still removes the memberships", async () => {
    const { org } = await orgWithMembers("Gone");
    await (await ownerDb()).query("delete from public.organizations where id = $1", [org.id]);
    expect(await (await ownerDb()).query("select 1 from public.memberships where org_id = $1", [org.id])).toHaveLength(0);
    const other = await orgWithMembers("Stays");
    await (await ownerDb()).query("delete from public.users where id = $1", [other.owner.userId]);
    expect(await roleOf(other.org.id, other.owner.userId)).toBeNull();
    expect(await roleOf(other.org.id, other.admin.userId)).toBe("admin");
  });
});

describe("TEN-3 a removed member loses access on the next request", () => {
  it("their session no longer resolves, so pages and actions refuse them", async () => {
    const { org, admin } = await orgWithMembers("Acme");
    const userId = await createUser([{ orgId: org.id, role: "member" }]);
    const { token, session } = await signIn(userId, { ...org, role: "member" });
    expect((await MembersPage.readFor(session, undefined, request())).kind).toBe("ok");
    expect(await removeMember(admin, { userId }, request())).toMatchObject({ ok: true });
    const next = await resolveSession(token);
    expect(next).toBeNull();
    expect((await MembersPage.readFor(next, undefined, request())).kind).toBe("sign_in");
    expect(await createProject(next, { name: "After removal" }, request())).toMatchObject({ ok: false, status: 401 });
  });
});

describe("TEN-3 members page and cross-org isolation", () => {
  it("members see their own org's members only; invites only for admins; other orgs' users are a 404", async () => {
    const a = await orgWithMembers("A");
    const b = await orgWithMembers("B");
    const pending = await invite(a.admin, email());
    const asAdmin = await MembersPage.readFor(a.admin, undefined, request());
    if (asAdmin.kind !== "ok") throw new Error(asAdmin.kind);
    expect(asAdmin.data.manage).toBe(true);
    expect(asAdmin.data.members.map((m) => m.user_id).sort()).toEqual([a.owner.userId, a.admin.userId, a.member.userId].sort());
    expect(asAdmin.data.invites.map((i) => i.id)).toEqual([pending.id]);

    const asMember = await MembersPage.readFor(a.member, undefined, request());
    if (asMember.kind !== "ok") throw new Error(asMember.kind);
    expect(asMember.data.manage).toBe(false);
    expect(asMember.data.invites).toEqual([]);
    expect(asMember.data.members).toHaveLength(3);
    // RLS: even asked directly, a member reads no invite, and nobody reads another org's members.
    expect(await withTenant(a.member.claims, (tx) => tx.query("select id from public.org_invites"))).toEqual([]);
    const fromB = await withTenant(b.admin.claims, (tx) => listMembers(tx));
    expect(fromB.map((m) => m.user_id)).not.toContain(a.member.userId);

    expect(await changeMemberRole(b.owner, { userId: a.member.userId, role: "admin" }, request())).toMatchObject({ ok: false, status: 404 });
    expect(await removeMember(b.owner, { userId: a.member.userId }, request())).toMatchObject({ ok: false, status: 404 });
    expect(await roleOf(a.org.id, a.member.userId)).toBe("member");
  });
});

describe("IDN-3 / TEN-3 applyClerkMembership", () => {
  async function apply(change: Parameters<typeof applyClerkMembership>[1]) {
    return withAnonymous((tx) => applyClerkMembership(tx, change));
  }

  it("creates, re-roles and deletes the local membership; older events change nothing, and a deletion is not undone", async () => {
    const org = await createOrg("Clerk");
    await createUser([{ orgId: org.id, role: "owner" }]);
    const user = `user_${Math.random().toString(36).slice(2, 12)}`;
    const t = (s: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, s));
    expect(await apply({ clerkOrgId: org.id, clerkUserId: user, role: "org:member", deleted: false, eventTime: t(10) })).toBe("applied");
    expect(await roleOf(org.id, user)).toBe("member");
    expect(await apply({ clerkOrgId: org.id, clerkUserId: user, role: "org:admin", deleted: false, eventTime: t(30) })).toBe("applied");
    // An older "updated" delivered late keeps the newer role.
    expect(await apply({ clerkOrgId: org.id, clerkUserId: user, role: "org:member", deleted: false, eventTime: t(20) })).toBe("stale");
    expect(await roleOf(org.id, user)).toBe("admin");
    expect(await apply({ clerkOrgId: org.id, clerkUserId: user, role: null, deleted: true, eventTime: t(40) })).toBe("applied");
    expect(await roleOf(org.id, user)).toBeNull();
    // The "created" event arriving after the deletion does not bring it back.
    expect(await apply({ clerkOrgId: org.id, clerkUserId: user, role: "org:member", deleted: false, eventTime: t(10) })).toBe("stale");
    expect(await roleOf(org.id, user)).toBeNull();
    // Neither does JIT provisioning from a token issued before the deletion.
    const claims = { sub: user, sid: "sess_abcdefghijklmnop", iss: "x", azp: "x", iat: Math.floor(t(35).getTime() / 1000), exp: 4102444800, nbf: 0, o: { id: org.id, rol: "member" } };
    await withTenant(claims as never, (tx) => tx.query("select private.provision_from_claims()"));
    expect(await roleOf(org.id, user)).toBeNull();
  });

  it("refuses unknown roles, and keeps the last owner", async () => {
    const org = await createOrg("Clerk");
    const owner = await createUser([{ orgId: org.id, role: "owner" }]);
    await expect(apply({ clerkOrgId: org.id, clerkUserId: owner, role: "org:superuser", deleted: false, eventTime: new Date() })).rejects.toThrow(/unknown Clerk membership role/);
    expect(await apply({ clerkOrgId: org.id, clerkUserId: owner, role: null, deleted: true, eventTime: new Date() })).toBe("last_owner");
    expect(await roleOf(org.id, owner)).toBe("owner");
  });
});

describe("TEN-3 live check: memberships", () => {
  it("passes or warns on the migrated system, warns for an org with members but no owner, and counts expired invites", async () => {
    const { checkMemberships } = await import("@/lib/members/check");
    expect((await checkMemberships()).status).not.toBe("fail");
    await inRolledBackOwnerTransaction(async (tx) => {
      await tx.query("insert into public.organizations (id, name, slug) values ('org_ownerlesscheck', 'x', 'ownerless-check')");
      await tx.query("insert into public.users (id) values ('user_ownerlesscheck')");
      await tx.query("insert into public.memberships (org_id, user_id, role) values ('org_ownerlesscheck', 'user_ownerlesscheck', 'member')");
      expect(await checkMemberships(tx)).toMatchObject({ status: "warn", detail: expect.stringMatching(/have members but no owner.*past their expiry/) });
    });
  });

  it("fails when the last-owner trigger is disabled or a request role may write memberships directly", async () => {
    const { checkMemberships } = await import("@/lib/members/check");
    await inRolledBackOwnerTransaction(async (tx) => {
      await tx.query("alter table public.memberships disable trigger memberships_keep_one_owner");
      expect(await checkMemberships(tx)).toMatchObject({ status: "fail", detail: expect.stringMatching(/last-owner trigger/) });
    });
    await inRolledBackOwnerTransaction(async (tx) => {
      await tx.query("grant update on public.memberships to authenticated");
      expect(await checkMemberships(tx)).toMatchObject({ status: "fail", detail: expect.stringMatching(/authenticated update memberships/) });
    });
    await inRolledBackOwnerTransaction(async (tx) => {
      await tx.query("grant update (role) on public.memberships to authenticated");
      expect(await checkMemberships(tx)).toMatchObject({ status: "fail", detail: expect.stringMatching(/authenticated update memberships/) });
    });
  });
});
