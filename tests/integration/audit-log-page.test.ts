import { afterAll, describe, expect, it } from "vitest";
import { closeDb, withTenant } from "@/lib/db";
import { readForPage } from "@/lib/pages/read";
import { allAuditEntries, AUDIT_LOG_PAGE, auditCsv, listAuditLog, signCheckpointNow, updateAuditSettings, verifyOrgChain } from "@/lib/audit/log";
import { auditSettingsOf } from "@/lib/audit/retention";
import { createProject, viewProject } from "@/lib/projects";
import { orgWithHistory, rowsOf } from "../helpers/audit";
import { orgWithMembers, request } from "../helpers/tenants";
import { revokeSession } from "@/lib/auth/embedded/sign-in";

afterAll(closeDb);

const ctx = { ip: null, userAgent: null, requestId: null };

describe("AUD-1..5: the audit log page (owners and admins)", () => {
  it("members are told it is for admins (whom to ask; nothing read); admins see entries filtered by actor, action family, target, severity and date, in keyset pages", async () => {
    const org = await orgWithHistory("AuditPage");
    const other = await orgWithMembers("AuditPageOther");
    const theirs = await createProject(other.member, { name: "Theirs" }, request());
    if (!theirs.ok) throw new Error("setup failed");
    expect(await viewProject(org.member, { id: theirs.data.id }, request())).toMatchObject({ ok: false, status: 404 });

    expect(await readForPage(org.member, AUDIT_LOG_PAGE, {}, ctx)).toEqual({ kind: "admins_only", title: "Audit log", minimumRole: "admin", ask: [`${org.owner.userId}@example.test`, `${org.admin.userId}@example.test`] });
    const all = await readForPage(org.admin, AUDIT_LOG_PAGE, {}, ctx);
    if (all.kind !== "ok") throw new Error(all.kind);
    expect(all.data.log.entries.map((e) => e.seq)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(all.data.log.entries[0]).toMatchObject({ action: "security.cross_tenant_access", severity: "medium" });

    const read = async (params: Record<string, string>) => {
      const out = await readForPage(org.owner, AUDIT_LOG_PAGE, params, ctx);
      if (out.kind !== "ok") throw new Error(out.kind);
      return out.data.log.entries.map((e) => e.seq);
    };
    expect(await read({ severity: "medium" })).toEqual([6]);
    expect(await read({ severity: "info" })).toEqual([5, 4, 3, 2, 1]);
    expect(await read({ action: "project" })).toEqual([5, 4, 3, 2, 1]);
    expect(await read({ action: "project.created" })).toEqual([2, 1]);
    expect(await read({ actor: org.admin.userId })).toEqual([2]);
    expect(await read({ target: "project", action: "project.renamed" })).toEqual([5, 4, 3]);
    expect(await read({ from: "2000-01-01", to: "2000-01-02" })).toEqual([]);
    const today = new Date().toISOString().slice(0, 10);
    expect(await read({ from: today, to: today })).toHaveLength(6);
    // Malformed filters are ignored, not errors.
    expect(await read({ severity: "nope", from: "yesterday", before: "-3" })).toHaveLength(6);

    const first = await withTenant(org.admin.claims, (tx) => listAuditLog(tx, org.org.id, {}, 4));
    expect(first.entries.map((e) => e.seq)).toEqual([6, 5, 4, 3]);
    expect(first.next).toBe(3);
    const second = await withTenant(org.admin.claims, (tx) => listAuditLog(tx, org.org.id, { before: first.next! }, 4));
    expect(second).toMatchObject({ entries: [{ seq: 2 }, { seq: 1 }], next: null });
    // RLS: an admin's query for another org's log reads nothing.
    expect((await withTenant(org.admin.claims, (tx) => listAuditLog(tx, other.org.id, {}))).entries).toEqual([]);
  });

  it("Verify chain reports an intact chain against the signed checkpoint; members may not verify", async () => {
    const org = await orgWithHistory("AuditVerify");
    expect(await signCheckpointNow(org.admin, {}, request())).toMatchObject({ ok: true, data: { seq: 6 } });
    expect((await rowsOf(org.org.id)).at(-1)).toMatchObject({ seq: 6, action: "audit.checkpoint_signed" });
    expect(await verifyOrgChain(org.admin)).toMatchObject({ ok: true, data: { entries: 6, breaks: [], checkpoint: { seq: 6 } } });
    expect(await verifyOrgChain(org.member)).toMatchObject({ ok: false, status: 403 });
  });

  it("retention settings: admins save them (audited from -> to); an invalid value is refused with its field", async () => {
    const org = await orgWithMembers("AuditSettings");
    expect(await updateAuditSettings(org.admin, { retentionDays: "12", legalHold: "" }, request())).toMatchObject({ ok: false, fieldErrors: { retentionDays: [expect.stringMatching(/30/)] } });
    expect(await updateAuditSettings(org.member, { retentionDays: "400", legalHold: "on" }, request())).toMatchObject({ ok: false, status: 403 });
    expect(await updateAuditSettings(org.admin, { retentionDays: "400", legalHold: "on" }, request())).toMatchObject({ ok: true });
    expect(await withTenant(org.admin.claims, (tx) => auditSettingsOf(tx, org.org.id))).toEqual({ retentionDays: 400, legalHold: true });
    expect(await rowsOf(org.org.id)).toMatchObject([{ action: "audit.settings_changed", changes: { retention_days: { from: 365, to: 400 }, legal_hold: { from: false, to: true } } }]);
  });

  it("the CSV export lists the filter's entries with the checkpoint, and neutralises spreadsheet formulas", async () => {
    const org = await orgWithMembers("AuditCsv");
    expect(await createProject(org.member, { name: "=HYPERLINK(\"x\")" }, request())).toMatchObject({ ok: true });
    const checkpoint = await signCheckpointNow(org.admin, {}, request());
    if (!checkpoint.ok) throw new Error("setup failed");
    const entries = await withTenant(org.admin.claims, (tx) => allAuditEntries(tx, org.org.id, { action: "project" }));
    const csv = auditCsv(entries, checkpoint.data);
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toBe("seq,created_at,severity,actor_type,actor_id,action,target_type,target_id,ip,user_agent,request_id,changes,hash");
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^1,.*,info,user,.*project\.created/);
    expect(lines[2]).toMatch(/^# checkpoint,".*""seq"":2/);
    expect(auditCsv([{ ...entries[0]!, actorId: "=cmd|' /C calc'!A0" }], null)).toContain("'=cmd");
  });

  it("AUD-3: revoking a session is audited in the active org's chain, in the same transaction", async () => {
    const org = await orgWithMembers("AuditRevoke");
    expect(await revokeSession(org.member, org.member.sessionId)).toBe(true);
    expect(await revokeSession(org.member, org.member.sessionId)).toBe(false);
    expect(await rowsOf(org.org.id)).toMatchObject([{ seq: 1, action: "auth.session_revoked", actor_id: org.member.userId, target_type: "session", target_id: org.member.sessionId }]);
  });
});
