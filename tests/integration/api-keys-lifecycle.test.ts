import { afterAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb, withTenant } from "@/lib/db";
import type { Session } from "@/lib/auth/claims";
import { createProject, deleteProject } from "@/lib/projects";
import {
  InvalidApiKeyError,
  createApiKey,
  deleteApiKey,
  flushKeyUses,
  generateApiKey,
  hashApiKey,
  listApiKeys,
  listNotifications,
  listRecentVerifications,
  revokeApiKey,
  rollApiKey,
  verifyApiKey,
  type CreatedApiKey,
} from "@/lib/api-keys";
import { orgWithMembers, request } from "../helpers/tenants";

afterAll(closeDb);

const IP = "203.0.113.7";
const bearer = (key: string) => `Bearer ${key}`;

async function newKey(session: Session, input: Record<string, unknown> = {}): Promise<CreatedApiKey> {
  const result = await createApiKey(session, { name: "Partner", permissions: "read", ...input }, request());
  if (!result.ok) throw new Error(`setup: ${result.message} ${JSON.stringify(result.fieldErrors ?? {})}`);
  return result.data;
}

/** KEY-5: every failure must be indistinguishable: same class, code, message and no extra properties. */
async function expectGenericRejection(header: string | null | undefined, ip: string | null = IP) {
  const error = await verifyApiKey(header, ip).then(
    () => null,
    (e: unknown) => e,
  );
  const reference = new InvalidApiKeyError();
  expect(error, `accepted: ${String(header).slice(0, 30)}`).toBeInstanceOf(InvalidApiKeyError);
  const e = error as InvalidApiKeyError;
  expect({ name: e.name, code: e.code, message: e.message, own: Object.keys(e) }).toEqual({
    name: reference.name,
    code: reference.code,
    message: reference.message,
    own: Object.keys(reference),
  });
}

async function asOwner<T extends object>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await ownerDb()).query<T>(sql, params);
}

/** The key's verification log, after this process's buffered entries are written (they are batched, KEY-2). */
async function log(keyId: string) {
  await flushKeyUses();
  return asOwner<{ outcome: string; reason: string | null; ip: string | null }>(
    "select outcome, reason, ip from public.key_verifications where key_id = $1 order by id",
    [keyId],
  );
}

