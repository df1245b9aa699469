import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SignJWT } from "jose";
import { closeDb, ownerDb, withTenant } from "@/lib/db";
import type { Session } from "@/lib/auth/claims";
import { resolveSession } from "@/lib/auth/session";
import { signingKey } from "@/lib/auth/embedded/keys";
import { EMBEDDED_ISSUER } from "@/lib/auth/embedded/tokens";
import { createApiKey } from "@/lib/api-keys";
import { inviteMember } from "@/lib/members";
import { setOrgSecondFactorRule } from "@/lib/auth/org-second-factor";
import { env } from "@/lib/env";
import { checkRefreshReuse, checkSecondFactorRule, checkSignInLockouts } from "@/lib/auth/checks";
import { createOrg, createUser, request, signIn, uid } from "../helpers/tenants";
import { inRolledBackOwnerTransaction } from "../helpers/owner-scratch";

afterAll(closeDb);

/**
 * IDN-5: the tables whose writes need the second factor an org requires. A table named here without its three
 * RESTRICTIVE policies (insert, update, delete, each through private.second_factor_ok) fails the first test. To add
 * a table: a migration runs `select private.require_second_factor_on('public.<table>', <fresh for inserts>)`, and
 * the table is listed here.
 */
const SENSITIVE_TABLES: Record<string, { freshInsert: boolean }> = {
  "public.api_keys": { freshInsert: true },
  "public.memberships": { freshInsert: false },
  "public.org_invites": { freshInsert: false },
  "public.billing_customers": { freshInsert: false },
  "public.subscriptions": { freshInsert: false },
  "public.invoices": { freshInsert: false },
  "public.entitlements": { freshInsert: false },
  "public.support_grants": { freshInsert: false },
  "public.integration_credentials": { freshInsert: false },
};

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
const keyInput = { name: "Partner", permissions: "read" };
const rawKeyInsert = (orgId: string, userId: string) =>
  `insert into public.api_keys (org_id, name, prefix, key_hash, permissions, created_by)
   values ('${orgId}', 'raw', 'tg_test_R4w0', '${"ab".repeat(32)}', array['read'], '${userId}')`;

/** The raw insert as these claims, rolled back either way: "inserted" or the database's refusal. */
async function rawInsert(session: Session): Promise<string> {
  return withTenant(session.claims, async (tx) => {
    await tx.query(rawKeyInsert(session.orgId!, session.userId));
    throw new Error("inserted");
  }).catch((e: Error) => e.message);
}

