import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb, withTenant, type Queryable } from "@/lib/db";
import type { VerifiedClaims } from "@/lib/auth/claims";
import { createProject } from "@/lib/projects";
import { createApiKey, verifyApiKey } from "@/lib/api-keys";
import { orgWithMembers, request } from "../helpers/tenants";

afterAll(closeDb);

/**
 * TEN-6 / KEY-3: API keys act through RLS like any principal. Claims come from verifyApiKey (the real path the
 * partner API takes), and every assertion runs in withTenant, so only the database's policies decide.
 */

interface Org {
  id: string;
  projects: { id: string; documentId: string }[];
}

let a: Org;
let b: Org;
const members = {} as Record<"a" | "b", Awaited<ReturnType<typeof orgWithMembers>>>;
const keys = {} as Record<"scopedWrite" | "scopedRead" | "orgRead" | "orgWrite" | "otherOrg", { claims: VerifiedClaims; sub: string }>;

async function seedOrg(name: string, projectNames: string[]) {
  const members = await orgWithMembers(name);
  const db = await ownerDb();
  const projects: Org["projects"] = [];
  for (const projectName of projectNames) {
    const created = await createProject(members.member, { name: projectName }, request());
    if (!created.ok) throw new Error("setup");
    const [doc] = await db.query<{ id: string }>(
      "insert into public.documents (org_id, project_id, name, mime_type, size_bytes, created_by) values ($1, $2, $3, 'application/pdf', 10, $4) returning id",
      [members.org.id, created.data.id, `${projectName}.pdf`, members.member.userId],
    );
    projects.push({ id: created.data.id, documentId: doc!.id });
  }
  return { members, org: { id: members.org.id, projects } };
}

async function keyClaims(session: Parameters<typeof createApiKey>[0], input: Record<string, unknown>) {
  const created = await createApiKey(session, { name: "Partner", ...input }, request());
  if (!created.ok) throw new Error(`setup: ${created.message}`);
  const verified = await verifyApiKey(`Bearer ${created.data.plaintext}`, "203.0.113.7");
  return { claims: verified.claims, sub: `key_${created.data.id}` };
}

beforeAll(async () => {
  const seededA = await seedOrg("Acme", ["Alpha", "Beta"]);
  const seededB = await seedOrg("Globex", ["Gamma"]);
  a = seededA.org;
  b = seededB.org;
  members.a = seededA.members;
  members.b = seededB.members;
  const [alpha] = a.projects;
  keys.scopedWrite = await keyClaims(seededA.members.admin, { projectId: alpha!.id, permissions: "read_write" });
  keys.scopedRead = await keyClaims(seededA.members.admin, { projectId: alpha!.id, permissions: "read" });
  keys.orgRead = await keyClaims(seededA.members.admin, { permissions: "read" });
  keys.orgWrite = await keyClaims(seededA.members.owner, { permissions: "read_write" });
  keys.otherOrg = await keyClaims(seededB.members.admin, { permissions: "read_write" });
});

const ids = (rows: { id: string }[]) => rows.map((r) => r.id).sort();
const as = <T>(key: keyof typeof keys, fn: (tx: Queryable) => Promise<T>) => withTenant(keys[key].claims, fn);
const count = (rows: unknown[]) => rows.length;

