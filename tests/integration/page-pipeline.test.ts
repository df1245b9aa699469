import { afterAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { closeDb, withTenant } from "@/lib/db";
import { createProject } from "@/lib/projects";
import ProjectsPage from "@/app/(dashboard)/projects/page";
import ProjectPage from "@/app/(dashboard)/projects/[id]/page";
import ApiKeysPage from "@/app/(dashboard)/settings/api-keys/page";
import SessionsPage from "@/app/(dashboard)/account/sessions/page";
import { createUser, orgWithMembers, request, signIn } from "../helpers/tenants";
import { newKey } from "../helpers/api";

// The dashboard's pages read through one pipeline (lib/pages): each page's own wiring is called here with real
// sessions on the real database, outside Next.js's request scope.

afterAll(closeDb);

const securityEvents = (claims: Parameters<typeof withTenant>[0]) =>
  withTenant(claims, (tx) => tx.query<{ target_type: string; target_id: string }>("select target_type, target_id from public.audit_logs where action = 'security.cross_tenant_access'"));

describe("page read pipeline (TEN-2, TEN-3, TEN-4)", () => {
  it("no session is sent to sign-in; a session without an organisation is told so; the sessions page needs no org", async () => {
    expect(await ProjectsPage.readFor(null, undefined, request())).toEqual({ kind: "sign_in" });
    const loner = await signIn(await createUser(), null);
    expect(await ProjectsPage.readFor(loner.session, undefined, request())).toEqual({ kind: "no_organisation" });
    expect(await ApiKeysPage.readFor(loner.session, undefined, request())).toEqual({ kind: "no_organisation" });
    const own = await SessionsPage.readFor(loner.session, undefined, request());
    expect(own.kind).toBe("ok");
    if (own.kind === "ok") expect(own.data?.map((s) => s.id)).toEqual([loner.session.sessionId]);
  });

  it("the API-key page is an admin page: a member is told so (nothing read), a guest gets 404, an admin the org's keys and nothing of another org's", async () => {
    const a = await orgWithMembers("Acme");
    const b = await orgWithMembers("Globex");
    const mine = await newKey(a.admin);
    await newKey(b.admin);
    expect(await ApiKeysPage.readFor(a.member, undefined, request())).toEqual({ kind: "admins_only", title: "API keys", minimumRole: "admin", ask: [`${a.owner.userId}@example.test`, `${a.admin.userId}@example.test`] });
    // TEN-7: a guest does not learn that the org's pages exist.
    const guest = await signIn(await createUser([{ orgId: a.org.id, role: "guest" }]), { ...a.org, role: "guest" });
    expect(await ApiKeysPage.readFor(guest.session, undefined, request())).toEqual({ kind: "not_found" });
    const page = await ApiKeysPage.readFor(a.admin, undefined, request());
    expect(page.kind).toBe("ok");
    if (page.kind !== "ok") return;
    expect(page.data.keys.map((k) => k.id)).toEqual([mine.id]);
    // A role refusal is not a cross-tenant probe.
    expect(await securityEvents(a.owner.claims)).toEqual([]);
  });

  it("members see the org's projects; RLS keeps another org's out of the list", async () => {
    const a = await orgWithMembers("Acme");
    const b = await orgWithMembers("Globex");
    await createProject(a.member, { name: "Ours" }, request());
    await createProject(b.member, { name: "Theirs" }, request());
    const page = await ProjectsPage.readFor(a.member, undefined, request());
    expect(page.kind === "ok" && page.data.map((p) => p.name)).toEqual(["Ours"]);
  });

  it("another org's project id is a 404 with exactly one security event; malformed and missing ids are 404s with none", async () => {
    const a = await orgWithMembers("Acme");
    const b = await orgWithMembers("Globex");
    const ours = await createProject(a.member, { name: "Ours" }, request());
    const theirs = await createProject(b.member, { name: "Theirs" }, request());
    if (!ours.ok || !theirs.ok) throw new Error("setup");

    const shown = await ProjectPage.readFor(a.member, { id: ours.data.id }, request());
    expect(shown).toMatchObject({ kind: "ok", data: { id: ours.data.id, name: "Ours" }, params: { id: ours.data.id } });

    expect(await ProjectPage.readFor(a.member, { id: "not-a-uuid" }, request())).toEqual({ kind: "not_found" });
    expect(await ProjectPage.readFor(a.member, { id: randomUUID() }, request())).toEqual({ kind: "not_found" });
    expect(await securityEvents(a.owner.claims)).toEqual([]);

    expect(await ProjectPage.readFor(a.member, { id: theirs.data.id }, request())).toEqual({ kind: "not_found" });
    expect(await securityEvents(a.owner.claims)).toEqual([{ target_type: "project", target_id: theirs.data.id }]);
    expect(await securityEvents(b.owner.claims)).toEqual([]);
  });
});