describe("KEY-1: creation", () => {
  it("a created key verifies as an API-key principal of its org; only its SHA-256 is stored", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin, { name: "Zapier" });
    expect(key.plaintext).toMatch(/^tg_test_[0-9A-Za-z]{43}$/);
    expect(key.prefix).toBe(key.plaintext.slice(0, 12));

    const verified = await verifyApiKey(bearer(key.plaintext), IP);
    expect(verified).toMatchObject({ keyId: key.id, orgId: a.org.id, projectId: null, permissions: ["read"] });
    expect(verified.claims).toEqual({ sub: `key_${key.id}`, o: { id: a.org.id, rol: "api" }, key: { id: key.id, project_id: null, permissions: ["read"] } });

    const [row] = await asOwner<{ key_hash: string; prefix: string; created_by: string }>("select key_hash, prefix, created_by from public.api_keys where id = $1", [key.id]);
    expect(row).toEqual({ key_hash: hashApiKey(key.plaintext), prefix: key.prefix, created_by: a.admin.userId });
  });

  it("the plaintext never appears in any table, and the hash appears only in api_keys", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.owner, { permissions: "read_write", ipAllowlist: "198.51.100.0/24" });
    const rolled = await rollApiKey(a.owner, { id: key.id, graceSeconds: 3600 }, request());
    if (!rolled.ok) throw new Error(rolled.message);
    await verifyApiKey(bearer(key.plaintext), "198.51.100.1");
    await verifyApiKey(bearer(rolled.data.plaintext), "198.51.100.1");
    await expect(verifyApiKey(bearer(rolled.data.plaintext), IP)).rejects.toBeInstanceOf(InvalidApiKeyError);
    await revokeApiKey(a.owner, { id: key.id }, request());
    await flushKeyUses();

    const secrets = [key.plaintext, rolled.data.plaintext];
    const secretParts = secrets.map((s) => s.slice(8));
    const hashes = secrets.map(hashApiKey);
    for (const table of ["api_keys", "audit_logs", "key_verifications", "notifications"]) {
      const rows = await asOwner<{ row: string }>(`select row_to_json(t)::text as row from public.${table} t where t.org_id = $1`, [a.org.id]);
      expect(rows.length, table).toBeGreaterThan(0);
      const dump = rows.map((r) => r.row).join("\n");
      for (const secret of [...secrets, ...secretParts]) expect(dump.includes(secret), `${table} holds a plaintext key`).toBe(false);
      if (table !== "api_keys") for (const hash of hashes) expect(dump.includes(hash), `${table} holds a key hash`).toBe(false);
    }
  });

  it("members can neither create nor see keys, logs or admin notices; RLS refuses them too", async () => {
    const a = await orgWithMembers("Acme");
    await newKey(a.admin);
    expect(await createApiKey(a.member, { name: "Mine", permissions: "read" }, request())).toMatchObject({ ok: false, status: 403 });
    const seen = await withTenant(a.member.claims, async (tx) => ({
      keys: await listApiKeys(tx),
      log: await listRecentVerifications(tx),
      notices: await listNotifications(tx),
    }));
    expect(seen).toEqual({ keys: [], log: [], notices: [] });
    // Even straight to the table, a member's insert is refused by RLS.
    await expect(
      withTenant(a.member.claims, (tx) =>
        tx.query("insert into public.api_keys (org_id, name, prefix, key_hash, permissions, created_by) values ($1, 'x', 'tg_test_abcd', $2, '{read}', $3)", [
          a.org.id,
          hashApiKey(generateApiKey("test")),
          a.member.userId,
        ]),
      ),
    ).rejects.toMatchObject({ code: "42501" });
    // Admins of the org see the key and the notice about it.
    const adminView = await withTenant(a.owner.claims, async (tx) => ({ keys: await listApiKeys(tx), notices: await listNotifications(tx) }));
    expect(adminView.keys).toHaveLength(1);
    expect(adminView.notices).toMatchObject([{ kind: "api_key.created", body: { name: "Partner", created_by: a.admin.userId } }]);
  });

  it("admins of another org see none of this org's keys", async () => {
    const a = await orgWithMembers("Acme");
    const b = await orgWithMembers("Globex");
    const key = await newKey(a.admin);
    expect(await withTenant(b.owner.claims, listApiKeys)).toEqual([]);
    expect(await revokeApiKey(b.owner, { id: key.id }, request())).toMatchObject({ ok: false, status: 404 });
    expect(await deleteApiKey(b.owner, { id: key.id }, request())).toMatchObject({ ok: false, status: 404 });
    await verifyApiKey(bearer(key.plaintext), IP);
  });

  it("validates name, scope, expiry and allow-list; a foreign project scope is a recorded 404", async () => {
    const a = await orgWithMembers("Acme");
    const b = await orgWithMembers("Globex");
    const theirs = await createProject(b.member, { name: "Secret" }, request());
    if (!theirs.ok) throw new Error("setup");
    const day = 24 * 3600 * 1000;
    const cases: [Record<string, unknown>, string][] = [
      [{ name: "" }, "name"],
      [{ name: "x".repeat(65) }, "name"],
      [{ permissions: "write" }, "permissions"],
      [{ projectId: "not-a-uuid" }, "projectId"],
      [{ expiresAt: new Date(Date.now() - day).toISOString() }, "expiresAt"],
      [{ expiresAt: new Date(Date.now() + 366 * day).toISOString() }, "expiresAt"],
      [{ ipAllowlist: "10.0.0.0/8\nnot-an-ip" }, "ipAllowlist"],
      [{ ipAllowlist: "010.0.0.1" }, "ipAllowlist"],
      [{ ipAllowlist: "10.0.0.0/33" }, "ipAllowlist"],
    ];
    for (const [input, field] of cases) {
      const result = await createApiKey(a.admin, { name: "Partner", permissions: "read", ...input }, request());
      expect(result, JSON.stringify(input)).toMatchObject({ ok: false, status: 422, fieldErrors: { [field]: [expect.any(String)] } });
    }
    expect(await createApiKey(a.admin, { name: "Partner", permissions: "read", projectId: theirs.data.id }, request())).toMatchObject({ ok: false, status: 404 });
    const events = await withTenant(a.owner.claims, (tx) => tx.query<{ target_id: string }>("select target_id from public.audit_logs where action = 'security.cross_tenant_access'"));
    expect(events).toEqual([{ target_id: theirs.data.id }]);
    expect(await withTenant(a.owner.claims, listApiKeys)).toEqual([]);
  });
});

