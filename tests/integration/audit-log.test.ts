import { execFile } from "node:child_process";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb, withTenant } from "@/lib/db";
import { GENESIS_HASH } from "@/lib/audit/chain";
import { verifyAuditChains } from "@/lib/audit/verify";
import { appendAudit } from "@/lib/audit/writer";
import { createProject, deleteProject, renameProject, viewProject } from "@/lib/projects";
import { formatAuditReport } from "@/scripts/verify-audit-chain";
import { orgWithMembers, putOnPlan, request } from "../helpers/tenants";

afterAll(closeDb);

const onPostgres = Boolean(process.env.DATABASE_URL);

interface ChainRow {
  id: number;
  seq: number;
  action: string;
  prev_hash: string;
  hash: string;
}

/** An org (fresh per test, so tampering never affects another test) with a few real, audited actions. */
async function orgWithHistory(name: string) {
  const org = await orgWithMembers(name);
  const other = await orgWithMembers(`${name} Other`);
  const a = await createProject(org.member, { name: "Alpha" }, request());
  const b = await createProject(org.admin, { name: "Beta" }, request());
  const theirs = await createProject(other.member, { name: "Theirs" }, request());
  if (!a.ok || !b.ok || !theirs.ok) throw new Error("setup failed");
  expect(await renameProject(org.member, { id: a.data.id, name: "Alpha 2" }, request())).toMatchObject({ ok: true });
  expect(await deleteProject(org.owner, { id: b.data.id }, request())).toMatchObject({ ok: true });
  // TEN-4: a probe of another org's id is a security event in this org's chain.
  expect(await viewProject(org.member, { id: theirs.data.id }, request())).toMatchObject({ ok: false, status: 404 });
  const rows = await chainOf(org.org.id);
  expect(rows.map((r) => r.action)).toEqual(["project.created", "project.created", "project.renamed", "project.deleted", "security.cross_tenant_access"]);
  return { ...org, rows };
}

async function chainOf(orgId: string): Promise<ChainRow[]> {
  return (await ownerDb()).query<ChainRow>("select id, seq, action, prev_hash, hash from public.audit_logs where org_id = $1 order by seq", [orgId]);
}

/** As the tables' owner, with the append-only trigger off for this one transaction only: what an attacker with owner access could do. */
async function tamper(...statements: [sql: string, params: unknown[]][]) {
  await (await ownerDb()).transaction(async (tx) => {
    await tx.query("alter table public.audit_logs disable trigger audit_logs_append_only");
    for (const [sql, params] of statements) await tx.query(sql, params);
    await tx.query("alter table public.audit_logs enable trigger audit_logs_append_only");
  });
}

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (e: unknown) => e as { code?: string; message?: string },
  );

