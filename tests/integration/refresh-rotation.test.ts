import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NextRequest, type NextResponse } from "next/server";
import { closeDb, ownerDb } from "@/lib/db";
import { resolveSession } from "@/lib/auth/session";
import { hashPassword, revokeSession, signInWithPassword } from "@/lib/auth/embedded/sign-in";
import { refreshSession, type RefreshOutcome } from "@/lib/auth/embedded/refresh";
import { createOrg, createUser } from "../helpers/tenants";

afterAll(closeDb);

const onPostgres = Boolean(process.env.DATABASE_URL);
const from = { ip: "198.51.100.5", userAgent: "vitest" };

/**
 * IDN-6: "another app instance". On PostgreSQL a separate Node process sharing only the database; on PGlite (one
 * database session per process, no second process can open it) the same code path in this process, so the state
 * it relies on is still only what the database holds.
 */
async function otherInstance(token: string, graceSeconds = 10): Promise<RefreshOutcome> {
  if (!onPostgres) return refreshSession(token, { ip: "198.51.100.77", userAgent: "second instance" }, graceSeconds);
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=react-server", path.resolve("tests/integration/refresh-instance.child.ts")], {
    env: { ...process.env, REFRESH_TOKEN: token, REFRESH_CHILD_GRACE: String(graceSeconds) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  await new Promise<void>((resolve, reject) => child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`child exited ${code}`)))));
  const line = out.split("\n").find((l) => l.startsWith("outcome "));
  if (!line) throw new Error(`child printed no outcome: ${out}`);
  return JSON.parse(line.slice("outcome ".length)) as RefreshOutcome;
}

async function signedIn(label: string) {
  const org = await createOrg(label);
  const userId = await createUser([{ orgId: org.id, role: "member" }]);
  const db = await ownerDb();
  await db.query("insert into idp.credentials (user_id, password_hash) values ($1, $2)", [userId, await hashPassword("pw-refresh-123")]);
  const [user] = await db.query<{ email: string }>("select email from public.users where id = $1", [userId]);
  const issued = await signInWithPassword({ email: user!.email, password: "pw-refresh-123", ...from });
  if (!issued || issued.challenge !== undefined || !issued.refreshToken) throw new Error("setup: no refresh token");
  return { org, userId, issued, refresh: issued.refreshToken };
}

const ok = (o: RefreshOutcome) => {
  if (!o.ok) throw new Error(`refresh refused: ${o.outcome}`);
  return o;
};

describe("IDN-6: refresh-token rotation with reuse detection", () => {
  it("sign-in issues a short-lived session token and a refresh token; each refresh returns a new one", async () => {
    const { issued, refresh } = await signedIn("Rotate");
    expect(issued.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(600_000 + 1000);
    const first = ok(await refreshSession(refresh, from));
    expect(first).toMatchObject({ outcome: "rotated" });
    expect(first.refreshToken).not.toBe(refresh);
    expect(await resolveSession(first.token)).toMatchObject({ sessionId: (await resolveSession(issued.token))!.sessionId });
  });

  it("a token used twice, on two instances sharing the database: the second use fails and the family's newest tokens stop working", async () => {
    const { userId, org, refresh } = await signedIn("Reuse");
    const a1 = ok(await refreshSession(refresh, from)); // instance A uses the first token
    const b1 = ok(await otherInstance(a1.refreshToken)); // instance B uses its child: the family's newest
    expect(await resolveSession(b1.token)).not.toBeNull();

    // The first token again, on instance B, without any grace: reuse.
    expect(await otherInstance(refresh, 0)).toEqual({ ok: false, outcome: "reused" });
    expect(await refreshSession(b1.refreshToken, from)).toMatchObject({ ok: false, outcome: "invalid" });
    expect(await resolveSession(b1.token)).toBeNull();
    expect(await resolveSession(a1.token)).toBeNull();

    const db = await ownerDb();
    expect(await db.query("select kind from idp.auth_events where user_id = $1 and kind = 'refresh.reuse_detected'", [userId])).toHaveLength(1);
    expect(await db.query("select kind from public.notifications where org_id = $1 and recipient_user_id = $2", [org.id, userId])).toEqual([{ kind: "session.refresh_reuse" }]);
    expect(await db.query("select revoke_reason from idp.sessions where user_id = $1", [userId])).toEqual([{ revoke_reason: "refresh_reuse" }]);
  });

  it("inside the grace window only the immediate parent of the newest token is accepted again, never an older one", async () => {
    const { refresh } = await signedIn("Grace");
    const child = ok(await refreshSession(refresh, from));
    // A second tab presents the same token at once: accepted (its child is still unused).
    const sibling = ok(await otherInstance(refresh));
    expect(sibling.outcome).toBe("grace");
    // The child is used: the first token is now older than the newest generation's parent, grace or not.
    const grandchild = ok(await refreshSession(child.refreshToken, from));
    expect(await otherInstance(refresh)).toEqual({ ok: false, outcome: "reused" });
    expect(await resolveSession(grandchild.token)).toBeNull();
    expect(await refreshSession(sibling.refreshToken, from)).toMatchObject({ ok: false });
  });

  it("signing out revokes the session and its refresh family", async () => {
    const { issued, refresh } = await signedIn("SignOut");
    const session = (await resolveSession(issued.token))!;
    expect(await revokeSession(session, session.sessionId)).toBe(true);
    expect(await refreshSession(refresh, from)).toEqual({ ok: false, outcome: "invalid" });
  });

  it("the proxy renews an expired session token from the refresh cookie, for the page and the browser; a reused one signs out", async () => {
    const { refresh } = await signedIn("Proxy");
    const proxy = (await import("@/proxy")).default as (r: NextRequest) => Promise<NextResponse>;
    const page = (cookie: string) => new NextRequest("http://localhost:3000/projects", { headers: { cookie } });
    const renewed = await proxy(page(`tg_refresh=${refresh}`));
    const token = renewed.cookies.get("tg_session")?.value;
    const nextRefresh = renewed.cookies.get("tg_refresh")?.value;
    expect(renewed.headers.get("x-middleware-next")).toBe("1");
    expect(renewed.cookies.get("tg_session")).toMatchObject({ httpOnly: true, sameSite: "lax", path: "/" });
    expect(await resolveSession(token)).not.toBeNull();
    // The page sees the new token in its request.
    expect(renewed.headers.get("x-middleware-request-cookie") ?? "").toContain(`tg_session=${token}`);
    expect(nextRefresh).toMatch(/^rt_/);
    // The old refresh token once more, after its child was used: reuse; both cookies cleared, the page redirects.
    ok(await refreshSession(nextRefresh, from));
    const reused = await proxy(page(`tg_refresh=${refresh}`));
    expect(reused.cookies.get("tg_refresh")?.value).toBe("");
    expect(reused.headers.get("location")).toMatch(/\/sign-in/);
  });

  it("malformed and unknown refresh tokens are refused", async () => {
    expect(await refreshSession("not-a-token", from)).toEqual({ ok: false, outcome: "malformed" });
    expect(await refreshSession(`rt_${"A".repeat(43)}`, from)).toEqual({ ok: false, outcome: "invalid" });
  });
});