describe("KEY-2 / KEY-5: verification rejects with one generic error", () => {
  it("revoked (on the very next request), expired, deleted, unknown, truncated, other-prefix and malformed keys", async () => {
    const a = await orgWithMembers("Acme");
    const revoked = await newKey(a.admin);
    await verifyApiKey(bearer(revoked.plaintext), IP);
    expect(await revokeApiKey(a.admin, { id: revoked.id }, request())).toMatchObject({ ok: true });
    await expectGenericRejection(bearer(revoked.plaintext));

    const expired = await newKey(a.admin, { expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
    await verifyApiKey(bearer(expired.plaintext), IP);
    await asOwner("update public.api_keys set expires_at = now() - interval '1 second' where id = $1", [expired.id]);
    await expectGenericRejection(bearer(expired.plaintext));

    const deleted = await newKey(a.admin);
    await verifyApiKey(bearer(deleted.plaintext), IP);
    expect(await deleteApiKey(a.admin, { id: deleted.id }, request())).toMatchObject({ ok: true });
    await expectGenericRejection(bearer(deleted.plaintext));
    expect(await log(deleted.id)).toEqual([]); // its verification log went with it

    const valid = await newKey(a.admin);
    const secret = valid.plaintext.slice(8);
    for (const header of [
      bearer(generateApiKey("test")), // unknown
      bearer(generateApiKey("live")), // unknown, other mode
      bearer(valid.plaintext.slice(0, -1)), // truncated
      bearer(`${valid.plaintext}0`), // too long
      bearer(`sk_live_${secret}`), // another product's prefix
      bearer(`tg_prod_${secret}`),
      bearer(secret),
      valid.plaintext, // no scheme
      `Basic ${valid.plaintext}`,
      `Bearer  ${valid.plaintext}`,
      `Bearer ${valid.plaintext} `,
      `Bearer ${valid.plaintext}\n`,
      `Bearer ${valid.plaintext.replace(/[A-Za-z0-9]$/, "!")}`,
      "Bearer",
      "",
      null,
      undefined,
    ]) {
      await expectGenericRejection(header);
    }
    // The valid key still works: the rejections above are about the headers, not the key.
    await verifyApiKey(bearer(valid.plaintext), IP);
    expect((await log(revoked.id)).map((r) => r.reason)).toEqual([null, "revoked"]);
    expect((await log(expired.id)).map((r) => `${r.outcome}:${r.reason}`)).toEqual(["success:null", "failure:expired"]);
  });

  it("a key scoped to a project stops working when the project is deleted", async () => {
    const a = await orgWithMembers("Acme");
    const project = await createProject(a.member, { name: "Launch" }, request());
    if (!project.ok) throw new Error("setup");
    const key = await newKey(a.admin, { projectId: project.data.id });
    expect(await verifyApiKey(bearer(key.plaintext), IP)).toMatchObject({ projectId: project.data.id });
    expect(await deleteProject(a.admin, { id: project.data.id }, request())).toMatchObject({ ok: true });
    await expectGenericRejection(bearer(key.plaintext));
  });
});

describe("KEY-2: rolling a key", () => {
  it("both secrets work until the grace ends, then only the new one; the expiry is unchanged", async () => {
    const a = await orgWithMembers("Acme");
    const expiresAt = new Date(Date.now() + 30 * 86_400_000);
    const key = await newKey(a.admin, { expiresAt: expiresAt.toISOString() });
    const before = Date.now();
    const rolled = await rollApiKey(a.admin, { id: key.id, graceSeconds: 3600 }, request());
    if (!rolled.ok) throw new Error(rolled.message);
    expect(rolled.data.plaintext).not.toBe(key.plaintext);
    expect(new Date(rolled.data.expiresAt!).getTime()).toBe(expiresAt.getTime());
    const graceEnd = new Date(rolled.data.previousExpiresAt).getTime();
    expect(graceEnd).toBeGreaterThanOrEqual(before + 3600_000 - 5_000);
    expect(graceEnd).toBeLessThanOrEqual(Date.now() + 3600_000 + 5_000);

    expect(await verifyApiKey(bearer(key.plaintext), IP)).toMatchObject({ keyId: key.id });
    expect(await verifyApiKey(bearer(rolled.data.plaintext), IP)).toMatchObject({ keyId: key.id });
    const [listed] = await withTenant(a.admin.claims, listApiKeys);
    expect(listed).toMatchObject({ status: "rolling", prefix: rolled.data.prefix });

    // Time passes: the grace ends.
    await asOwner("update public.api_keys set previous_expires_at = now() - interval '1 second' where id = $1", [key.id]);
    await expectGenericRejection(bearer(key.plaintext));
    expect(await verifyApiKey(bearer(rolled.data.plaintext), IP)).toMatchObject({ keyId: key.id });
    const [after] = await asOwner<{ expires_at: Date }>("select expires_at from public.api_keys where id = $1", [key.id]);
    expect(new Date(after!.expires_at).getTime()).toBe(expiresAt.getTime());
    expect((await log(key.id)).map((r) => `${r.outcome}:${r.reason}`)).toEqual([
      "success:previous_key",
      "success:null",
      "failure:previous_key_expired",
      "success:null",
    ]);

    const actions = await withTenant(a.owner.claims, (tx) => tx.query<{ action: string; changes: Record<string, unknown> }>("select action, changes from public.audit_logs order by seq"));
    expect(actions.map((r) => r.action)).toEqual(["api_key.created", "api_key.rolled"]);
  });

  it("grace is at most 7 days, revoked keys cannot be rolled, and the database refuses longer graces or new expiries", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin);
    expect(await rollApiKey(a.admin, { id: key.id, graceSeconds: 7 * 86_400 + 1 }, request())).toMatchObject({ ok: false, status: 422, fieldErrors: { graceSeconds: [expect.any(String)] } });
    expect(await rollApiKey(a.member, { id: key.id, graceSeconds: 3600 }, request())).toMatchObject({ ok: false, status: 403 });
    expect(await rollApiKey(a.admin, { id: key.id, graceSeconds: 7 * 86_400 }, request())).toMatchObject({ ok: true });
    // Below the app: an admin's transaction can neither stretch the grace nor set an expiry.
    await expect(
      withTenant(a.admin.claims, (tx) => tx.query("update public.api_keys set previous_expires_at = now() + interval '30 days' where id = $1", [key.id])),
    ).rejects.toMatchObject({ code: "23514" });
    await expect(
      withTenant(a.admin.claims, (tx) => tx.query("update public.api_keys set expires_at = now() + interval '5 years' where id = $1", [key.id])),
    ).rejects.toMatchObject({ code: "42501" });
    await expect(
      withTenant(a.admin.claims, (tx) => tx.query("update public.api_keys set key_hash = $2, previous_expires_at = now() + interval '8 days' where id = $1", [key.id, hashApiKey(generateApiKey())])),
    ).rejects.toMatchObject({ code: "23514" });

    await revokeApiKey(a.admin, { id: key.id }, request());
    expect(await rollApiKey(a.admin, { id: key.id, graceSeconds: 3600 }, request())).toMatchObject({ ok: false, status: 422 });
    await expect(
      withTenant(a.admin.claims, (tx) => tx.query("update public.api_keys set revoked_at = null where id = $1", [key.id])),
    ).rejects.toMatchObject({ code: "23514" });
  });
});

