import { afterAll, describe, expect, it, vi } from "vitest";
import { unzipSync } from "fflate";
import { createHash } from "node:crypto";
import { startRequest, nextRequest } from "../helpers/next-request";

vi.mock("next/headers", () => import("../helpers/next-request"));

const { POST } = await import("@/app/(dashboard)/security/evidence/download/route");
const { closeDb, ownerDb } = await import("@/lib/db");
const { SESSION_COOKIE_NAME } = await import("@/lib/auth/cookie-name");
const { auditPublicKeys } = await import("@/lib/audit/checkpoints");
const { verifyEvidencePack } = await import("@/lib/evidence/verify");
const { readForPage } = await import("@/lib/pages/read");
const { EVIDENCE_PAGE } = await import("@/lib/evidence/page");
const { RATE_LIMIT_CLASSES } = await import("@/lib/ratelimit");
const { createOrg, createUser, signIn, request } = await import("../helpers/tenants");

afterAll(closeDb);

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

async function downloadAs(token: string) {
  startRequest({ "x-forwarded-for": "203.0.113.91", "user-agent": "vitest" });
  nextRequest.cookies.set(SESSION_COOKIE_NAME, { value: token, options: {} });
  return POST();
}

async function exportsRecorded(orgId: string) {
  return (await ownerDb()).query<{ actor_id: string; changes: { manifest_sha256: string; via: string } }>(
    "select actor_id, changes from public.audit_logs where org_id = $1 and action = 'evidence.exported' order by seq",
    [orgId],
  );
}

describe("evidence pack download (OPS-3, IDN-5, TEN-4, RL-1)", () => {
  it("an admin downloads a pack that verifies, and the export is audited with the pack's manifest hash", async () => {
    const org = await createOrg("Evidence download");
    const adminId = await createUser([{ orgId: org.id, role: "admin" }]);
    const { token } = await signIn(adminId, { ...org, role: "admin" });
    const response = await downloadAs(token);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/zip");
    expect(response.headers.get("content-disposition")).toMatch(new RegExp(`^attachment; filename="evidence-${org.id}-(empty|[0-9TZ]+)\\.zip"$`));
    const zip = new Uint8Array(await response.arrayBuffer());
    expect(verifyEvidencePack(zip, auditPublicKeys())).toMatchObject({ ok: true, orgId: org.id });
    const manifest = unzipSync(zip)["manifest.json"]!;
    const recorded = await exportsRecorded(org.id);
    expect(recorded).toEqual([{ actor_id: adminId, changes: expect.objectContaining({ via: "dashboard", manifest_sha256: createHash("sha256").update(manifest).digest("hex") }) }]);
  });

  it("a member or guest gets 404 from the download and no export is recorded; the page tells a member it is for admins", async () => {
    const org = await createOrg("Evidence member");
    const memberId = await createUser([{ orgId: org.id, role: "member" }]);
    const guestId = await createUser([{ orgId: org.id, role: "guest" }]);
    const member = await signIn(memberId, { ...org, role: "member" });
    const guest = await signIn(guestId, { ...org, role: "guest" });
    expect((await downloadAs(member.token)).status).toBe(404);
    expect((await downloadAs(guest.token)).status).toBe(404);
    expect(await exportsRecorded(org.id)).toEqual([]);
    expect(await readForPage(member.session, EVIDENCE_PAGE, undefined, request())).toMatchObject({ kind: "ok", data: { admin: false } });
    expect(await readForPage(guest.session, EVIDENCE_PAGE, undefined, request())).toEqual({ kind: "not_found" });
  });

  it("in an org that requires two-step verification, an admin without a fresh second factor is refused and nothing is recorded", async () => {
    const org = await createOrg("Evidence 2FA");
    const adminId = await createUser([{ orgId: org.id, role: "admin" }]);
    const as = async (factors?: { firstFactorAt: Date; secondFactorAt: Date | null }) => (await signIn(adminId, { ...org, role: "admin" }, factors ? { factors } : {})).token;
    await (await ownerDb()).query("update public.organizations set require_second_factor = true, second_factor_window_minutes = 15 where id = $1", [org.id]);

    for (const token of [await as(), await as({ firstFactorAt: minutesAgo(90), secondFactorAt: minutesAgo(60) })]) {
      const refused = await downloadAs(token);
      expect(refused.status).toBe(303);
      expect(refused.headers.get("location")).toBe("/security/evidence?refused=second-factor");
      expect(await refused.text()).toBe("");
    }
    expect(await exportsRecorded(org.id)).toEqual([]);
    const stale = await signIn(adminId, { ...org, role: "admin" }, { factors: { firstFactorAt: minutesAgo(90), secondFactorAt: minutesAgo(60) } });
    expect(await readForPage(stale.session, EVIDENCE_PAGE, undefined, request())).toMatchObject({ kind: "ok", data: { admin: true, secondFactorRequired: true, secondFactorFresh: false } });

    const fresh = await downloadAs(await as({ firstFactorAt: minutesAgo(5), secondFactorAt: minutesAgo(1) }));
    expect(fresh.status).toBe(200);
    expect(await exportsRecorded(org.id)).toHaveLength(1);
  });

  it("exports are limited per organisation", async () => {
    const org = await createOrg("Evidence limit");
    const adminId = await createUser([{ orgId: org.id, role: "owner" }]);
    const { token } = await signIn(adminId, { ...org, role: "owner" });
    for (let i = 0; i < RATE_LIMIT_CLASSES.evidenceExport.limit; i++) expect((await downloadAs(token)).status).toBe(200);
    const limited = await downloadAs(token);
    expect(limited.status).toBe(303);
    expect(limited.headers.get("location")).toBe("/security/evidence?refused=rate-limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await exportsRecorded(org.id)).toHaveLength(RATE_LIMIT_CLASSES.evidenceExport.limit);
  });
});
