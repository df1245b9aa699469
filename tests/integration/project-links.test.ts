import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb, withTenant } from "@/lib/db";
import type { Session } from "@/lib/auth/claims";
import { listProjects } from "@/lib/projects";
import { removeMember } from "@/lib/members";
import {
  auditLinkRedeemed,
  changeProjectGrant,
  createProjectLink,
  grantProjectAccess,
  previewProjectLink,
  redeemProjectLink,
  revokeProjectGrant,
  revokeProjectLink,
  setBasePermission,
} from "@/lib/grants";
import { checkProjectGrants } from "@/lib/grants/check";
import SharingPage from "@/app/(dashboard)/projects/[id]/sharing/page";
import ProjectsPage from "@/app/(dashboard)/projects/page";
import { callApi } from "../helpers/api";
import { inRolledBackOwnerTransaction } from "../helpers/owner-scratch";
import { createOrg, createUser, orgWithMembers, putOnPlan, request, signIn } from "../helpers/tenants";

/**
 * TEN-7 invite links (expired, revoked, used up, tampered, another project's; concurrent one-use redemptions), guests
 * (404 on every org-level dashboard page and 401 on the partner API), and AUD-3 for grant and link events.
 */

afterAll(closeDb);

let org: Awaited<ReturnType<typeof orgWithMembers>>;
let projectId: string;
let otherProjectId: string;
let manager: Session;

const tokenOf = (link: string) => link.split("/").at(-1)!;

async function outsider(): Promise<Session> {
  const userId = await createUser();
  return (await signIn(userId, null)).session;
}

async function newLink(maxUses = 1, role: "viewer" | "editor" = "viewer", by: Session = manager) {
  const result = await createProjectLink(by, { projectId, role, expiresInDays: 7, maxUses }, request());
  if (!result.ok) throw new Error(JSON.stringify(result));
  return { ...result.data, token: tokenOf(result.data.link) };
}

async function auditActions(orgId: string): Promise<string[]> {
  const rows = await (await ownerDb()).query<{ action: string }>("select action from public.audit_logs where org_id = $1 order by seq", [orgId]);
  return rows.map((r) => r.action);
}

beforeAll(async () => {
  org = await orgWithMembers("Links");
  await putOnPlan(org.org.id, "business");
  const db = await ownerDb();
  const [p] = await db.query<{ id: string }>("insert into public.projects (org_id, name, created_by) values ($1, 'Shared', $2) returning id::text as id", [org.org.id, org.owner.userId]);
  const [q] = await db.query<{ id: string }>("insert into public.projects (org_id, name, created_by) values ($1, 'Private', $2) returning id::text as id", [org.org.id, org.owner.userId]);
  projectId = p!.id;
  otherProjectId = q!.id;
  // The org's member becomes the project's manager through the owner's grant.
  const email = (await db.query<{ email: string }>("select email from public.users where id = $1", [org.member.userId]))[0]!.email;
  expect(await grantProjectAccess(org.owner, { projectId, email, role: "manager", expiresInDays: "" }, request())).toMatchObject({ ok: true });
  manager = org.member;
});

