import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb, withTenant } from "@/lib/db";
import { auditSigningKey, checkpointOrg, latestSinkCheckpoint, latestStoredCheckpoint } from "@/lib/audit/checkpoints";
import { noteSecurityEvent } from "@/lib/audit/alerts";
import { SECURITY_EVENT, SECURITY_EVENTS, severityOf } from "@/lib/audit/events";
import { buildAuditExport } from "@/lib/audit/export";
import { verifyAuditExport } from "@/lib/audit/offline";
import { auditCheckpointSchedule } from "@/lib/audit/schedule";
import { parsePublicKey, publicKeyDocument, signCheckpoint, type SigningKey } from "@/lib/audit/signing";
import { verifyAuditChains } from "@/lib/audit/verify";
import { registerSchedules, runDueSchedules } from "@/lib/jobs";
import { SCHEDULE_DEFINITIONS } from "@/lib/jobs/schedule-registry";
import { counterValue } from "@/lib/observability/metrics";
import { GET as auditKeyDocument } from "@/app/.well-known/tenantguard-audit-key/route";
import { verifyExportFile } from "@/scripts/verify-audit-chain";
import { checkAuditCheckpoints } from "@/lib/controls/checks";
import { uid } from "../helpers/tenants";
import { orgWithHistory, rewriteChain, rowsOf } from "../helpers/audit";

afterAll(closeDb);

function otherKey(keyId = "v1"): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { keyId, privateKey, publicKey };
}