describe("AUD-1: audit_logs is append-only for the runtime role", () => {
  it("UPDATE, DELETE and TRUNCATE are refused, even for an org owner (each in its own transaction)", async () => {
    const { owner, rows } = await orgWithHistory("AppendOnly");
    for (const sql of [
      "update public.audit_logs set action = 'project.tampered'",
      `update public.audit_logs set changes = '{}'::jsonb where id = ${rows[0]!.id}`,
      "delete from public.audit_logs",
      `delete from public.audit_logs where id = ${rows[0]!.id}`,
      "truncate public.audit_logs",
    ]) {
      const error = await errorOf(withTenant(owner.claims, (tx) => tx.query(sql)));
      expect(error, sql).not.toBeNull();
      expect(error!.code, sql).toBe("42501"); // permission denied: no UPDATE/DELETE/TRUNCATE grant
    }
    expect(await chainOf(owner.orgId!)).toEqual(rows);
  });

  it("the append-only triggers stop even the owner from changing or removing entries", async () => {
    const { owner, rows } = await orgWithHistory("Trigger");
    const db = await ownerDb();
    const update = await errorOf(db.query("update public.audit_logs set action = 'project.tampered' where id = $1", [rows[1]!.id]));
    expect(update?.message).toMatch(/append-only: UPDATE is not allowed/);
    const del = await errorOf(db.query("delete from public.audit_logs where id = $1", [rows[1]!.id]));
    expect(del?.message).toMatch(/append-only: DELETE is not allowed/);
    // TRUNCATE inside a transaction that is rolled back whatever happens, so a regression could never empty the table.
    const truncate = await errorOf(
      db.transaction(async (tx) => {
        await tx.query("truncate public.audit_logs");
        throw new Error("TRUNCATE was not refused");
      }),
    );
    expect(truncate?.message).toMatch(/append-only: TRUNCATE is not allowed/);
    expect(await chainOf(owner.orgId!)).toEqual(rows);
  });

  it("an entry claiming another org is refused (RLS and the chain-head guard)", async () => {
    const { owner } = await orgWithHistory("Forger");
    const victim = await orgWithMembers("Victim");
    const forged = await errorOf(
      withTenant(owner.claims, (tx) =>
        tx.query(
          `insert into public.audit_logs (org_id, seq, actor_type, actor_id, action, changes, created_at, prev_hash, hash)
           values ($1, 1, 'user', $2, 'project.deleted', '{}'::jsonb, now(), $3, $3)`,
          [victim.org.id, owner.userId, GENESIS_HASH],
        ),
      ),
    );
    expect(forged).toMatchObject({ code: "42501" });
    expect(forged!.message).toMatch(/row-level security/);

    const viaWriter = await errorOf(
      withTenant(owner.claims, (tx) => appendAudit(tx, { orgId: victim.org.id, actorType: "user", actorId: owner.userId, action: "project.deleted" })),
    );
    expect(viaWriter).toMatchObject({ code: "42501" });
    expect(await chainOf(victim.org.id)).toEqual([]);
  });

  it("members cannot read the org's audit log; admins and owners read only their own org's", async () => {
    const { member, admin, owner, rows } = await orgWithHistory("Readers");
    const other = await orgWithHistory("Readers Two");
    const read = (claims: typeof member.claims) =>
      withTenant(claims, (tx) => tx.query<{ org_id: string; seq: number }>("select org_id, seq from public.audit_logs order by seq"));

    expect(await read(member.claims)).toEqual([]);
    for (const reader of [admin, owner]) {
      const seen = await read(reader.claims);
      expect(seen.map((r) => r.seq)).toEqual(rows.map((r) => r.seq));
      expect(new Set(seen.map((r) => r.org_id))).toEqual(new Set([reader.orgId]));
    }
    expect((await read(other.admin.claims)).every((r) => r.org_id === other.org.id)).toBe(true);
  });
});