describe("project invite links (TEN-7)", () => {
  it("the token is shown once, stored as its SHA-256 only, and redeeming twice neither duplicates the grant nor uses the link again", async () => {
    const link = await newLink(2);
    expect(link.token).toMatch(/^tgp_[A-Za-z0-9_-]{43}$/);
    const [stored] = await (await ownerDb()).query<{ token_hash: Buffer }>("select token_hash from public.project_invite_links where id = $1", [link.id]);
    expect(stored!.token_hash.length).toBe(32);
    expect(stored!.token_hash.toString("utf8")).not.toContain(link.token);

    expect(await previewProjectLink(projectId, link.token)).toMatchObject({ status: "valid", projectName: "Shared", role: "viewer" });
    const guest = await outsider();
    expect(await redeemProjectLink(guest, projectId, link.token)).toMatchObject({ outcome: "granted", orgId: org.org.id, projectId, role: "viewer" });
    expect(await redeemProjectLink(guest, projectId, link.token)).toMatchObject({ outcome: "already" });
    const db = await ownerDb();
    expect(await db.query("select role from public.project_grants where project_id = $1 and user_id = $2", [projectId, guest.userId])).toEqual([{ role: "viewer" }]);
    expect(await db.query("select role from public.memberships where org_id = $1 and user_id = $2", [org.org.id, guest.userId])).toEqual([{ role: "guest" }]);
    expect(await db.query<{ uses: number }>("select uses from public.project_invite_links where id = $1", [link.id])).toEqual([{ uses: 1 }]);
  });

  it("used-up, expired, revoked, tampered and another project's tokens are refused, each with its own answer", async () => {
    const used = await newLink(1);
    expect(await redeemProjectLink(await outsider(), projectId, used.token)).toMatchObject({ outcome: "granted" });
    expect(await redeemProjectLink(await outsider(), projectId, used.token)).toMatchObject({ outcome: "used", orgId: null });
    expect(await previewProjectLink(projectId, used.token)).toMatchObject({ status: "used" });

    const expired = await newLink(5);
    await (await ownerDb()).query("update public.project_invite_links set created_at = now() - interval '2 days', expires_at = now() - interval '1 second' where id = $1", [expired.id]);
    expect(await previewProjectLink(projectId, expired.token)).toMatchObject({ status: "expired" });
    expect(await redeemProjectLink(await outsider(), projectId, expired.token)).toMatchObject({ outcome: "expired", orgId: null });

    const revoked = await newLink(5);
    expect(await revokeProjectLink(manager, { id: revoked.id }, request())).toMatchObject({ ok: true });
    expect(await revokeProjectLink(manager, { id: revoked.id }, request())).toMatchObject({ ok: false, status: 404 });
    expect(await previewProjectLink(projectId, revoked.token)).toMatchObject({ status: "revoked" });
    expect(await redeemProjectLink(await outsider(), projectId, revoked.token)).toMatchObject({ outcome: "revoked" });

    const live = await newLink(5);
    const last = live.token.at(-1) === "A" ? "B" : "A";
    const tampered = `${live.token.slice(0, -1)}${last}`;
    expect(await previewProjectLink(projectId, tampered)).toEqual({ status: "invalid" });
    expect(await redeemProjectLink(await outsider(), projectId, tampered)).toMatchObject({ outcome: "invalid" });
    // A member-invite token (another prefix) or garbage never reaches the database as a project link.
    expect(await redeemProjectLink(await outsider(), projectId, live.token.replace(/^tgp_/, "tgi_"))).toMatchObject({ outcome: "invalid" });
    expect(await previewProjectLink(projectId, "x")).toEqual({ status: "invalid" });
    // Another project's URL with this token: refused, and it names neither project.
    expect(await previewProjectLink(otherProjectId, live.token)).toEqual({ status: "wrong_project" });
    expect(await redeemProjectLink(await outsider(), otherProjectId, live.token)).toMatchObject({ outcome: "wrong_project", orgId: null, projectId: null });
    expect(await (await ownerDb()).query<{ uses: number }>("select uses from public.project_invite_links where id = $1", [live.id])).toEqual([{ uses: 0 }]);
  });

  it("concurrent redemptions of a one-use link: exactly one grant", async () => {
    const link = await newLink(1, "editor");
    const people = await Promise.all(Array.from({ length: 6 }, () => outsider()));
    const outcomes = await Promise.all(people.map((s) => redeemProjectLink(s, projectId, link.token)));
    expect(outcomes.filter((o) => o.outcome === "granted")).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === "used")).toHaveLength(5);
    const grants = await (await ownerDb()).query("select user_id from public.project_grants where project_id = $1 and user_id = any($2::text[])", [projectId, people.map((s) => s.userId)]);
    expect(grants).toHaveLength(1);
  });

  it("only the project's managers and the org's admins create links; links grant viewer or editor only", async () => {
    const viewer = await outsider();
    const link = await newLink(1);
    await redeemProjectLink(viewer, projectId, link.token);
    const guestSession = (await signIn(viewer.userId, { ...org.org, role: "guest" })).session;
    expect(await createProjectLink(guestSession, { projectId, role: "viewer", expiresInDays: 1, maxUses: 1 }, request())).toMatchObject({ ok: false, status: 403 });
    expect(await createProjectLink(org.member, { projectId: otherProjectId, role: "viewer", expiresInDays: 1, maxUses: 1 }, request())).toMatchObject({ ok: false, status: 403 });
    expect(await createProjectLink(org.admin, { projectId: otherProjectId, role: "editor", expiresInDays: 1, maxUses: 3 }, request())).toMatchObject({ ok: true });
    expect(await createProjectLink(org.admin, { projectId, role: "manager", expiresInDays: 1, maxUses: 1 }, request())).toMatchObject({ ok: false, status: 422 });
    expect(await createProjectLink(org.admin, { projectId, role: "viewer", expiresInDays: 31, maxUses: 1 }, request())).toMatchObject({ ok: false, status: 422 });
  });
});

