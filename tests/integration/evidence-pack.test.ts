import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unzipSync, zipSync } from "fflate";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { closeDb, ownerDb, withTenant } from "@/lib/db";
import { appendAudit } from "@/lib/audit/writer";
import { auditPublicKeys } from "@/lib/audit/checkpoints";
import { parsePublicKey, publicKeyDocument } from "@/lib/audit/signing";
import { buildEvidencePack, type EvidencePack } from "@/lib/evidence/pack";
import { verifyEvidencePack, type PackProblem } from "@/lib/evidence/verify";
import { POPULATIONS } from "@/lib/evidence/populations";
import { LIVE_CHECKS } from "@/lib/controls/live-checks";
import { CONTROLS } from "@/lib/controls";
import { apiKeyPrefix, generateApiKey, hashApiKey } from "@/lib/api-keys/key-format";
import { main as verifyMain } from "@/scripts/verify-evidence";
import { orgWithMembers, request } from "../helpers/tenants";

afterAll(closeDb);

const onPostgres = Boolean(process.env.DATABASE_URL);
type Org = Awaited<ReturnType<typeof orgWithMembers>>;

/**
 * On PostgreSQL every test file shares one database and the deployment-wide checks count every org's rows, so a
 * file running beside this one can change a check's output between two builds. There, equality is required of two
 * consecutive builds within a few tries (a builder that is not deterministic never gets two alike); on the embedded
 * engine the database is this file's own and the first two builds must be identical.
 */
async function twoAlike(build: () => Promise<EvidencePack>): Promise<[EvidencePack, EvidencePack]> {
  let previous = await build();
  for (let attempt = 0; attempt < (onPostgres ? 5 : 1); attempt++) {
    const next = await build();
    if (Buffer.from(next.zip).equals(Buffer.from(previous.zip))) return [previous, next];
    previous = next;
  }
  const again = await build();
  return [previous, again];
}

const files = (pack: EvidencePack) => unzipSync(pack.zip);
const json = (pack: EvidencePack, name: string) => JSON.parse(Buffer.from(files(pack)[name]!).toString("utf8")) as Record<string, unknown>;
const rezip = (entries: Record<string, Uint8Array>) => zipSync(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, [v, { mtime: new Date(1980, 0, 1) }]])));

async function audited(org: Org, action = "project.created") {
  await withTenant(org.admin.claims, (tx) => appendAudit(tx, { orgId: org.org.id, actorType: "user", actorId: org.admin.userId, action, targetType: "organization", targetId: org.org.id, ...request() }));
}

