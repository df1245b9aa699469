import { afterAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb } from "@/lib/db";
import { resolveSession } from "@/lib/auth/session";
import { hashPassword, revokeOtherSessions, signInWithPassword } from "@/lib/auth/embedded/sign-in";
import { refreshSession } from "@/lib/auth/embedded/refresh";
import { describeDevice } from "@/lib/auth/device";
import SessionsPage from "@/app/(dashboard)/account/sessions/page";
import { createOrg, createUser, request } from "../helpers/tenants";

afterAll(closeDb);

const FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0";
const SAFARI_IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

describe("IDN-4: the sessions page", () => {
  it("describes the device from the user agent, never showing the raw string", () => {
    expect(describeDevice(FIREFOX_WINDOWS)).toBe("Firefox 132 on Windows 10, desktop");
    expect(describeDevice(SAFARI_IPHONE)).toBe("Mobile Safari 17 on iOS 17.5, mobile");
    expect(describeDevice(null)).toBe("Unknown device");
    expect(describeDevice("curl/8.5")).toBe("Unknown device");
  });

  it("lists device, IP, created, last seen and second factor; 'sign out all others' ends the other sessions and their refresh tokens", async () => {
    const org = await createOrg("Sessions");
    const userId = await createUser([{ orgId: org.id, role: "member" }]);
    const db = await ownerDb();
    await db.query("insert into idp.credentials (user_id, password_hash) values ($1, $2)", [userId, await hashPassword("pw-sessions-1")]);
    const email = `${userId}@example.test`;
    const laptop = await signInWithPassword({ email, password: "pw-sessions-1", ip: "198.51.100.21", userAgent: FIREFOX_WINDOWS });
    const phone = await signInWithPassword({ email, password: "pw-sessions-1", ip: "198.51.100.22", userAgent: SAFARI_IPHONE });
    if (!laptop?.token || !phone?.refreshToken) throw new Error("setup");
    const refreshed = await refreshSession(phone.refreshToken, { ip: "198.51.100.23", userAgent: SAFARI_IPHONE });
    if (!refreshed.ok) throw new Error("setup: refresh");
    const session = (await resolveSession(laptop.token))!;

    const read = await SessionsPage.readFor(session, undefined, request());
    expect(read.kind).toBe("ok");
    const rows = (read as { data: { ip: string; user_agent: string; last_seen_at: Date | null; second_factor_method: string | null }[] }).data;
    expect(rows).toHaveLength(2);
    const phoneRow = rows.find((r) => r.user_agent === SAFARI_IPHONE)!;
    expect(phoneRow).toMatchObject({ ip: "198.51.100.23", second_factor_method: null, last_seen_at: expect.any(Date) });

    expect(await revokeOtherSessions(session)).toBe(1);
    expect(await resolveSession(refreshed.token)).toBeNull();
    expect(await refreshSession(refreshed.refreshToken, { ip: null, userAgent: null })).toEqual({ ok: false, outcome: "invalid" });
    expect(await resolveSession(laptop.token)).not.toBeNull();
  });
});