describe("guests (TEN-7)", () => {
  let guest: Session;

  beforeAll(async () => {
    const person = await outsider();
    const link = await newLink(1, "editor");
    const redemption = await redeemProjectLink(person, projectId, link.token);
    guest = (await signIn(person.userId, { ...org.org, role: "guest" })).session;
    await auditLinkRedeemed(guest, redemption, request());
  });

  it("a guest sees only its granted project, whatever the org's base permission", async () => {
    for (const permission of ["read", "write", "none"] as const) {
      expect(await setBasePermission(org.owner, { permission }, request())).toMatchObject({ ok: true });
      const rows = await withTenant(guest.claims, listProjects);
      expect(rows.map((r) => r.id)).toEqual([projectId]);
    }
    expect(await setBasePermission(org.owner, { permission: "read" }, request())).toMatchObject({ ok: true });
    expect(await setBasePermission(org.member, { permission: "write" }, request())).toMatchObject({ ok: false, status: 403 });
  });

  it("every org-level dashboard page is a 404 for a guest (every page outside /projects, /account, /support and its own overview)", async () => {
    const root = path.join(process.cwd(), "app/(dashboard)");
    const pages: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        const full = path.join(dir, entry);
        if (statSync(full).isDirectory()) walk(full);
        else if (entry === "page.tsx") pages.push(path.relative(root, full));
      }
    };
    walk(root);
    // /account and /support are the signed-in person's own (their sessions; the consents naming them as an operator).
    // /overview is the landing page after sign-in: a guest's shows counts of what is shared with it and no org-level
    // figure (checked below).
    const orgLevel = pages.filter((p) => !p.startsWith("projects") && !p.startsWith("account") && !p.startsWith("support") && p !== "overview/page.tsx");
    expect(orgLevel.length).toBeGreaterThanOrEqual(5);
    for (const page of orgLevel) {
      const mod = (await import(`@/app/(dashboard)/${page.replace(/\.tsx$/, "")}`)) as { default: { readFor?: (s: Session, p: unknown, r: ReturnType<typeof request>) => Promise<unknown> } };
      expect(mod.default.readFor, `${page} must be a definePage page`).toBeTypeOf("function");
      const outcome = await mod.default.readFor!(guest, {}, request());
      expect(outcome, page).toEqual({ kind: "not_found" });
      // The same page is there for the org's owner (so the 404 is the guest's, not the page's).
      expect((await mod.default.readFor!(org.owner, {}, request())) as { kind: string }, page).toMatchObject({ kind: "ok" });
    }
    const overview = (await import("@/app/(dashboard)/overview/page")) as { default: { readFor: (s: Session, p: unknown, r: ReturnType<typeof request>) => Promise<unknown> } };
    expect(await overview.default.readFor(guest, {}, request())).toMatchObject({
      kind: "ok",
      data: { usage: null, activity: null, securityEvents: null, counts: { apiKeys: null, members: null } },
    });
  });

  it("the partner API does not take a guest's session token (401 on every route)", async () => {
    const token = (await signIn(guest.userId, { ...org.org, role: "guest" })).token;
    for (const [method, route] of [
      ["get", "/api/v1/projects"],
      ["get", `/api/v1/projects/${projectId}`],
      ["get", `/api/v1/projects/${projectId}/documents`],
      ["get", "/api/v1/documents"],
    ] as const) {
      const res = await callApi(method, route, { authorization: `Bearer ${token}` });
      expect(res.status, route).toBe(401);
    }
  });

  it("the Sharing page is for the project's managers and org admins; a guest's project list is its grants", async () => {
    const asManager = await SharingPage.readFor(manager, { id: projectId }, request());
    expect(asManager).toMatchObject({ kind: "ok", data: { project: { id: projectId }, isAdmin: false } });
    if (asManager.kind === "ok") {
      expect(asManager.data.grants.map((g) => g.user_id)).toEqual(expect.arrayContaining([guest.userId, manager.userId]));
      expect(asManager.data.links.length).toBeGreaterThan(0);
    }
    expect(await SharingPage.readFor(org.admin, { id: otherProjectId }, request())).toMatchObject({ kind: "ok" });
    // The member manages the shared project only; the guest manages nothing.
    expect(await SharingPage.readFor(manager, { id: otherProjectId }, request())).toEqual({ kind: "not_found" });
    expect(await SharingPage.readFor(guest, { id: projectId }, request())).toEqual({ kind: "not_found" });
    const list = await ProjectsPage.readFor(guest, undefined, request());
    expect(list.kind === "ok" && list.data.map((p) => p.id)).toEqual([projectId]);
  });

  it("raw SQL under a guest's claims: its own membership, itself, its own grant, and no org-level rows", async () => {
    const read = (sql: string) => withTenant(guest.claims, (tx) => tx.query(sql));
    expect(await read("select user_id from public.memberships")).toEqual([{ user_id: guest.userId }]);
    expect(await read("select id from public.users")).toEqual([{ id: guest.userId }]);
    expect(await read("select project_id::text as project_id from public.project_grants")).toEqual([{ project_id: projectId }]);
    for (const table of ["api_keys", "audit_logs", "subscriptions", "invoices", "webhook_events", "org_invites", "project_invite_links", "key_verifications", "entitlements", "billing_customers", "provider_objects", "notifications", "jobs"]) {
      // No row, or no privilege on the table at all.
      const rows = await read(`select org_id from public.${table}`).catch((e: { code?: string }) => (e.code === "42501" ? [] : Promise.reject(e)));
      expect(rows, table).toEqual([]);
    }
  });

  it("revoking a guest's last grant removes it from the org; removing a member drops its grants", async () => {
    const person = await outsider();
    const link = await newLink(1);
    await redeemProjectLink(person, projectId, link.token);
    expect(await revokeProjectGrant(manager, { projectId, userId: person.userId }, request())).toMatchObject({ ok: true });
    const db = await ownerDb();
    expect(await db.query("select 1 from public.memberships where org_id = $1 and user_id = $2", [org.org.id, person.userId])).toEqual([]);

    const member = await createUser([{ orgId: org.org.id, role: "member" }]);
    const email = `${member}@example.test`;
    expect(await grantProjectAccess(org.admin, { projectId: otherProjectId, email, role: "editor", expiresInDays: "3" }, request())).toMatchObject({ ok: true });
    expect(await changeProjectGrant(org.admin, { projectId: otherProjectId, userId: member, role: "viewer", expiresInDays: "" }, request())).toMatchObject({ ok: true });
    expect(await removeMember(org.owner, { userId: member }, request())).toMatchObject({ ok: true });
    expect(await db.query("select 1 from public.project_grants where user_id = $1", [member])).toEqual([]);
  });

  it("grants by email reach only the org's members and guests; a guest cannot be a manager; owners and admins need no grant", async () => {
    const person = await outsider();
    const email = `${person.userId}@example.test`;
    // An account outside the org is the same 404 as no account at all (no enumeration of the deployment's users).
    const outside = await grantProjectAccess(manager, { projectId, email, role: "viewer", expiresInDays: "" }, request());
    const nobody = await grantProjectAccess(manager, { projectId, email: "nobody@example.test", role: "viewer", expiresInDays: "" }, request());
    expect(outside).toMatchObject({ ok: false, status: 404 });
    expect(nobody).toEqual(outside);
    // In through a link, the guest can then be re-granted by email: viewer or editor, never manager.
    await redeemProjectLink(person, projectId, (await newLink(1)).token);
    expect(await grantProjectAccess(manager, { projectId, email, role: "manager", expiresInDays: "" }, request())).toMatchObject({ ok: false, status: 422 });
    const adminEmail = `${org.admin.userId}@example.test`;
    expect(await grantProjectAccess(manager, { projectId, email: adminEmail, role: "viewer", expiresInDays: "" }, request())).toMatchObject({ ok: false, status: 409 });
    expect(await grantProjectAccess(manager, { projectId, email, role: "editor", expiresInDays: "" }, request())).toMatchObject({ ok: true });
    expect(await (await ownerDb()).query("select role from public.memberships where org_id = $1 and user_id = $2", [org.org.id, person.userId])).toEqual([{ role: "guest" }]);
  });

  it("AUD-3: grant and link events are in the org's audit log", async () => {
    const actions = new Set(await auditActions(org.org.id));
    for (const action of ["project_grant.created", "project_grant.changed", "project_grant.revoked", "project_link.created", "project_link.revoked", "project_link.redeemed", "org.base_permission_changed"]) {
      expect(actions.has(action), action).toBe(true);
    }
  });
});

