import { afterAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb, withTenant } from "@/lib/db";
import { createProject } from "@/lib/projects";
import { renameOrganization } from "@/lib/orgs";
import { setDisplayName } from "@/lib/profile";
import { INVISIBLE_CHARACTERS_MESSAGE } from "@/lib/validation/text";
import OverviewPage from "@/app/(dashboard)/overview/page";
import SettingsPage from "@/app/(dashboard)/settings/page";
import ProfilePage from "@/app/(dashboard)/account/profile/page";
import { createUser, orgWithMembers, request, signIn } from "../helpers/tenants";
import { newKey } from "../helpers/api";
import { appendAudit } from "@/lib/audit/writer";

afterAll(closeDb);

const auditOf = async (orgId: string, action: string) =>
  (await ownerDb()).query<{ actor_id: string; target_id: string | null; changes: unknown }>("select actor_id, target_id, changes from public.audit_logs where org_id = $1 and action = $2 order by seq", [orgId, action]);

describe("the overview (TEN-2: every figure is what RLS lets the caller see)", () => {
  it("admins see counts, plan usage, 14 days of activity and security events of their org only; members the counts; guests only what is shared", async () => {
    const a = await orgWithMembers("OverviewA");
    const b = await orgWithMembers("OverviewB");
    for (const name of ["One", "Two"]) expect(await createProject(a.member, { name }, request())).toMatchObject({ ok: true });
    expect(await createProject(b.member, { name: "Foreign" }, request())).toMatchObject({ ok: true });
    await newKey(a.admin);
    await newKey(b.admin);
    await newKey(b.admin);
    // A high-severity event in each org (the one writer, as the rate limiter records it); A must not see B's.
    for (const who of [a.admin, b.admin]) {
      await withTenant(who.claims, (tx) => appendAudit(tx, { orgId: who.orgId!, actorType: "user", actorId: who.userId, action: "security.rate_limit_abuse", changes: {} }));
    }

    const admin = await OverviewPage.readFor(a.admin, undefined, request());
    if (admin.kind !== "ok") throw new Error(admin.kind);
    expect(admin.data.counts).toEqual({ projects: 2, documents: 0, videos: 0, apiKeys: 1, members: 3 });
    expect(admin.data.usage?.used.projects).toBe(2);
    expect(admin.data.activity).toHaveLength(14);
    const todays = admin.data.activity!.at(-1)!;
    const [all] = await (await ownerDb()).query<{ n: string }>("select count(*)::text as n from public.audit_logs where org_id = $1", [a.org.id]);
    expect(todays.entries).toBe(Number(all!.n));
    expect(todays.entries).toBeGreaterThan(3);
    expect(admin.data.securityEvents?.bySeverity.high).toBe(1);
    expect(admin.data.securityEvents?.recent.map((e) => e.action)).toEqual(["security.rate_limit_abuse"]);

    const member = await OverviewPage.readFor(a.member, undefined, request());
    expect(member).toMatchObject({ kind: "ok", data: { counts: { projects: 2, apiKeys: null, members: 3 }, usage: null, activity: null, securityEvents: null } });

    const guest = await signIn(await createUser([{ orgId: a.org.id, role: "guest" }]), { ...a.org, role: "guest" });
    expect(await OverviewPage.readFor(guest.session, undefined, request())).toMatchObject({
      kind: "ok",
      data: { counts: { projects: 0, documents: 0, videos: 0, apiKeys: null, members: null }, usage: null, activity: null, securityEvents: null },
    });
  });
});

describe("organisation settings (TEN-3)", () => {
  it("owners and admins rename the org (audited with before and after); members are told it is for admins and are refused, by the app and by the database", async () => {
    const a = await orgWithMembers("Settings");
    expect(await SettingsPage.readFor(a.member, undefined, request())).toMatchObject({ kind: "admins_only", title: "Organisation settings" });
    expect(await SettingsPage.readFor(a.admin, undefined, request())).toMatchObject({ kind: "ok", data: { name: "Settings", requireSecondFactor: false } });

    expect(await renameOrganization(a.admin, { name: "  Settings Renamed  " }, request())).toEqual({ ok: true, data: { name: "Settings Renamed" } });
    expect(await auditOf(a.org.id, "org.renamed")).toEqual([{ actor_id: a.admin.userId, target_id: a.org.id, changes: { name: { from: "Settings", to: "Settings Renamed" } } }]);

    expect(await renameOrganization(a.member, { name: "Mine now" }, request())).toMatchObject({ ok: false, status: 403 });
    // Past the app's check: the database's function refuses a member too.
    await expect(withTenant(a.member.claims, (tx) => tx.query("select private.rename_org('Mine now')"))).rejects.toThrow(/only owners and admins/);
    const [row] = await (await ownerDb()).query<{ name: string }>("select name from public.organizations where id = $1", [a.org.id]);
    expect(row?.name).toBe("Settings Renamed");

    expect(await renameOrganization(a.owner, { name: "x".repeat(101) }, request())).toMatchObject({ ok: false, status: 422, fieldErrors: { name: ["Use at most 100 characters."] } });
    expect(await renameOrganization(a.owner, { name: "Acme\u202Egnp.exe" }, request())).toMatchObject({ ok: false, fieldErrors: { name: [INVISIBLE_CHARACTERS_MESSAGE] } });
    expect(await auditOf(a.org.id, "org.renamed")).toHaveLength(1);
  });

  it("a user edits their own display name (audited); the profile shows it and the email; it is never another user's", async () => {
    const a = await orgWithMembers("Profile");
    expect(await setDisplayName(a.member, { displayName: "Mina Member" }, request())).toEqual({ ok: true, data: { displayName: "Mina Member" } });
    expect(await auditOf(a.org.id, "user.display_name_changed")).toEqual([{ actor_id: a.member.userId, target_id: a.member.userId, changes: { display_name: { from: null, to: "Mina Member" } } }]);
    expect(await ProfilePage.readFor(a.member, undefined, request())).toMatchObject({ kind: "ok", data: { id: a.member.userId, email: `${a.member.userId}@example.test`, displayName: "Mina Member" } });
    const [owner] = await (await ownerDb()).query<{ display_name: string | null }>("select display_name from public.users where id = $1", [a.owner.userId]);
    expect(owner?.display_name).toBeNull();
    expect(await setDisplayName(a.member, { displayName: "" }, request())).toMatchObject({ ok: false, status: 422, fieldErrors: { displayName: ["Enter the name others see."] } });
  });
});