describe("TEN-6: a project-scoped key", () => {
  it("sees only its project and that project's documents", async () => {
    const [alpha] = a.projects;
    for (const key of ["scopedWrite", "scopedRead"] as const) {
      expect(ids(await as(key, (tx) => tx.query<{ id: string }>("select id from public.projects")))).toEqual([alpha!.id]);
      expect(ids(await as(key, (tx) => tx.query<{ id: string }>("select id from public.documents")))).toEqual([alpha!.documentId]);
    }
  });

  it("cannot update or delete another project of the same org, nor its documents (0 rows), but can write its own", async () => {
    const [alpha, beta] = a.projects;
    const outcome = await as("scopedWrite", async (tx) => ({
      updateOther: count(await tx.query("update public.projects set name = 'taken' where id = $1 returning id", [beta!.id])),
      deleteOther: count(await tx.query("delete from public.projects where id = $1 returning id", [beta!.id])),
      updateOtherDoc: count(await tx.query("update public.documents set name = 'taken.pdf' where id = $1 returning id", [beta!.documentId])),
      deleteOtherDoc: count(await tx.query("delete from public.documents where id = $1 returning id", [beta!.documentId])),
      updateOwn: count(await tx.query("update public.projects set name = 'Alpha' where id = $1 returning id", [alpha!.id])),
      updateOwnDoc: count(await tx.query("update public.documents set name = 'Alpha.pdf' where id = $1 returning id", [alpha!.documentId])),
    }));
    expect(outcome).toEqual({ updateOther: 0, deleteOther: 0, updateOtherDoc: 0, deleteOtherDoc: 0, updateOwn: 1, updateOwnDoc: 1 });
    const [still] = await (await ownerDb()).query<{ name: string }>("select name from public.projects where id = $1", [beta!.id]);
    expect(still).toEqual({ name: "Beta" });
  });

  it("cannot create a project, delete its own project, or add a document to another project", async () => {
    const [alpha, beta] = a.projects;
    await expect(
      as("scopedWrite", (tx) => tx.query("insert into public.projects (org_id, name, created_by) values ($1, 'New', $2)", [a.id, keys.scopedWrite.sub])),
    ).rejects.toMatchObject({ code: "42501" });
    await expect(
      as("scopedWrite", (tx) =>
        tx.query("insert into public.documents (org_id, project_id, name, mime_type, size_bytes, created_by) values ($1, $2, 'x.pdf', 'application/pdf', 1, $3)", [a.id, beta!.id, keys.scopedWrite.sub]),
      ),
    ).rejects.toMatchObject({ code: "42501" });
    expect(await as("scopedWrite", (tx) => tx.query("delete from public.projects where id = $1 returning id", [alpha!.id]))).toEqual([]);
    // Positive control: its own project accepts a document from a write key.
    const added = await as("scopedWrite", (tx) =>
      tx.query<{ id: string }>(
        "insert into public.documents (org_id, project_id, name, mime_type, size_bytes, created_by) values ($1, $2, 'ok.pdf', 'application/pdf', 1, $3) returning id",
        [a.id, alpha!.id, keys.scopedWrite.sub],
      ),
    );
    expect(added).toHaveLength(1);
    await (await ownerDb()).query("delete from public.documents where id = $1", [added[0]!.id]);
  });
});

describe("KEY-3: a read-only key cannot write", () => {
  const readOnly = ["orgRead", "scopedRead"] as const;

  it("inserts into projects and documents are refused by RLS", async () => {
    const [alpha] = a.projects;
    for (const key of readOnly) {
      await expect(
        as(key, (tx) => tx.query("insert into public.projects (org_id, name, created_by) values ($1, 'New', $2)", [a.id, keys[key].sub])),
        key,
      ).rejects.toMatchObject({ code: "42501" });
      await expect(
        as(key, (tx) =>
          tx.query("insert into public.documents (org_id, project_id, name, mime_type, size_bytes, created_by) values ($1, $2, 'x.pdf', 'application/pdf', 1, $3)", [a.id, alpha!.id, keys[key].sub]),
        ),
        key,
      ).rejects.toMatchObject({ code: "42501" });
    }
  });

  it("updates and deletes touch 0 rows, though the same rows are readable", async () => {
    const [alpha] = a.projects;
    for (const key of readOnly) {
      const outcome = await as(key, async (tx) => ({
        visible: count(await tx.query("select id from public.documents where id = $1", [alpha!.documentId])),
        updateProject: count(await tx.query("update public.projects set name = 'x' where id = $1 returning id", [alpha!.id])),
        deleteProject: count(await tx.query("delete from public.projects where id = $1 returning id", [alpha!.id])),
        updateDocument: count(await tx.query("update public.documents set name = 'x.pdf' where id = $1 returning id", [alpha!.documentId])),
        deleteDocument: count(await tx.query("delete from public.documents where id = $1 returning id", [alpha!.documentId])),
      }));
      expect(outcome, key).toEqual({ visible: 1, updateProject: 0, deleteProject: 0, updateDocument: 0, deleteDocument: 0 });
    }
  });
});