describe("AUD-5: signed checkpoints of each org's chain head", () => {
  it("the scheduled audit.checkpoint task signs every grown head, stores it and writes it to the sink; the chain verifies against it", async () => {
    expect(SCHEDULE_DEFINITIONS.map((s) => s.name)).toContain("audit.checkpoint");
    const { org } = await orgWithHistory("Scheduled");
    const db = await ownerDb();
    await registerSchedules([auditCheckpointSchedule]);
    await db.query("update private.scheduled_tasks set next_run_at = now() - interval '1 second', locked_until = null, lease_token = null where name = $1", [auditCheckpointSchedule.name]);
    const runs = await runDueSchedules({ schedules: [auditCheckpointSchedule] });
    expect(runs).toMatchObject([{ name: "audit.checkpoint", outcome: "succeeded" }]);
    expect((runs[0]!.result as { signed: number }).signed).toBeGreaterThanOrEqual(1);
    const rows = await rowsOf(org.id);
    const stored = await latestStoredCheckpoint(db, org.id);
    expect(stored).toMatchObject({ org_id: org.id, seq: 5, hash: rows[4]!.hash, key_id: auditSigningKey().keyId });
    expect(await latestSinkCheckpoint(org.id)).toEqual(stored);
    expect(await verifyAuditChains(db, org.id)).toEqual({ orgs: 1, entries: 5, breaks: [] });
    expect(await checkAuditCheckpoints({ orgId: org.id })).toMatchObject({ status: "pass" });
    // The key never reaches the database: no column of any checkpoint holds it.
    const pkcs8 = auditSigningKey().privateKey.export({ format: "der", type: "pkcs8" }).toString("base64");
    expect(JSON.stringify(await db.query("select * from public.audit_checkpoints where org_id = $1", [org.id]))).not.toContain(pkcs8.slice(-43));
  });

  it("a chain rewritten with its head as the owner verifies without a checkpoint, and is detected against the signed one", async () => {
    const unanchored = await orgWithHistory("RewriteBare");
    // The live check names a chain with no signed checkpoint yet.
    await (await ownerDb()).query("update private.audit_heads set updated_at = now() - interval '1 day' where org_id = $1", [unanchored.org.id]);
    expect(await checkAuditCheckpoints({ orgId: unanchored.org.id })).toMatchObject({ status: "warn" });
    await rewriteChain(unanchored.org.id, (rows) => rows.map((r, i) => (i === 2 ? { ...r, actor_id: "user_someone_else" } : r)));
    expect((await verifyAuditChains(await ownerDb(), unanchored.org.id)).breaks).toEqual([]);

    const { org, admin } = await orgWithHistory("Rewrite");
    expect(await checkpointOrg(admin.claims, org.id)).toMatchObject({ seq: 5 });
    await rewriteChain(org.id, (rows) => rows.map((r, i) => (i === 2 ? { ...r, actor_id: "user_someone_else" } : r)));
    expect((await verifyAuditChains(await ownerDb(), org.id)).breaks).toMatchObject([{ orgId: org.id, seq: 5, reason: "checkpoint-mismatch" }]);
  });

  it("deleting the newest entries (head moved back) and reordering entries are detected against the checkpoint", async () => {
    const cut = await orgWithHistory("CutTail");
    await checkpointOrg(cut.admin.claims, cut.org.id);
    await rewriteChain(cut.org.id, (rows) => rows.slice(0, 3));
    expect((await verifyAuditChains(await ownerDb(), cut.org.id)).breaks).toMatchObject([{ orgId: cut.org.id, seq: 5, reason: "checkpoint-mismatch" }]);

    const reordered = await orgWithHistory("Reorder");
    await checkpointOrg(reordered.admin.claims, reordered.org.id);
    await rewriteChain(reordered.org.id, (rows) => [rows[0]!, rows[2]!, rows[1]!, rows[3]!, rows[4]!]);
    expect((await verifyAuditChains(await ownerDb(), reordered.org.id)).breaks).toMatchObject([{ seq: 5, reason: "checkpoint-mismatch" }]);
  });

  it("the owner removing the stored checkpoints too is still detected through the external sink", async () => {
    const { org, admin } = await orgWithHistory("SinkOnly");
    await checkpointOrg(admin.claims, org.id);
    await rewriteChain(org.id, (rows) => rows.slice(0, 4), [
      ["alter table public.audit_checkpoints disable trigger audit_checkpoints_append_only", []],
      ["delete from public.audit_checkpoints where org_id = $1", [org.id]],
      ["alter table public.audit_checkpoints enable trigger audit_checkpoints_append_only", []],
    ]);
    expect(await latestStoredCheckpoint(await ownerDb(), org.id)).toBeNull();
    expect((await verifyAuditChains(await ownerDb(), org.id)).breaks).toMatchObject([{ seq: 5, reason: "checkpoint-mismatch" }]);
    // Without the sink only the database's (removed) copy was there to compare with.
    expect((await verifyAuditChains(await ownerDb(), org.id, { sinkRoot: null })).breaks).toEqual([]);
  });

  it("a checkpoint signed with another key is refused, and a genuine one does not verify under another public key", async () => {
    const { org, admin } = await orgWithHistory("Forged");
    await checkpointOrg(admin.claims, org.id);
    const sinkRoot = await mkdtemp(path.join(tmpdir(), "tg-he-sink-"));
    expect((await verifyAuditChains(await ownerDb(), org.id, { publicKeys: parsePublicKey(publicKeyDocument(otherKey("dev")).pem, "dev"), sinkRoot })).breaks).toMatchObject([
      { orgId: org.id, reason: "checkpoint-signature-invalid" },
    ]);
    // The owner rewrites the chain and signs a checkpoint of the new head with a key of their own, under the same key id.
    await rewriteChain(org.id, (rows) => rows.slice(0, 4));
    const [head] = await (await ownerDb()).query<{ seq: number; hash: string }>("select seq, hash from private.audit_heads where org_id = $1", [org.id]);
    const forged = signCheckpoint(otherKey(auditSigningKey().keyId), { org_id: org.id, seq: 6, hash: head!.hash, signed_at: new Date().toISOString(), purpose: "head" });
    await (await ownerDb()).query("insert into public.audit_checkpoints (org_id, seq, hash, signed_at, key_id, signature) values ($1, $2, $3, $4, $5, $6)", [
      forged.org_id, forged.seq, forged.hash, forged.signed_at, forged.key_id, forged.signature,
    ]);
    expect((await verifyAuditChains(await ownerDb(), org.id, { sinkRoot })).breaks).toMatchObject([{ seq: 6, reason: "checkpoint-signature-invalid" }]);
    expect(await checkAuditCheckpoints({ orgId: org.id })).toMatchObject({ status: "fail" });
  });

  it("the public key is published at /.well-known/tenantguard-audit-key and verifies the deployment's checkpoints", async () => {
    const response = auditKeyDocument();
    expect(response.status).toBe(200);
    const doc = (await response.json()) as { key_id: string; alg: string; pem: string; jwk: { crv: string } };
    expect(doc).toMatchObject({ key_id: auditSigningKey().keyId, alg: "Ed25519", jwk: { crv: "Ed25519" } });
    expect(doc.pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(JSON.stringify(doc)).not.toMatch(/PRIVATE/);
  });
});

describe("AUD-5: exports verify offline", () => {
  it("an exported file verifies with the public key and no database; the same file with one byte changed fails", async () => {
    const { org, admin } = await orgWithHistory("Export");
    const exported = await withTenant(admin.claims, (tx) => buildAuditExport(tx, org.id));
    expect(exported.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(exported.checkpoint).toMatchObject({ seq: 5 });
    const dir = await mkdtemp(path.join(tmpdir(), "tg-he-export-"));
    const file = path.join(dir, "export.json");
    const keyFile = path.join(dir, "key.json");
    await writeFile(file, JSON.stringify(exported, null, 2));
    await writeFile(keyFile, JSON.stringify(publicKeyDocument(auditSigningKey())));
    expect(await verifyExportFile(file, keyFile)).toMatchObject({ exitCode: 0, lines: [expect.stringContaining("verified offline")] });

    // One byte of one entry's target id changed.
    const text = await readFile(file, "utf8");
    const at = text.indexOf(exported.entries[2]!.target_id!) + 3;
    const changed = `${text.slice(0, at)}${text[at] === "a" ? "b" : "a"}${text.slice(at + 1)}`;
    await writeFile(file, changed);
    expect(await verifyExportFile(file, keyFile)).toMatchObject({ exitCode: 1, lines: [expect.stringContaining("NOT verified")] });

    // Another key's public key refuses the genuine export.
    expect(verifyAuditExport(exported, parsePublicKey(publicKeyDocument(otherKey("dev")).pem))).toMatchObject({ ok: false, reason: "checkpoint-signature-invalid" });
    expect(verifyAuditExport({ ...exported, entries: exported.entries.slice(0, 3) }, parsePublicKey(publicKeyDocument(auditSigningKey()).pem))).toMatchObject({ ok: false, reason: "chain-break" });
  });
});

describe("AUD-5 / RL-3: security events have one taxonomy, and repeats cross a threshold once", () => {
  it("every event has a severity; 20 failed key verifications from one address in a minute raise one high alert", async () => {
    for (const [name, event] of Object.entries(SECURITY_EVENTS)) expect(severityOf(name), name).toBe(event.severity);
    expect(severityOf("project.created")).toBe("info");
    const type = SECURITY_EVENT.keyVerificationFailuresRepeated;
    const before = await counterValue("security_alerts_total", { type });
    const ip = `198.51.100.${Math.floor(Math.random() * 200)}-${uid()}`;
    // The windows are whole minutes: start well inside one, so that the 21 events fall in the same window.
    if (Date.now() % 60_000 > 50_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - (Date.now() % 60_000)));
    const raised = [];
    for (let i = 0; i < 21; i++) raised.push(await noteSecurityEvent(SECURITY_EVENT.keyVerificationFailed, { subject: ip }));
    expect(raised.filter(Boolean)).toEqual([type]);
    expect(raised.indexOf(type)).toBe(19);
    expect(await counterValue("security_alerts_total", { type })).toBe(before + 1);
    expect(severityOf(type)).toBe("high");
  });
});