describe("expired grants (TEN-7)", () => {
  it("a grant stops working at its expiry, with no job: the project disappears from the member's list", async () => {
    const other = await createOrg("Expiry");
    const owner = await createUser([{ orgId: other.id, role: "owner" }]);
    const member = await createUser([{ orgId: other.id, role: "member" }]);
    const db = await ownerDb();
    await db.query("update public.organizations set base_permission = 'none' where id = $1", [other.id]);
    const [p] = await db.query<{ id: string }>("insert into public.projects (org_id, name, created_by) values ($1, 'E', $2) returning id::text as id", [other.id, owner]);
    await db.query("insert into public.project_grants (org_id, project_id, user_id, role, expires_at, created_by) values ($1, $2, $3, 'viewer', now() + interval '1 second', $4)", [other.id, p!.id, member, owner]);
    const session = (await signIn(member, { ...other, role: "member" })).session;
    expect((await withTenant(session.claims, listProjects)).map((r) => r.id)).toEqual([p!.id]);
    await db.query("update public.project_grants set expires_at = now() - interval '1 millisecond' where project_id = $1", [p!.id]);
    expect(await withTenant(session.claims, listProjects)).toEqual([]);
    const [check] = await db.query<{ n: number }>("select private.expired_grants_effective() as n");
    expect(check!.n).toBe(0);
  });
});

