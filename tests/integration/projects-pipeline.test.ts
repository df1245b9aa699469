import { afterAll, describe, expect, it } from "vitest";
import { closeDb, withTenant } from "@/lib/db";
import { createProject, deleteProject, listProjects, renameProject } from "@/lib/projects";
import { orgWithMembers, request } from "../helpers/tenants";

afterAll(closeDb);

describe("project server actions (authenticate -> Zod -> role -> withTenant -> audit)", () => {
  it("members create and rename, only admins delete, all audited", async () => {
    const a = await orgWithMembers("Acme");
    const created = await createProject(a.member, { name: "  Roadmap " }, request());
    expect(created.ok).toBe(true);
    if (!created.ok) return;
    expect(created.data.name).toBe("Roadmap");

    const renamed = await renameProject(a.member, { id: created.data.id, name: "Roadmap 2027" }, request());
    expect(renamed).toMatchObject({ ok: true, data: { name: "Roadmap 2027" } });

    const denied = await deleteProject(a.member, { id: created.data.id }, request());
    expect(denied).toMatchObject({ ok: false, status: 403 });

    const deleted = await deleteProject(a.admin, { id: created.data.id }, request());
    expect(deleted).toMatchObject({ ok: true });

    const actions = await withTenant(a.owner.claims, (tx) => tx.query<{ action: string }>("select action from public.audit_logs order by seq"));
    expect(actions.map((r) => r.action)).toEqual(["project.created", "project.renamed", "project.deleted"]);
  });

  it("invalid input gives field errors and writes nothing", async () => {
    const a = await orgWithMembers("Acme");
    const result = await createProject(a.member, { name: "x".repeat(101) }, request());
    expect(result).toMatchObject({ ok: false, status: 422, fieldErrors: { name: ["Use at most 100 characters."] } });
    const empty = await createProject(a.member, { name: "   " }, request());
    expect(empty).toMatchObject({ ok: false, status: 422 });
    expect(await withTenant(a.member.claims, listProjects)).toEqual([]);
  });

  it("another org's project id gives 404 and a security event (TEN-4)", async () => {
    const a = await orgWithMembers("Acme");
    const b = await orgWithMembers("Globex");
    const theirs = await createProject(b.member, { name: "Secret" }, request());
    if (!theirs.ok) throw new Error("setup");
    for (const attempt of [
      () => renameProject(a.member, { id: theirs.data.id, name: "Mine now" }, request()),
      () => deleteProject(a.admin, { id: theirs.data.id }, request()),
    ]) {
      expect(await attempt()).toMatchObject({ ok: false, status: 404 });
    }
    const events = await withTenant(a.owner.claims, (tx) =>
      tx.query<{ action: string; target_id: string }>("select action, target_id from public.audit_logs where action = 'security.cross_tenant_access'"),
    );
    expect(events).toHaveLength(2);
    expect(events[0]!.target_id).toBe(theirs.data.id);
    const [still] = await withTenant(b.member.claims, listProjects);
    expect(still!.name).toBe("Secret");
  });
});
