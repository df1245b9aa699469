import { afterAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { closeDb, ownerDb } from "@/lib/db";
import { auditPublicKeys } from "@/lib/audit/checkpoints";
import { exportEvidenceAsOperator } from "@/lib/evidence/export";
import { verifyEvidencePack } from "@/lib/evidence/verify";
import { main } from "@/scripts/evidence";
import { createOrg } from "../helpers/tenants";

afterAll(closeDb);

describe("npm run evidence (OPS-3)", () => {
  it("an operator's export runs in the org's scope and is audited as cli:evidence with the manifest hash", async () => {
    const org = await createOrg("Evidence CLI");
    const pack = await exportEvidenceAsOperator(org.id);
    expect(verifyEvidencePack(pack.zip, auditPublicKeys())).toMatchObject({ ok: true, orgId: org.id });
    const rows = await (await ownerDb()).query<{ actor_type: string; actor_id: string; changes: { manifest_sha256: string; via: string } }>(
      "select actor_type, actor_id, changes from public.audit_logs where org_id = $1 and action = 'evidence.exported'",
      [org.id],
    );
    expect(rows).toEqual([{ actor_type: "system", actor_id: "cli:evidence", changes: expect.objectContaining({ via: "cli", manifest_sha256: pack.manifestSha256 }) }]);
    // The export moved the chain: the next pack is signed over a later checkpoint.
    const next = await exportEvidenceAsOperator(org.id);
    expect(next.state.checkpoint!.seq).toBe(pack.state.checkpoint === null ? 1 : pack.state.checkpoint.seq + 1);
  });

  it("writes a pack that verifies, refuses bad arguments and an unknown org (last: main closes the database)", async () => {
    const org = await createOrg("Evidence CLI file");
    const out = path.join(await mkdtemp(path.join(tmpdir(), "evidence-cli-")), "pack.zip");
    expect(await main(["--org", "not-an-org", "--out", out])).toBe(2);
    expect(await main(["--org", org.id])).toBe(2);
    const keys = auditPublicKeys();
    expect(await main(["--org", org.id, "--out", out])).toBe(0);
    expect(verifyEvidencePack(await readFile(out), keys)).toMatchObject({ ok: true, orgId: org.id });
    expect(await main(["--org", "org_doesnotexist", "--out", out])).toBe(1);
  });
});
