import { afterAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb, withAuditMaintenance, withTenant } from "@/lib/db";
import { auditSigningKey, latestSinkCheckpoint } from "@/lib/audit/checkpoints";
import { buildAuditExport } from "@/lib/audit/export";
import { verifyAuditExport } from "@/lib/audit/offline";
import { auditRetryJob } from "@/lib/audit/record-only";
import { applyAuditRetention, auditRetentionSchedule, saveAuditSettings } from "@/lib/audit/retention";
import { parsePublicKey, publicKeyDocument } from "@/lib/audit/signing";
import { verifyAuditChains } from "@/lib/audit/verify";
import { drainJobs } from "@/lib/jobs";
import { JOB_DEFINITIONS } from "@/lib/jobs/registry";
import { SCHEDULE_DEFINITIONS } from "@/lib/jobs/schedule-registry";
import { counterValue } from "@/lib/observability/metrics";
import { createProject, viewProject } from "@/lib/projects";
import { orgWithHistory, rewriteChain, rowsOf } from "../helpers/audit";
import { orgWithMembers, request } from "../helpers/tenants";
import { checkAuditRetention, checkAuditWriteFailures } from "@/lib/controls/checks";

afterAll(closeDb);

const DAY = 86_400_000;

/** An org whose first three entries are `ageDays` old (a consistent chain, as if written then). */
async function orgWithOldHistory(name: string, ageDays: number) {
  const org = await orgWithHistory(name);
  await rewriteChain(org.org.id, (rows) => rows.map((r, i) => (i < 3 ? { ...r, created_at: new Date(Date.now() - (ageDays - i) * DAY).toISOString() } : r)));
  expect((await verifyAuditChains(await ownerDb(), org.org.id)).breaks).toEqual([]);
  return org;
}

const errorOf = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e as { code?: string; message?: string });

describe("AUD-4: retention keeps the remaining chain verifiable", () => {
  it("removes entries past one year after a signed cut; the rest verifies in the database and offline", async () => {
    expect(SCHEDULE_DEFINITIONS.map((s) => s.name)).toContain(auditRetentionSchedule.name);
    const { org, admin } = await orgWithOldHistory("Retention", 400);
    const before = await rowsOf(org.id);
    expect(await checkAuditRetention()).toMatchObject({ status: "warn" });
    // Other files on a shared database may run a retention pass too: this org's rows say what happened.
    await applyAuditRetention();
    const after = await rowsOf(org.id);
    expect(after.map((r) => r.seq)).toEqual([4, 5]);
    expect(await latestSinkCheckpoint(org.id)).toBeNull(); // the cut is kept beside, not as a head checkpoint
    const [cut] = await (await ownerDb()).query<{ seq: number; hash: string; purpose: string }>("select seq, hash, purpose from public.audit_checkpoints where org_id = $1", [org.id]);
    expect(cut).toMatchObject({ seq: 3, hash: before[2]!.hash, purpose: "retention-cut" });
    expect((await verifyAuditChains(await ownerDb(), org.id)).breaks).toEqual([]);
    const exported = await withTenant(admin.claims, (tx) => buildAuditExport(tx, org.id));
    expect(exported.start).toMatchObject({ seq: 3, purpose: "retention-cut" });
    expect(verifyAuditExport(exported, parsePublicKey(publicKeyDocument(auditSigningKey()).pem))).toMatchObject({ ok: true, firstSeq: 4, coveredThrough: 5 });
  });

  it("legal hold keeps every entry; a longer per-org retention keeps them too", async () => {
    const held = await orgWithOldHistory("Held", 400);
    await withTenant(held.owner.claims, (tx) => saveAuditSettings(tx, held.org.id, { retentionDays: 365, legalHold: true }));
    const longer = await orgWithOldHistory("Longer", 400);
    await withTenant(longer.admin.claims, (tx) => saveAuditSettings(tx, longer.org.id, { retentionDays: 730, legalHold: false }));
    await applyAuditRetention();
    expect(await rowsOf(held.org.id)).toHaveLength(5);
    expect(await rowsOf(longer.org.id)).toHaveLength(5);
    // The maintenance role itself cannot reach held or unexpired entries.
    const deleted = await withAuditMaintenance((tx) => tx.query("delete from public.audit_logs where org_id = any($1) returning seq", [[held.org.id, longer.org.id]]));
    expect(deleted).toEqual([]);
    // A member cannot change the settings (RLS: owners and admins).
    expect(await errorOf(withTenant(held.member.claims, (tx) => saveAuditSettings(tx, held.org.id, { retentionDays: 30, legalHold: false })))).toMatchObject({ code: "42501" });
  });

  it("the runtime role still cannot delete, not even expired entries, and the maintenance role cannot update", async () => {
    const { org, owner } = await orgWithOldHistory("NoDelete", 400);
    expect(await errorOf(withTenant(owner.claims, (tx) => tx.query("delete from public.audit_logs where org_id = $1", [org.id])))).toMatchObject({ code: "42501" });
    expect(await errorOf(withAuditMaintenance((tx) => tx.query("update public.audit_logs set action = 'x.y' where org_id = $1", [org.id])))).toMatchObject({ code: "42501" });
    expect(await rowsOf(org.id)).toHaveLength(5);
  });
});