describe("KEY-2: IP allow-list", () => {
  it("outside the list fails with the same error; inside (IPv4, IPv4-mapped and IPv6) succeeds", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin, { ipAllowlist: "10.1.2.3/16, 2001:db8::/32" });
    const [row] = await asOwner<{ ip_allowlist: string[] }>("select ip_allowlist::text[] as ip_allowlist from public.api_keys where id = $1", [key.id]);
    expect(row!.ip_allowlist).toEqual(["10.1.0.0/16", "2001:db8::/32"]);

    for (const ip of ["10.1.255.4", "::ffff:10.1.0.9", "2001:db8::42", "2001:db8:ffff::1"]) {
      expect(await verifyApiKey(bearer(key.plaintext), ip), ip).toMatchObject({ keyId: key.id });
    }
    for (const ip of ["10.2.0.1", "203.0.113.7", "2001:db9::1", "::ffff:10.2.0.1", "010.1.0.1", "not-an-ip", null]) {
      await expectGenericRejection(bearer(key.plaintext), ip);
    }
    const entries = await log(key.id);
    expect(entries.filter((e) => e.outcome === "success")).toHaveLength(4);
    expect(entries.slice(4).map((e) => [e.reason, e.ip])).toEqual([
      ["ip_not_allowed", "10.2.0.1"],
      ["ip_not_allowed", "203.0.113.7"],
      ["ip_not_allowed", "2001:db9::1"],
      ["ip_not_allowed", "::ffff:10.2.0.1"],
      ["ip_not_allowed", "010.1.0.1"],
      ["ip_not_allowed", "not-an-ip"],
      ["ip_not_allowed", null],
    ]);
  });
});