describe("project-grants live check (TEN-7)", () => {
  it("passes on the migrated schema, and fails when expired grants count, request roles may write grants, or a project-scoped table lacks the grant policies", async () => {
    const org2 = await createOrg("Check");
    const owner = await createUser([{ orgId: org2.id, role: "owner" }]);
    const member = await createUser([{ orgId: org2.id, role: "member" }]);
    const db = await ownerDb();
    const [p] = await db.query<{ id: string }>("insert into public.projects (org_id, name, created_by) values ($1, 'C', $2) returning id::text as id", [org2.id, owner]);
    await db.query("insert into public.project_grants (org_id, project_id, user_id, role, expires_at, created_by) values ($1, $2, $3, 'viewer', now() - interval '1 hour', $4)", [org2.id, p!.id, member, owner]);
    const healthy = await checkProjectGrants();
    expect(healthy.status).toBe("pass");
    expect(healthy.detail).toMatch(/Expired grants still effective: none/);

    // The helper "forgets" the expiry: the check sees the expired grant let through.
    const broken = await inRolledBackOwnerTransaction(async (tx) => {
      const [def] = await tx.query<{ src: string }>("select pg_get_functiondef('private.granted_project_ids(integer)'::regprocedure) as src");
      await tx.query(def!.src.replace("and (g.expires_at is null or g.expires_at > now())", ""));
      return checkProjectGrants(tx);
    });
    expect(broken).toMatchObject({ status: "fail", detail: expect.stringMatching(/expired grant\(s\) still give access/) });

    const writable = await inRolledBackOwnerTransaction(async (tx) => {
      await tx.query("grant insert on public.project_grants to authenticated");
      return checkProjectGrants(tx);
    });
    expect(writable).toMatchObject({ status: "fail", detail: expect.stringMatching(/authenticated insert project_grants/) });

    // A new project-scoped table without the grant policies: members and guests would see every project's rows.
    const uncovered = await inRolledBackOwnerTransaction(async (tx) => {
      await tx.query("create table public.project_notes (org_id text not null, project_id uuid not null, body text)");
      await tx.query("alter table public.project_notes enable row level security");
      await tx.query("create policy project_notes_select on public.project_notes for select to authenticated using (org_id = (select private.org_id()))");
      return checkProjectGrants(tx);
    });
    expect(uncovered).toMatchObject({ status: "fail", detail: expect.stringMatching(/without a grant-aware read policy.*project_notes/) });
  });
});