/** A real failure of the database's audit insert for one org and action, installed as the owner. */
async function failAuditWrites(orgId: string, action: string) {
  const name = `fail_${orgId.slice(4, 20)}`;
  const db = await ownerDb();
  await db.query(`create or replace function public.${name}() returns trigger language plpgsql as $$
    begin
      if new.org_id = '${orgId}' and new.action = '${action}' then raise exception 'injected audit write failure'; end if;
      return new;
    end $$`);
  await db.query(`create trigger ${name} before insert on public.audit_logs for each row execute function public.${name}()`);
  return async () => {
    await db.query(`drop trigger ${name} on public.audit_logs`);
    await db.query(`drop function public.${name}()`);
  };
}

describe("AUD-4: an audit write failure never fails a record-only request, and rolls a change back", () => {
  it("a cross-tenant probe whose audit write fails still answers 404; the failure is counted, queued, and written on retry", async () => {
    expect(JOB_DEFINITIONS.map((j) => j.kind)).toContain("audit.retry");
    const a = await orgWithMembers("ProbeFail");
    const b = await orgWithMembers("ProbeTarget");
    const theirs = await createProject(b.member, { name: "Theirs" }, request());
    if (!theirs.ok) throw new Error("setup failed");
    const restore = await failAuditWrites(a.org.id, "security.cross_tenant_access");
    const failures = await counterValue("audit_write_failures_total");
    try {
      expect(await viewProject(a.member, { id: theirs.data.id }, request())).toMatchObject({ ok: false, status: 404 });
    } finally {
      await restore();
    }
    expect(await counterValue("audit_write_failures_total")).toBe(failures + 1);
    expect(await rowsOf(a.org.id)).toEqual([]);
    const [job] = await (await ownerDb()).query<{ kind: string; state: string }>("select kind, state from public.jobs where org_id = $1", [a.org.id]);
    expect(job).toMatchObject({ kind: "audit.retry", state: "pending" });
    expect(await checkAuditWriteFailures()).toMatchObject({ status: "warn", detail: expect.stringMatching(/failed in the last 24 hours/) });
    await drainJobs({ handlers: [auditRetryJob] });
    const rows = await rowsOf(a.org.id);
    expect(rows).toMatchObject([{ seq: 1, action: "security.cross_tenant_access", actor_type: "system", target_id: theirs.data.id, changes: { recorded_for: { actor_type: "user", actor_id: a.member.userId } } }]);
    expect((await verifyAuditChains(await ownerDb(), a.org.id)).breaks).toEqual([]);
  });

  it("a change whose audit write fails is rolled back with it", async () => {
    const { org, member } = await orgWithMembers("ChangeFail");
    const restore = await failAuditWrites(org.id, "project.created");
    try {
      expect(await createProject(member, { name: "Never" }, request())).toMatchObject({ ok: false });
    } finally {
      await restore();
    }
    expect(await (await ownerDb()).query("select id from public.projects where org_id = $1", [org.id])).toEqual([]);
    expect(await rowsOf(org.id)).toEqual([]);
  });
});