describe("IDN-5: restrictive second-factor policies", () => {
  it("every sensitive table has restrictive insert, update and delete policies through private.second_factor_ok", async () => {
    const rows = await (await ownerDb()).query<{ tbl: string; cmd: string; permissive: boolean; roles: string[]; expr: string }>(
      `select (n.nspname || '.' || c.relname) as tbl, p.polcmd::text as cmd, p.polpermissive as permissive,
              array(select pg_get_userbyid(r)::text from unnest(p.polroles) r) as roles,
              coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') as expr
         from pg_catalog.pg_policy p join pg_catalog.pg_class c on c.oid = p.polrelid join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where p.polname like '%\\_second\\_factor\\_%'`,
    );
    for (const [table, { freshInsert }] of Object.entries(SENSITIVE_TABLES)) {
      for (const cmd of ["a", "w", "d"]) {
        const policy = rows.find((r) => r.tbl === table && r.cmd === cmd);
        expect(policy, `${table} ${cmd}`).toMatchObject({ permissive: false, roles: ["authenticated"] });
        const fresh = cmd === "a" && freshInsert;
        expect(policy!.expr, `${table} ${cmd}`).toContain(`private.second_factor_ok(${fresh})`);
      }
    }
  });

  describe("an org that requires two-step verification", () => {
    let org: { id: string; slug: string };
    let adminId: string;
    const as = async (factors?: { firstFactorAt: Date; secondFactorAt: Date | null }) => (await signIn(adminId, { ...org, role: "admin" }, { factors })).session;

    beforeAll(async () => {
      org = await createOrg("MfaRequired");
      adminId = await createUser([{ orgId: org.id, role: "admin" }]);
      await (await ownerDb()).query("update public.organizations set require_second_factor = true, second_factor_window_minutes = 15 where id = $1", [org.id]);
    });

    it("a session without a second factor cannot create a key: a clear message, and a raw insert fails in the database", async () => {
      const session = await as();
      expect(session.secondFactorAgeMinutes).toBeNull();
      const result = await createApiKey(session, keyInput, request());
      expect(result).toMatchObject({ ok: false, code: "second_factor_required", status: 403, message: expect.stringContaining("Verify now") });
      expect(await rawInsert(session)).toMatch(/row-level security/);
    });

    it("with a fresh second factor it succeeds, in the app and in raw SQL", async () => {
      const session = await as({ firstFactorAt: minutesAgo(30), secondFactorAt: minutesAgo(2) });
      expect([1, 2]).toContain(session.secondFactorAgeMinutes);
      expect(await createApiKey(session, keyInput, request())).toMatchObject({ ok: true });
      expect(await rawInsert(session)).toBe("inserted");
    });

    it("with a stale second factor key creation is refused, while a non-fresh operation (an invite) still works", async () => {
      const session = await as({ firstFactorAt: minutesAgo(60), secondFactorAt: minutesAgo(20) });
      expect(await createApiKey(session, keyInput, request())).toMatchObject({ ok: false, code: "second_factor_required" });
      expect(await rawInsert(session)).toMatch(/row-level security/);
      expect(await inviteMember(session, { email: `x-${Date.now()}@example.test`, role: "member" }, request())).toMatchObject({ ok: true });
    });

    it("an invite without any second factor is refused by the app and, through the definer function, by the trigger", async () => {
      const session = await as();
      expect(await inviteMember(session, { email: `y-${Date.now()}@example.test`, role: "member" }, request())).toMatchObject({ ok: false, code: "second_factor_required" });
      const refused = await withTenant(session.claims, (tx) =>
        tx.query("select private.create_org_invite('raw@example.test', 'member', $1, null, now() + interval '1 day')", [Buffer.alloc(32, 7)]),
      ).then(() => "created", (e: Error) => e.message);
      expect(refused).toMatch(/requires two-step verification/);
    });

    it("a token that says fva [0, 0] but was issued 20 minutes ago is not fresh (its age since iat counts)", async () => {
      const fresh = await as({ firstFactorAt: new Date(), secondFactorAt: new Date() });
      const { kid, privateKey } = await signingKey();
      const iat = Math.floor(Date.now() / 1000) - 20 * 60;
      const old = await new SignJWT({ sid: fresh.sessionId, azp: env.authorizedParties[0], v: 2, fva: [0, 0], o: { id: org.id, rol: "admin", slg: org.slug } })
        .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
        .setSubject(adminId)
        .setIssuer(EMBEDDED_ISSUER)
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(iat + 3600)
        .sign(privateKey);
      const session = (await resolveSession(old))!;
      expect(session.secondFactorAgeMinutes).toBe(0);
      expect(await createApiKey(session, keyInput, request())).toMatchObject({ ok: false, code: "second_factor_required" });
      expect(await rawInsert(session)).toMatch(/row-level security/);
    });
  });

  it("with the setting off, nothing changes: no second factor needed in the app or the database", async () => {
    const org = await createOrg("MfaOff");
    const adminId = await createUser([{ orgId: org.id, role: "admin" }]);
    const { session } = await signIn(adminId, { ...org, role: "admin" });
    expect(await createApiKey(session, keyInput, request())).toMatchObject({ ok: true });
    expect(await rawInsert(session)).toBe("inserted");
  });

  it("owners turn the rule on only with their own fresh second factor; admins cannot; the change is audited", async () => {
    const org = await createOrg("MfaRule");
    const ownerId = await createUser([{ orgId: org.id, role: "owner" }]);
    const adminId = await createUser([{ orgId: org.id, role: "admin" }]);
    const admin = (await signIn(adminId, { ...org, role: "admin" }, { factors: { firstFactorAt: new Date(), secondFactorAt: new Date() } })).session;
    expect(await setOrgSecondFactorRule(admin, { required: "on", windowMinutes: "15" }, request())).toMatchObject({ ok: false, code: "forbidden" });
    const ownerWithout = (await signIn(ownerId, { ...org, role: "owner" })).session;
    expect(await setOrgSecondFactorRule(ownerWithout, { required: "on", windowMinutes: "15" }, request())).toMatchObject({ ok: false, code: "second_factor_required" });
    const owner = (await signIn(ownerId, { ...org, role: "owner" }, { factors: { firstFactorAt: new Date(), secondFactorAt: new Date() } })).session;
    expect(await setOrgSecondFactorRule(owner, { required: "on", windowMinutes: "10" }, request())).toMatchObject({ ok: true, data: { required: true, windowMinutes: 10 } });
    const db = await ownerDb();
    expect(await db.query("select require_second_factor, second_factor_window_minutes from public.organizations where id = $1", [org.id])).toEqual([
      { require_second_factor: true, second_factor_window_minutes: 10 },
    ]);
    expect(await db.query("select action from public.audit_logs where org_id = $1 and action = 'org.second_factor_rule_changed'", [org.id])).toHaveLength(1);
    // Now on: turning it off needs the fresh factor too.
    expect(await setOrgSecondFactorRule(ownerWithout, { required: "", windowMinutes: "10" }, request())).toMatchObject({ ok: false, code: "second_factor_required" });
  });
});

