import { afterAll, describe, expect, it, vi } from "vitest";
import { startRequest, nextRequest } from "../helpers/next-request";

vi.mock("next/headers", () => import("../helpers/next-request"));

const { GET } = await import("@/app/(dashboard)/settings/audit/export/route");
const { closeDb, ownerDb } = await import("@/lib/db");
const { SESSION_COOKIE_NAME } = await import("@/lib/auth/cookie-name");
const { createOrg, createUser, signIn } = await import("../helpers/tenants");

afterAll(closeDb);

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

async function exportAs(token: string) {
  startRequest({ "x-forwarded-for": "203.0.113.90", "user-agent": "vitest" });
  nextRequest.cookies.set(SESSION_COOKIE_NAME, { value: token, options: {} });
  return GET(new Request("http://localhost:3000/settings/audit/export?format=json"));
}

// IDN-5: exporting evidence (the audit log with its signed checkpoint) needs a fresh second factor in an org that
// requires two-step verification; without the rule nothing changes.
describe("audit export and the org's two-step rule (IDN-5, AUD-5)", () => {
  it("refused without a second factor or with a stale one, allowed with a fresh one; unchanged with the rule off", async () => {
    const org = await createOrg("Export 2FA");
    const adminId = await createUser([{ orgId: org.id, role: "admin" }]);
    const as = async (factors?: { firstFactorAt: Date; secondFactorAt: Date | null }) =>
      (await signIn(adminId, { ...org, role: "admin" }, factors ? { factors } : {})).token;

    expect((await exportAs(await as())).status).toBe(200);

    await (await ownerDb()).query("update public.organizations set require_second_factor = true, second_factor_window_minutes = 15 where id = $1", [org.id]);
    const none = await exportAs(await as());
    expect(none.status).toBe(403);
    expect(await none.text()).toMatch(/two-step verification/);
    expect((await exportAs(await as({ firstFactorAt: minutesAgo(90), secondFactorAt: minutesAgo(60) }))).status).toBe(403);
    const fresh = await exportAs(await as({ firstFactorAt: minutesAgo(5), secondFactorAt: minutesAgo(1) }));
    expect(fresh.status).toBe(200);
    expect((await fresh.json()) as { entries: unknown[] }).toMatchObject({ entries: expect.any(Array) });
  });
});
