import { afterAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { closeDb, ownerDb, withTenant } from "@/lib/db";
import { LIVE_CHECKS } from "@/lib/controls";
import { checkApiKeyHygiene, checkOrgSecondFactor, runControlChecks } from "@/lib/controls/checks";
import { runSecurityChecks, SECURITY_CHECKS_LIMIT } from "@/lib/security-center/run";
import { latestCheckRuns, recordCheckRuns } from "@/lib/security-center/runs";
import { controlRows } from "@/lib/security-center/controls-table";
import { securityCharts } from "@/lib/security-center/charts";
import SecurityPage from "@/app/(dashboard)/security/page";
import { createOrg, createUser, orgWithMembers, request, signIn, uid } from "../helpers/tenants";
import { inRolledBackOwnerTransaction } from "../helpers/owner-scratch";

// The Security Center (OPS-3): its org-scoped live checks fail (warn) when the state they watch for is planted, its
// runs are stored per org under row-level security and audited, and its page answers admins and everyone else.

afterAll(closeDb);

const keyRow = (orgId: string, over: { expires?: string | null; lastUsed?: string | null; created?: string } = {}) => [
  orgId,
  `tg_test_${uid().slice(0, 4).replace(/[^0-9a-z]/gi, "a")}`,
  randomUUID().replace(/-/g, "") + randomUUID().replace(/-/g, ""),
  "expires" in over ? over.expires : "30 days",
  over.lastUsed ?? "1 day",
  over.created ?? "1 day",
];

const INSERT_KEY = `insert into public.api_keys (org_id, name, prefix, key_hash, permissions, created_by, expires_at, last_used_at, created_at)
                   values ($1, 'k', $2, $3, array['read'], 'user_x', now() + $4::interval, now() - $5::interval, now() - $6::interval)`;

describe("org-scoped live checks (KEY-2, IDN-5)", () => {
  it("are declared, wired and run for one org", async () => {
    for (const id of ["api-key-hygiene", "org-second-factor"]) expect(Object.keys(LIVE_CHECKS)).toContain(id);
    const { org } = await orgWithMembers("Scoped");
    const results = await runControlChecks({ orgId: org.id });
    expect(results.find((r) => r.id === "api-key-hygiene")).toMatchObject({ status: "pass", detail: expect.stringMatching(/^0 live API key\(s\) in this organisation/) });
  });

  it("api-key-hygiene warns for a live key with no expiry, or unused for 90 days, in this org only; revoked and expired keys do not count", async () => {
    const a = await createOrg("HygieneA");
    const b = await createOrg("HygieneB");
    const r = await inRolledBackOwnerTransaction(async (tx) => {
      await tx.query(INSERT_KEY, keyRow(a.id));
      const fresh = await checkApiKeyHygiene({ orgId: a.id, db: tx });
      await tx.query(INSERT_KEY, keyRow(b.id, { expires: null }));
      const otherOrgsKey = await checkApiKeyHygiene({ orgId: a.id, db: tx });
      const everyOrg = await checkApiKeyHygiene({ db: tx });
      await tx.query(INSERT_KEY, keyRow(a.id, { expires: null }));
      const noExpiry = await checkApiKeyHygiene({ orgId: a.id, db: tx });
      await tx.query("update public.api_keys set revoked_at = now() where org_id = $1 and expires_at is null", [a.id]);
      const revoked = await checkApiKeyHygiene({ orgId: a.id, db: tx });
      await tx.query(INSERT_KEY, keyRow(a.id, { lastUsed: "91 days", created: "200 days" }));
      const unused = await checkApiKeyHygiene({ orgId: a.id, db: tx });
      await tx.query("update public.api_keys set last_used_at = null, created_at = now() - interval '120 days' where org_id = $1 and revoked_at is null and last_used_at < now() - interval '90 days'", [a.id]);
      const neverUsed = await checkApiKeyHygiene({ orgId: a.id, db: tx });
      await tx.query("update public.api_keys set expires_at = now() - interval '1 minute' where org_id = $1 and last_used_at is null", [a.id]);
      const expired = await checkApiKeyHygiene({ orgId: a.id, db: tx });
      return { fresh, otherOrgsKey, everyOrg, noExpiry, revoked, unused, neverUsed, expired };
    });
    expect(r.fresh).toMatchObject({ status: "pass", detail: expect.stringMatching(/^1 live API key\(s\) in this organisation/) });
    expect(r.otherOrgsKey.status).toBe("pass");
    expect(r.everyOrg).toMatchObject({ status: "warn", detail: expect.stringMatching(/in any organisation, [1-9][0-9]* never expire/) });
    expect(r.noExpiry).toMatchObject({ status: "warn", detail: expect.stringMatching(/^Of 2 live API key\(s\) in this organisation, 1 never expire \(tg_test_/) });
    expect(r.revoked.status).toBe("pass");
    expect(r.unused).toMatchObject({ status: "warn", detail: expect.stringMatching(/1 not used for 90 days or more/) });
    expect(r.neverUsed).toMatchObject({ status: "warn", detail: expect.stringMatching(/1 not used for 90 days or more/) });
    expect(r.expired.status).toBe("pass");
  });

  it("org-second-factor warns while the org does not require it, and while an owner or admin has no second factor; passes once both hold", async () => {
    const org = await createOrg("Mfa");
    const owner = await createUser([{ orgId: org.id, role: "owner" }]);
    const admin = await createUser([{ orgId: org.id, role: "admin" }]);
    await createUser([{ orgId: org.id, role: "member" }]); // members are not counted
    const r = await inRolledBackOwnerTransaction(async (tx) => {
      const notRequired = await checkOrgSecondFactor({ orgId: org.id, db: tx });
      await tx.query("update public.organizations set require_second_factor = true where id = $1", [org.id]);
      const required = await checkOrgSecondFactor({ orgId: org.id, db: tx });
      await tx.query("insert into idp.totp_factors (user_id, secret, confirmed_at) values ($1, 'JBSWY3DPEHPK3PXPJBSWY3DP', now())", [owner]);
      await tx.query("insert into idp.totp_factors (user_id, secret, confirmed_at) values ($1, 'JBSWY3DPEHPK3PXPJBSWY3DP', null)", [admin]);
      const unconfirmed = await checkOrgSecondFactor({ orgId: org.id, db: tx });
      await tx.query("insert into idp.passkeys (credential_id, user_id, public_key) values ($1, $2, $3)", [`cred_${uid()}${uid()}`, admin, Buffer.alloc(32, 1)]);
      const enrolled = await checkOrgSecondFactor({ orgId: org.id, db: tx });
      return { notRequired, required, unconfirmed, enrolled };
    });
    expect(r.notRequired).toMatchObject({ status: "warn", detail: expect.stringMatching(/does not require two-step verification.*2 of 2 owner\(s\) and admin\(s\) have no second factor/) });
    expect(r.required).toMatchObject({ status: "warn", detail: expect.stringMatching(/^This organisation requires two-step verification.*2 of 2/) });
    expect(r.unconfirmed).toMatchObject({ status: "warn", detail: expect.stringMatching(/1 of 2 owner\(s\) and admin\(s\) have no second factor/) });
    expect(r.enrolled).toMatchObject({ status: "pass", detail: expect.stringMatching(/Every owner and admin has a second factor enrolled/) });
  });
});

describe("Security Center runs (OPS-3, TEN-1, TEN-3, AUD-3)", () => {
  it("an admin's Run now stores the outcome in the org, audited; the page shows it as the control's status and last run", async () => {
    const { org, admin } = await orgWithMembers("RunNow");
    const before = await SecurityPage.readFor(admin, undefined, request());
    if (before.kind !== "ok" || before.data.kind !== "admin") throw new Error("page");
    expect(before.data.rows.find((r) => r.id === "KEY-2")!.status).toBe("not_run");

    const result = await runSecurityChecks(admin, { check: "api-key-hygiene" }, request());
    expect(result).toMatchObject({ ok: true, data: { checks: 1, counts: { pass: 1, fail: 0, warn: 0, not_applicable: 0 } } });
    const runId = result.ok ? result.data.runId : "";

    const db = await ownerDb();
    const rows = await db.query<{ org_id: string; check_id: string; status: string; ran_by: string }>("select org_id, check_id, status, ran_by from public.control_check_runs where run_id = $1", [runId]);
    expect(rows).toEqual([{ org_id: org.id, check_id: "api-key-hygiene", status: "pass", ran_by: admin.userId }]);
    const [entry] = await db.query<{ actor_id: string; changes: Record<string, unknown> }>("select actor_id, changes from public.audit_logs where org_id = $1 and action = 'controls.checks_run' and target_id = $2", [org.id, runId]);
    expect(entry).toMatchObject({ actor_id: admin.userId, changes: { scope: "api-key-hygiene", checks: 1, pass: 1, failed: [] } });

    const after = await SecurityPage.readFor(admin, undefined, request());
    if (after.kind !== "ok" || after.data.kind !== "admin") throw new Error("page");
    const key2 = after.data.rows.find((r) => r.id === "KEY-2")!;
    expect(key2.checks.find((c) => c.id === "api-key-hygiene")!.run).toMatchObject({ status: "pass" });
    expect(after.data.history[0]).toMatchObject({ runId, checks: 1, failed: 0 });
    // The audit entry it wrote is in the activity chart's today.
    expect(after.data.charts.auditActivity.at(-1)!.count).toBeGreaterThan(0);
  });

  it("Run all runs every check scoped to the org and stores one row per check", async () => {
    const { org, owner } = await orgWithMembers("RunAll");
    const result = await runSecurityChecks(owner, { check: "all" }, request());
    if (!result.ok) throw new Error(result.message);
    expect(result.data.checks).toBe(Object.keys(LIVE_CHECKS).length);
    const [{ n } = { n: 0 }] = await (await ownerDb()).query<{ n: number }>("select count(distinct check_id)::int as n from public.control_check_runs where org_id = $1 and run_id = $2", [org.id, result.data.runId]);
    expect(n).toBe(Object.keys(LIVE_CHECKS).length);
  }, 60_000);

  it("members, guests and read-only support sessions cannot run checks; an unknown check is refused; nothing is stored", async () => {
    const { org, member } = await orgWithMembers("RunRefused");
    const guestId = await createUser([{ orgId: org.id, role: "guest" }]);
    const guest = (await signIn(guestId, { ...org, role: "guest" })).session;
    expect(await runSecurityChecks(member, { check: "all" }, request())).toMatchObject({ ok: false, code: "forbidden" });
    expect(await runSecurityChecks(guest, { check: "api-key-hygiene" }, request())).toMatchObject({ ok: false, code: "forbidden" });
    expect(await runSecurityChecks(null, { check: "all" }, request())).toMatchObject({ ok: false, code: "unauthenticated" });
    const { admin } = await orgWithMembers("RunUnknown");
    expect(await runSecurityChecks(admin, { check: "drop-tables" }, request())).toMatchObject({ ok: false, code: "invalid_input" });
    expect(await runSecurityChecks({ ...admin, actor: { sub: "staff_1" }, support: { operatorId: "staff_1", level: "read" } } as never, { check: "all" }, request())).toMatchObject({ ok: false, code: "forbidden" });
    const [{ n } = { n: 0 }] = await (await ownerDb()).query<{ n: number }>("select count(*)::int as n from public.control_check_runs where org_id = $1", [org.id]);
    expect(n).toBe(0);
  });

  it("runs are rate-limited per org", async () => {
    const { admin } = await orgWithMembers("RunLimit");
    const outcomes = [];
    for (let i = 0; i <= SECURITY_CHECKS_LIMIT.limit; i++) outcomes.push(await runSecurityChecks(admin, { check: "org-second-factor" }, request()));
    expect(outcomes.slice(0, SECURITY_CHECKS_LIMIT.limit).every((o) => o.ok)).toBe(true);
    expect(outcomes.at(-1)).toMatchObject({ ok: false, code: "rate_limited", message: expect.stringMatching(/^Checks were run too often/) });
  });

  it("stored runs are the org's own: another org's admin sees none, a member reads none, and nobody writes a run for someone else", async () => {
    const a = await orgWithMembers("RunsA");
    const b = await orgWithMembers("RunsB");
    const runId = randomUUID();
    await withTenant(a.admin.claims, (tx) => recordCheckRuns(tx, { orgId: a.org.id, ranBy: a.admin.userId, runId, results: [{ id: "rls-coverage", status: "fail", detail: "planted", durationMs: 1 }] }));
    expect((await withTenant(a.owner.claims, latestCheckRuns)).get("rls-coverage")).toMatchObject({ status: "fail", detail: "planted" });
    expect((await withTenant(b.admin.claims, latestCheckRuns)).size).toBe(0);
    expect((await withTenant(a.member.claims, latestCheckRuns)).size).toBe(0);
    // A failed check decides its controls' status.
    const rows = controlRows(await withTenant(a.admin.claims, latestCheckRuns));
    expect(rows.find((r) => r.id === "TEN-5")).toMatchObject({ status: "fail", decidedBy: "rls-coverage" });
    await expect(withTenant(a.member.claims, (tx) => recordCheckRuns(tx, { orgId: a.org.id, ranBy: a.member.userId, runId: randomUUID(), results: [{ id: "rls-coverage", status: "pass", detail: "x", durationMs: 1 }] }))).rejects.toThrow(/row-level security/);
    await expect(withTenant(a.admin.claims, (tx) => recordCheckRuns(tx, { orgId: a.org.id, ranBy: a.owner.userId, runId: randomUUID(), results: [{ id: "rls-coverage", status: "pass", detail: "x", durationMs: 1 }] }))).rejects.toThrow(/row-level security/);
    await expect(withTenant(b.admin.claims, (tx) => recordCheckRuns(tx, { orgId: a.org.id, ranBy: b.admin.userId, runId: randomUUID(), results: [{ id: "rls-coverage", status: "pass", detail: "x", durationMs: 1 }] }))).rejects.toThrow(/row-level security/);
    await expect(withTenant(a.admin.claims, (tx) => tx.query("update public.control_check_runs set status = 'pass' where run_id = $1", [runId]))).rejects.toThrow(/permission denied/);
  });

  it("the page explains it is for admins to members and reads nothing for them; a guest gets 404 (TEN-7)", async () => {
    const { org, member } = await orgWithMembers("AdminsOnly");
    const guest = (await signIn(await createUser([{ orgId: org.id, role: "guest" }]), { ...org, role: "guest" })).session;
    expect(await SecurityPage.readFor(member, undefined, request())).toMatchObject({ kind: "ok", data: { kind: "admins_only" } });
    expect(await SecurityPage.readFor(guest, undefined, request())).toEqual({ kind: "not_found" });
  });
});

describe("Security Center charts (org-scoped through RLS)", () => {
  it("count the org's own audit entries, security events by severity, rate-limited key requests and webhook outcomes, one point per day", async () => {
    const a = await orgWithMembers("ChartsA");
    const b = await orgWithMembers("ChartsB");
    const db = await ownerDb();
    const [key] = await db.query<{ id: string }>(
      `insert into public.api_keys (org_id, name, prefix, key_hash, permissions, created_by) values ($1, 'k', 'tg_test_abcd', $2, array['read'], 'user_x') returning id::text`,
      [a.org.id, randomUUID().replace(/-/g, "") + randomUUID().replace(/-/g, "")],
    );
    await db.query("insert into public.key_verifications (org_id, key_id, outcome, reason, repeats) values ($1, $2, 'failure', 'rate_limited', 3), ($1, $2, 'success', null, 1)", [a.org.id, key!.id]);
    await db.query(
      `insert into public.webhook_events (provider, event_id, event_type, status, org_id, payload) values ('stripe', $2, 't', 'processed', $1, '{}'), ('stripe', $3, 't', 'failed', $1, '{}')`,
      [a.org.id, `evt_${uid()}`, `evt_${uid()}`],
    );
    const { appendAudit } = await import("@/lib/audit/writer");
    await withTenant(a.admin.claims, (tx) => appendAudit(tx, { orgId: a.org.id, actorType: "user", actorId: a.admin.userId, action: "security.cross_tenant_access", targetType: null, targetId: null, changes: {} }));

    const charts = await withTenant(a.admin.claims, (tx) => securityCharts(tx, 7));
    expect(charts.auditActivity).toHaveLength(7);
    expect(charts.auditActivity.at(-1)!.count).toBeGreaterThanOrEqual(1);
    expect(charts.rateLimitHits.at(-1)!.count).toBe(3);
    expect(charts.webhookOutcomes.at(-1)).toMatchObject({ processed: 1, failed: 1, ignored: 0 });
    expect(charts.eventsBySeverity.find((s) => s.severity === "medium")!.count).toBe(1);

    const other = await withTenant(b.admin.claims, (tx) => securityCharts(tx, 7));
    expect(other.rateLimitHits.reduce((s, d) => s + d.count, 0)).toBe(0);
    expect(other.webhookOutcomes.reduce((s, d) => s + d.processed + d.failed, 0)).toBe(0);
    expect(other.eventsBySeverity.reduce((s, d) => s + d.count, 0)).toBe(0);
  });
});