describe("IDN-5 / IDN-6 live checks", () => {
  it("second-factor-rule fails when a sensitive table loses one of its policies, and warns for an org requiring MFA whose admin has none", async () => {
    const broken = await inRolledBackOwnerTransaction(async (tx) => {
      await tx.exec("drop policy api_keys_second_factor_insert on public.api_keys");
      return checkSecondFactorRule(tx);
    });
    expect(broken).toMatchObject({ status: "fail", detail: expect.stringContaining("public.api_keys") });
    const gap = await inRolledBackOwnerTransaction(async (tx) => {
      const s = uid();
      await tx.query("insert into public.organizations (id, name, slug, require_second_factor) values ($1, 'Gap', $2, true)", [`org_${s}`, `gap-${s}`]);
      await tx.query("insert into public.users (id, email) values ($1, $2)", [`user_${s}`, `${s}@example.test`]);
      await tx.query("insert into public.memberships (org_id, user_id, role) values ($1, $2, 'owner')", [`org_${s}`, `user_${s}`]);
      await tx.query("update public.organizations set require_second_factor = false where id <> $1", [`org_${s}`]);
      return checkSecondFactorRule(tx);
    });
    expect(gap).toMatchObject({ status: "warn", detail: expect.stringMatching(/^1 organisation\(s\) require two-step verification and have 1 owner/) });
  });

  it("refresh-reuse and sign-in-lockouts warn on recent events", async () => {
    const results = await inRolledBackOwnerTransaction(async (tx) => {
      await tx.query("delete from idp.auth_events");
      const quiet = [await checkRefreshReuse(tx), await checkSignInLockouts(tx)];
      await tx.query("insert into idp.auth_events (kind, user_id) values ('refresh.reuse_detected', 'user_x'), ('sign_in.locked', 'user_y'), ('sign_in.failed', 'user_y')");
      return { quiet, loud: [await checkRefreshReuse(tx), await checkSignInLockouts(tx)] };
    });
    expect(results.quiet.map((r) => r.status)).toEqual(["pass", "pass"]);
    expect(results.loud).toEqual([
      { status: "warn", detail: expect.stringMatching(/^1 session\(s\) of 1 user\(s\) were revoked/) },
      { status: "warn", detail: expect.stringMatching(/^1 account\(s\) are temporarily locked .*\(1 failed attempt/) },
    ]);
  });
});