describe("evidence pack (OPS-3)", () => {
  let org: Org;
  let pack: EvidencePack;
  beforeAll(async () => {
    org = await orgWithMembers("Evidence");
    await audited(org);
  });

  it("the same state gives a byte-identical archive", async () => {
    const [a, b] = await twoAlike(() => buildEvidencePack(org.admin.claims, org.org.id));
    expect(Buffer.from(a.zip).equals(Buffer.from(b.zip))).toBe(true);
    expect(a.manifestSha256).toBe(b.manifestSha256);
    pack = b;
    // The state's own time, never the clock: the signed checkpoint's.
    expect(pack.manifest.as_of).toBe(pack.state.checkpoint!.signed_at);
  });

  it("holds every control and every live check with its status, the checkpoint, the version and the SBOM hash, and an OSCAL document", () => {
    const names = Object.keys(files(pack)).sort();
    expect(names).toEqual(["build.json", "checkpoint.json", "controls.json", "manifest.json", "manifest.sig", "oscal/assessment-results.json", "populations.json", "public-key.json", "summary.md"]);
    const controls = json(pack, "controls.json") as { checks: { id: string; status: string }[]; controls: { id: string; result: string }[] };
    expect(controls.checks.map((c) => c.id)).toEqual(Object.keys(LIVE_CHECKS).sort());
    expect(controls.controls.map((c) => c.id)).toEqual(CONTROLS.map((c) => c.id));
    expect(controls.controls.find((c) => c.id === "AUD-2")!.result).toBe("pass");
    const checkpoint = json(pack, "checkpoint.json") as { checkpoint: { seq: number; org_id: string } };
    expect(checkpoint.checkpoint).toMatchObject({ org_id: org.org.id, seq: 1 });
    const build = json(pack, "build.json") as { app_version: string; sbom: unknown; sbom_note: string | null };
    expect(build.app_version).toMatch(/^\d+\.\d+\.\d+/);
    if (build.sbom === null) expect(build.sbom_note).toMatch(/no SBOM/);
    const summary = Buffer.from(files(pack)["summary.md"]!).toString("utf8");
    expect(summary).toContain(`# TenantGuard evidence pack: ${org.org.id}`);
    expect(summary).toMatch(/\| AUD-2 \| implemented \| pass \|/);
    const oscal = json(pack, "oscal/assessment-results.json") as { "assessment-results": { metadata: { "oscal-version": string }; results: { findings: { target: { "target-id": string; status: { state: string } } }[] }[] } };
    expect(oscal["assessment-results"].metadata["oscal-version"]).toBe("1.1.2");
    expect(oscal["assessment-results"].results[0]!.findings.find((f) => f.target["target-id"] === "aud-2_obj")!.target.status.state).toBe("satisfied");
  });

  it("runs every population query in the org's scope, with row counts and hashes", () => {
    const pops = (json(pack, "populations.json") as { populations: { check: string; queries: { name: string; status: string; row_count: number | null; sha256: string | null }[] }[] }).populations;
    expect(pops.map((p) => p.check)).toEqual(Object.keys(POPULATIONS).sort());
    const failed = pops.flatMap((p) => p.queries.filter((q) => q.status !== "ok").map((q) => `${p.check}/${q.name}`));
    expect(failed).toEqual([]);
    const chain = pops.find((p) => p.check === "audit-chain")!.queries[0]!;
    expect(chain).toMatchObject({ row_count: 1, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(pops.find((p) => p.check === "memberships")!.queries.find((q) => q.name === "memberships")!.row_count).toBe(3);
  });

  it("changes when a check's state changes: an expired unrevoked key, then a broken audit chain that fails AUD-2", async () => {
    const secret = generateApiKey("test");
    const db = await ownerDb();
    await db.query(
      `insert into public.api_keys (org_id, name, prefix, key_hash, permissions, created_by, expires_at) values ($1, 'expired', $2, $3, array['read'], $4, now() - interval '1 minute')`,
      [org.org.id, apiKeyPrefix(secret), hashApiKey(secret), org.admin.userId],
    );
    const [withKey] = await twoAlike(() => buildEvidencePack(org.admin.claims, org.org.id));
    expect(Buffer.from(withKey.zip).equals(Buffer.from(pack.zip))).toBe(false);
    const pops = (json(withKey, "populations.json") as { populations: { check: string; queries: { name: string; row_count: number }[] }[] }).populations;
    expect(pops.find((p) => p.check === "expired-keys")!.queries.find((q) => q.name === "api_keys_past_expiry")!.row_count).toBe(1);

    await db.transaction(async (tx) => {
      await tx.query("alter table public.audit_logs disable trigger audit_logs_append_only");
      await tx.query("update public.audit_logs set action = 'project.deleted' where org_id = $1 and seq = 1", [org.org.id]);
      await tx.query("alter table public.audit_logs enable trigger audit_logs_append_only");
    });
    try {
      const broken = await buildEvidencePack(org.admin.claims, org.org.id);
      const controls = json(broken, "controls.json") as { controls: { id: string; result: string }[] };
      expect(controls.controls.find((c) => c.id === "AUD-2")!.result).toBe("fail");
      const oscal = json(broken, "oscal/assessment-results.json") as { "assessment-results": { results: { findings: { target: { "target-id": string; status: { state: string } } }[] }[] } };
      expect(oscal["assessment-results"].results[0]!.findings.find((f) => f.target["target-id"] === "aud-2_obj")!.target.status.state).toBe("not-satisfied");
    } finally {
      await db.transaction(async (tx) => {
        await tx.query("alter table public.audit_logs disable trigger audit_logs_append_only");
        await tx.query("update public.audit_logs set action = 'project.created' where org_id = $1 and seq = 1", [org.org.id]);
        await tx.query("alter table public.audit_logs enable trigger audit_logs_append_only");
      });
    }
  });

  describe("offline verification", () => {
    const keys = () => auditPublicKeys();

    it("a fresh pack verifies", () => {
      expect(verifyEvidencePack(pack.zip, keys())).toMatchObject({ ok: true, orgId: org.org.id, keyId: "dev" });
    });

    const tampers: [string, (f: Record<string, Uint8Array>) => void, PackProblem, RegExp][] = [
      ["a changed file", (f: Record<string, Uint8Array>) => void (f["controls.json"] = Buffer.from(Buffer.from(f["controls.json"]!).toString("utf8").replace('"fail"', '"pass"').replace('"warn"', '"pass"') + " ")), "file_changed", /controls\.json does not match the manifest/],
      ["an extra file", (f: Record<string, Uint8Array>) => void (f["notes.txt"] = Buffer.from("added")), "file_unlisted", /notes\.txt/],
      ["a removed file", (f: Record<string, Uint8Array>) => void delete f["populations.json"], "file_missing", /populations\.json is listed in the manifest but not in the archive/],
      ["an altered signature", (f: Record<string, Uint8Array>) => {
        const sig = JSON.parse(Buffer.from(f["manifest.sig"]!).toString("utf8")) as { signature: string };
        sig.signature = (sig.signature[0] === "A" ? "B" : "A") + sig.signature.slice(1);
        f["manifest.sig"] = Buffer.from(JSON.stringify(sig));
      }, "signature_invalid", /does not verify/],
      ["an edited manifest", (f: Record<string, Uint8Array>) => void (f["manifest.json"] = Buffer.from(Buffer.from(f["manifest.json"]!).toString("utf8").replace(/"as_of": "[^"]*"/, '"as_of": "2020-01-01T00:00:00.000Z"'))), "signature_invalid", /does not verify/],
      ["a missing signature", (f: Record<string, Uint8Array>) => void delete f["manifest.sig"], "signature_missing", /manifest\.sig/],
    ];
    it.each(tampers)("fails on %s", (_name, change, problem, detail) => {
      const entries = files(pack);
      change(entries);
      expect(verifyEvidencePack(rezip(entries), keys())).toEqual({ ok: false, problem, detail: expect.stringMatching(detail) });
    });

    it("fails under a key that did not sign it, even when the pack's own public key is swapped for it", () => {
      const other = generateKeyPairSync("ed25519");
      const wrong = new Map([["dev", other.publicKey]]);
      expect(verifyEvidencePack(pack.zip, wrong)).toMatchObject({ ok: false, problem: "signature_invalid" });
      const entries = files(pack);
      entries["public-key.json"] = Buffer.from(JSON.stringify(publicKeyDocument({ keyId: "dev", publicKey: other.publicKey })));
      expect(verifyEvidencePack(rezip(entries), wrong)).toMatchObject({ ok: false, problem: "signature_invalid" });
    });

    it("npm run verify:evidence exits 0 on the pack with the deployment's key, 1 on a tampered one, 3 without a key given", async () => {
      const dir = await mkdtemp(path.join(tmpdir(), "evidence-"));
      const zipFile = path.join(dir, "pack.zip");
      const keyFile = path.join(dir, "key.json");
      await writeFile(zipFile, pack.zip);
      const [keyId, key] = [...keys()][0]!;
      await writeFile(keyFile, JSON.stringify(publicKeyDocument({ keyId, publicKey: key })));
      expect(parsePublicKey(await readFile(keyFile, "utf8")).get(keyId)).toBeDefined();
      expect(await verifyMain([zipFile, "--public-key", keyFile])).toBe(0);
      expect(await verifyMain([zipFile])).toBe(3);
      const entries = files(pack);
      entries["summary.md"] = Buffer.from("# nothing to see\n");
      await writeFile(zipFile, rezip(entries));
      expect(await verifyMain([zipFile, "--public-key", keyFile])).toBe(1);
      expect(await verifyMain([])).toBe(2);
    });
  });
});