describe("AUD-2: the per-org hash chain detects tampering", () => {
  it("is intact after real actions", async () => {
    const { org, rows } = await orgWithHistory("Intact");
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(await verifyAuditChains(await ownerDb(), org.id)).toEqual({ orgs: 1, entries: 5, breaks: [] });
    expect(formatAuditReport({ orgs: 1, entries: 5, breaks: [] }, org.id).exitCode).toBe(0);
  });

  it("reports a modified entry as hash-mismatch at its seq", async () => {
    const { org, rows } = await orgWithHistory("Modified");
    const target = rows[2]!;
    await tamper(["update public.audit_logs set action = 'project.created' where id = $1", [target.id]]);
    expect((await chainOf(org.id))[2]!.action).toBe("project.created");

    const result = await verifyAuditChains(await ownerDb(), org.id);
    expect(result.breaks).toEqual([{ orgId: org.id, id: target.id, seq: 3, reason: "hash-mismatch" }]);
    const report = formatAuditReport(result, org.id);
    expect(report.exitCode).toBe(1);
    expect(report.lines.join("\n")).toContain(`BROKEN org=${org.id} seq=3 id=${target.id} reason=hash-mismatch`);
  });

  it("reports modified changes (jsonb) as hash-mismatch", async () => {
    const { org, rows } = await orgWithHistory("Changes");
    const target = rows[0]!;
    await tamper([`update public.audit_logs set changes = '{"name":"Something else"}'::jsonb where id = $1`, [target.id]]);
    expect((await verifyAuditChains(await ownerDb(), org.id)).breaks).toEqual([{ orgId: org.id, id: target.id, seq: 1, reason: "hash-mismatch" }]);
  });

  // Every column but id, set to another value of its type (AUD-2: the hash covers actor, target, IP, user agent,
  // request id and the rest). Each is tampered in its own owner transaction, verified there, and rolled back.
  const TAMPERS: [column: string, set: string][] = [
    ["org_id", "org_id = org_id || 'x'"],
    ["seq", "seq = seq + 100"],
    ["actor_type", "actor_type = case when actor_type = 'system' then 'user' else 'system' end"],
    ["actor_id", "actor_id = coalesce(actor_id, '') || 'x'"],
    ["action", "action = 'project.tampered'"],
    ["target_type", "target_type = coalesce(target_type, '') || 'x'"],
    ["target_id", "target_id = coalesce(target_id, '') || 'x'"],
    ["ip", "ip = '198.51.100.250'"],
    ["user_agent", "user_agent = 'forged-agent/1.0'"],
    ["request_id", "request_id = 'req-forged-0000'"],
    ["changes", `changes = changes || '{"forged":true}'::jsonb`],
    ["created_at (a second)", "created_at = created_at + interval '1 second'"],
    ["created_at (a microsecond)", "created_at = created_at + interval '1 microsecond'"],
    ["prev_hash", "prev_hash = repeat('f', 64)"],
    ["hash", "hash = repeat('e', 64)"],
  ];

  it("detects a change to any column of an entry (each tampered alone, then rolled back)", async () => {
    const { org, rows } = await orgWithHistory("Every Column");
    const target = rows[1]!;
    const db = await ownerDb();
    const verdicts: Record<string, unknown> = {};
    for (const [column, set] of TAMPERS) {
      await errorOf(
        db.transaction(async (tx) => {
          await tx.query("alter table public.audit_logs disable trigger audit_logs_append_only");
          await tx.query(`update public.audit_logs set ${set} where id = $1`, [target.id]);
          const { breaks } = await verifyAuditChains(tx, org.id);
          verdicts[column] = breaks.length > 0 ? breaks[0]!.seq : "not detected";
          throw new Error("roll back");
        }),
      );
    }
    // Found at the tampered entry (seq 2); an entry moved to another org or renumbered leaves a gap at seq 3.
    expect(verdicts).toEqual(Object.fromEntries(TAMPERS.map(([column]) => [column, column === "org_id" || column === "seq" ? 3 : 2])));
    expect(await verifyAuditChains(db, org.id)).toMatchObject({ breaks: [] });
  });

  it("the hash covers every column of audit_logs but id, prev_hash and hash", async () => {
    const columns = await (await ownerDb()).query<{ column_name: string }>(
      "select column_name from information_schema.columns where table_schema = 'public' and table_name = 'audit_logs' order by column_name",
    );
    // act_sub (TEN-8) is hashed when set (an entry without it hashes as before the column existed).
    const hashed = ["act_sub", "action", "actor_id", "actor_type", "changes", "created_at", "ip", "org_id", "request_id", "seq", "target_id", "target_type", "user_agent"];
    expect(columns.map((c) => c.column_name).filter((c) => !["id", "prev_hash", "hash"].includes(c))).toEqual(hashed);
    // And the writer hashes exactly those (the known-answer vector in tests/unit/audit-chain.test.ts pins the form).
    const { org } = await orgWithHistory("Columns");
    const [row] = await (await ownerDb()).query<Record<string, unknown>>(
      `select ${hashed.join(", ")} from public.audit_logs where org_id = $1 and seq = 1`,
      [org.id],
    );
    expect(Object.keys(row!).sort()).toEqual(hashed);
  });

  it("reports a removed middle entry as a sequence gap at the next entry", async () => {
    const { org, rows } = await orgWithHistory("Removed");
    await tamper(["delete from public.audit_logs where id = $1", [rows[1]!.id]]);
    const result = await verifyAuditChains(await ownerDb(), org.id);
    expect(result.entries).toBe(4);
    expect(result.breaks).toEqual([{ orgId: org.id, id: rows[2]!.id, seq: 3, reason: "sequence-gap" }]);
  });

  it("reports entries removed from the end of the chain against the anchored head (missing-tail)", async () => {
    const { org, rows } = await orgWithHistory("Truncated");
    await tamper(["delete from public.audit_logs where id = $1", [rows[4]!.id]], ["delete from public.audit_logs where id = $1", [rows[3]!.id]]);
    const result = await verifyAuditChains(await ownerDb(), org.id);
    expect(result.entries).toBe(3);
    expect(result.breaks).toEqual([{ orgId: org.id, id: rows[2]!.id, seq: 5, reason: "missing-tail" }]);
  });

  it("reports a chain emptied entirely as missing-tail", async () => {
    const { org, rows } = await orgWithHistory("Emptied");
    await tamper(...rows.map((r): [string, unknown[]] => ["delete from public.audit_logs where id = $1", [r.id]]));
    expect((await verifyAuditChains(await ownerDb(), org.id)).breaks).toEqual([{ orgId: org.id, id: 0, seq: 5, reason: "missing-tail" }]);
  });

  it("a member cannot append an entry in another user's name", async () => {
    const { member, admin } = await orgWithMembers("Impersonation");
    await expect(
      withTenant(member.claims, (tx) => appendAudit(tx, { orgId: member.orgId!, actorType: "user", actorId: admin.userId, action: "project.deleted" })),
    ).rejects.toThrow(/row-level security/);
  });

  it("reports a removed entry whose successor was renumbered as previous-hash-mismatch", async () => {
    const { org, rows } = await orgWithHistory("Renumbered");
    // Close the gap: renumber the later entries one by one (the (org_id, seq) key is checked row by row).
    await tamper(
      ["delete from public.audit_logs where id = $1", [rows[1]!.id]],
      ...rows.slice(2).map((r): [string, unknown[]] => ["update public.audit_logs set seq = seq - 1 where id = $1", [r.id]]),
    );
    expect((await verifyAuditChains(await ownerDb(), org.id)).breaks).toEqual([{ orgId: org.id, id: rows[2]!.id, seq: 2, reason: "previous-hash-mismatch" }]);
  });

  it.skipIf(!onPostgres)("scripts/verify-audit-chain.ts exits non-zero naming the broken entry (child process, PostgreSQL only)", async () => {
    const intact = await orgWithHistory("Script Intact");
    const ok = await runVerifyScript(["--org", intact.org.id]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`org ${intact.org.id}): 1 org(s), 5 entries checked; every chain is intact.`);

    const { org, rows } = await orgWithHistory("Script Broken");
    await tamper(["update public.audit_logs set action = 'project.created' where id = $1", [rows[3]!.id]]);
    const broken = await runVerifyScript(["--org", org.id]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`BROKEN org=${org.id} seq=4 id=${rows[3]!.id} reason=hash-mismatch`);

    const usage = await runVerifyScript(["--org", "not-an-org"]);
    expect(usage.code).toBe(2);
  });

  it("50 concurrent appends form one linear chain", async () => {
    const org = await orgWithMembers("Concurrent");
    await putOnPlan(org.org.id, "pro"); // 50 projects: more than the Free plan allows (BIL-1)
    const sessions = [org.owner, org.admin, org.member];
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => createProject(sessions[i % 3]!, { name: `Concurrent ${i}` }, request())),
    );
    expect(results.filter((r) => !r.ok)).toEqual([]);

    const rows = await chainOf(org.org.id);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    rows.forEach((row, i) => expect(row.prev_hash, `prev_hash of seq ${row.seq}`).toBe(i === 0 ? GENESIS_HASH : rows[i - 1]!.hash));
    expect(new Set(rows.map((r) => r.hash)).size).toBe(50);
    expect(await verifyAuditChains(await ownerDb(), org.org.id)).toEqual({ orgs: 1, entries: 50, breaks: [] });
  });

  it("50 concurrent direct appendAudit transactions form one linear chain", async () => {
    const org = await orgWithMembers("Concurrent Direct");
    const appended = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        withTenant(org.member.claims, (tx) =>
          appendAudit(tx, { orgId: org.org.id, actorType: "user", actorId: org.member.userId, action: "test.appended", changes: { i } }),
        ),
      ),
    );
    expect(appended.map((a) => a.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const rows = await chainOf(org.org.id);
    rows.forEach((row, i) => expect(row.prev_hash).toBe(i === 0 ? GENESIS_HASH : rows[i - 1]!.hash));
    expect(await verifyAuditChains(await ownerDb(), org.org.id)).toEqual({ orgs: 1, entries: 50, breaks: [] });
  });
});

/** Runs the verifier as an operator would, with this process's environment (same databases). */
function runVerifyScript(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const tsx = path.join(process.cwd(), "node_modules", ".bin", "tsx");
  return new Promise((resolve) => {
    execFile(
      tsx,
      ["--conditions=react-server", "scripts/verify-audit-chain.ts", ...args],
      { cwd: process.cwd(), env: process.env, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