describe("KEY-2: last use and the verification log", () => {
  it("last_used_at is written on first use, not rewritten within 60 s, and refreshed after", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin);
    const lastUsed = async () => {
      await flushKeyUses();
      return (await asOwner<{ last_used_at: Date | null }>("select last_used_at from public.api_keys where id = $1", [key.id]))[0]!.last_used_at;
    };
    expect(await lastUsed()).toBeNull();
    await verifyApiKey(bearer(key.plaintext), IP);
    const first = await lastUsed();
    expect(first).not.toBeNull();
    await new Promise((r) => setTimeout(r, 20));
    await verifyApiKey(bearer(key.plaintext), IP);
    await verifyApiKey(bearer(key.plaintext), IP);
    expect(new Date((await lastUsed())!).getTime()).toBe(new Date(first!).getTime());

    await asOwner("update public.api_keys set last_used_at = now() - interval '61 seconds' where id = $1", [key.id]);
    const stale = new Date((await lastUsed())!).getTime();
    await verifyApiKey(bearer(key.plaintext), IP);
    expect(new Date((await lastUsed())!).getTime()).toBeGreaterThan(stale + 60_000);
  });

  it("keeps the newest 200 entries per key, recording success and failure with reason and IP", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin, { ipAllowlist: "198.51.100.0/24" });
    const other = await newKey(a.admin);
    await verifyApiKey(bearer(other.plaintext), IP);
    await asOwner(
      `insert into public.key_verifications (org_id, key_id, outcome, reason, ip)
       select $1, $2, 'failure', 'revoked', 'old-' || g from generate_series(1, 250) g`,
      [a.org.id, key.id],
    );
    await verifyApiKey(bearer(key.plaintext), "198.51.100.9");
    await expectGenericRejection(bearer(key.plaintext), IP);

    const entries = await log(key.id);
    expect(entries).toHaveLength(200);
    expect(entries.slice(-2)).toEqual([
      { outcome: "success", reason: null, ip: "198.51.100.9" },
      { outcome: "failure", reason: "ip_not_allowed", ip: IP },
    ]);
    expect(entries[0]!.ip).toBe("old-53"); // 252 written, the oldest 52 gone
    // Another key's log is untouched by this key's trimming.
    expect(await log(other.id)).toEqual([{ outcome: "success", reason: null, ip: IP }]);
    // Admins read it through RLS, newest 20 per key.
    const recent = await withTenant(a.owner.claims, (tx) => listRecentVerifications(tx));
    expect(recent.filter((r) => r.key_id === key.id)).toHaveLength(20);
    expect(recent.find((r) => r.key_id === key.id)).toMatchObject({ outcome: "failure", reason: "ip_not_allowed" });
  });
});

describe("KEY-4: audit", () => {
  it("create, revoke, roll and delete are audit-logged without secrets", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin);
    const second = await newKey(a.admin, { name: "Second" });
    await rollApiKey(a.admin, { id: second.id, graceSeconds: 0 }, request());
    await revokeApiKey(a.admin, { id: key.id }, request());
    await revokeApiKey(a.admin, { id: key.id }, request()); // already revoked: no second entry
    await deleteApiKey(a.admin, { id: key.id }, request());
    const rows = await withTenant(a.owner.claims, (tx) =>
      tx.query<{ action: string; target_id: string; actor_id: string; changes: Record<string, unknown> }>("select action, target_id, actor_id, changes from public.audit_logs order by seq"),
    );
    expect(rows.map((r) => [r.action, r.target_id])).toEqual([
      ["api_key.created", key.id],
      ["api_key.created", second.id],
      ["api_key.rolled", second.id],
      ["api_key.revoked", key.id],
      ["api_key.deleted", key.id],
    ]);
    expect(rows.every((r) => r.actor_id === a.admin.userId)).toBe(true);
    expect(rows[0]!.changes).toEqual({ name: "Partner", prefix: key.prefix, project_id: null, permissions: ["read"], expires_at: null, ip_allowlist: [] });
  });
});