describe("KEY-3: an org-wide write key", () => {
  it("creates and deletes projects of its org (the partner API's DELETE), but no other org's", async () => {
    const [gamma] = b.projects;
    const created = await as("orgWrite", (tx) =>
      tx.query<{ id: string }>("insert into public.projects (org_id, name, created_by) values ($1, 'From API', $2) returning id", [a.id, keys.orgWrite.sub]),
    );
    expect(created).toHaveLength(1);
    expect(await as("orgWrite", (tx) => tx.query("delete from public.projects where id = $1 returning id", [created[0]!.id]))).toHaveLength(1);
    expect(await as("orgWrite", (tx) => tx.query("delete from public.projects where id = $1 returning id", [gamma!.id]))).toEqual([]);
    await expect(
      as("orgWrite", (tx) => tx.query("insert into public.projects (org_id, name, created_by) values ($1, 'Planted', $2)", [b.id, keys.orgWrite.sub])),
    ).rejects.toMatchObject({ code: "42501" });
  });
});

describe("TEN-1 / TEN-6: org A's key sees nothing of org B", () => {
  it("no rows of the other org, and no key-management rows even in its own org", async () => {
    const [gamma] = b.projects;
    for (const key of ["orgWrite", "orgRead", "scopedWrite"] as const) {
      const seen = await as(key, async (tx) => ({
        foreignProjects: count(await tx.query("select id from public.projects where org_id = $1 or id = $2", [b.id, gamma!.id])),
        foreignDocuments: count(await tx.query("select id from public.documents where org_id = $1 or id = $2", [b.id, gamma!.documentId])),
        updated: count(await tx.query("update public.projects set name = 'x' where id = $1 returning id", [gamma!.id])),
        deletedDocs: count(await tx.query("delete from public.documents where id = $1 returning id", [gamma!.documentId])),
        // A key is not an admin: it cannot read keys, their log, admin notices or the audit log.
        apiKeys: count(await tx.query("select id from public.api_keys")),
        verifications: count(await tx.query("select id from public.key_verifications")),
        notifications: count(await tx.query("select id from public.notifications")),
        auditLogs: count(await tx.query("select id from public.audit_logs")),
        // Nor its org's people: the member list and e-mail addresses are for user sessions only.
        users: count(await tx.query("select id from public.users")),
        memberships: count(await tx.query("select user_id from public.memberships")),
      }));
      expect(seen, key).toEqual({
        foreignProjects: 0,
        foreignDocuments: 0,
        updated: 0,
        deletedDocs: 0,
        apiKeys: 0,
        verifications: 0,
        notifications: 0,
        auditLogs: 0,
        users: 0,
        memberships: 0,
      });
    }
    // Control: a member's session of the same org does see the org's people.
    const people = await withTenant(members.a.member.claims, async (tx) => ({
      users: count(await tx.query("select id from public.users")),
      memberships: count(await tx.query("select user_id from public.memberships")),
    }));
    expect(people.users).toBeGreaterThanOrEqual(3);
    expect(people.memberships).toBeGreaterThanOrEqual(3);
    // Org B's own key sees its project and document (the rows exist).
    expect(ids(await as("otherOrg", (tx) => tx.query<{ id: string }>("select id from public.projects")))).toEqual([gamma!.id]);
    expect(ids(await as("otherOrg", (tx) => tx.query<{ id: string }>("select id from public.documents")))).toEqual([gamma!.documentId]);
  });
});
