import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createServer, type Server } from "node:http";
import { createElement } from "react";
import { renderToReadableStream } from "react-dom/server";

// Loopback stand-ins for the providers' APIs (lib/env.ts accepts them outside production only).
const STAND_IN = vi.hoisted(() => {
  process.env.NYLAS_API_URL = "http://127.0.0.1:3151/nylas";
  // Nothing listens here: what "Test" says with no network.
  process.env.DUB_API_URL = "http://127.0.0.1:3152";
  return { port: 3151 };
});
vi.mock("next/headers", () => import("../helpers/next-request"));
vi.mock("next/cache", () => ({ revalidatePath: () => {}, revalidateTag: () => {} }));

const { startRequest, nextRequest } = await import("../helpers/next-request");
const { closeDb, ownerDb, withKeyRotation, withTenant } = await import("@/lib/db");
const { SESSION_COOKIE_NAME } = await import("@/lib/auth/cookie-name");
const { tapLogOutput } = await import("@/lib/observability/logger");
const { environmentKeyProvider, setKeyProvider } = await import("@/lib/crypto");
const { env } = await import("@/lib/env");
const { reencryptRecords, rewrapDataKeys } = await import("@/lib/crypto/rotation");
const credentials = await import("@/lib/credentials");
const { default: IntegrationsPage } = await import("@/app/(dashboard)/settings/integrations/page");
const { default: PersonalPage } = await import("@/app/(dashboard)/account/credentials/page");
const integrationActions = await import("@/app/(dashboard)/settings/integrations/actions");
const personalActions = await import("@/app/(dashboard)/account/credentials/actions");
const { AppRouterContext } = await import("next/dist/shared/lib/app-router-context.shared-runtime");
const { orgWithMembers, request, signIn } = await import("../helpers/tenants");

/** ENC-1 (integrations), ENC-5 (personal credentials), AUD-3 (credential events) and the memory-hygiene cycle. */

const seen: string[] = [];
let server: Server;
beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers.authorization ?? "");
    const ok = req.headers.authorization === "Bearer nyk_valid_standin_key";
    res.writeHead(ok ? 200 : 401, { "content-type": "application/json" }).end(ok ? '{"data":[]}' : '{"error":"unauthorized"}');
  });
  await new Promise<void>((resolve) => server.listen(STAND_IN.port, "127.0.0.1", resolve));
});
afterAll(async () => {
  server.close();
  setKeyProvider(undefined);
  await closeDb();
});

const router = { back() {}, forward() {}, refresh() {}, push() {}, replace() {}, prefetch() {} };
async function html(node: React.ReactNode): Promise<string> {
  const stream = await renderToReadableStream(createElement(AppRouterContext.Provider, { value: router as never }, node));
  await stream.allReady;
  return (await new Response(stream).text()).replaceAll("<!-- -->", "");
}
const form = (fields: Record<string, string>) => {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.set(k, v);
  return data;
};
async function asUser(userId: string, org: { id: string; slug: string }, role: "owner" | "admin" | "member") {
  const { token } = await signIn(userId, { ...org, role });
  startRequest({ cookie: `${SESSION_COOKIE_NAME}=${token}`, origin: "http://localhost:3000", host: "localhost:3000" });
  nextRequest.cookies.set(SESSION_COOKIE_NAME, { value: token, options: {} });
}

describe("ENC-1: org integrations (admins)", () => {
  it("store, replace, test and delete: write-only, last 4 characters shown, audited without the value", async () => {
    const { org, admin, member } = await orgWithMembers("Integrations");
    const set = await credentials.setIntegrationCredential(admin, { service: "nylas", secret: "nyk_wrong_standin_key" }, request());
    expect(set).toEqual({ ok: true, data: { service: "nylas", replaced: false } });
    const failed = await credentials.testIntegrationCredential(admin, { service: "nylas" }, request());
    expect(failed).toMatchObject({ ok: true, data: { ok: false, message: "Nylas rejected the credential (HTTP 401)." } });
    const replaced = await credentials.setIntegrationCredential(admin, { service: "nylas", secret: "nyk_valid_standin_key" }, request());
    expect(replaced).toMatchObject({ ok: true, data: { replaced: true } });
    const passed = await credentials.testIntegrationCredential(admin, { service: "nylas" }, request());
    expect(passed).toMatchObject({ ok: true, data: { ok: true, message: "Nylas accepted the credential." } });
    expect(seen.at(-1)).toBe("Bearer nyk_valid_standin_key");

    // With no network to the provider: a clear result, not an error page.
    await credentials.setIntegrationCredential(admin, { service: "dub", secret: "dub_unreachable_key" }, request());
    const offline = await credentials.testIntegrationCredential(admin, { service: "dub" }, request());
    expect(offline).toMatchObject({ ok: true, data: { ok: false, message: "Could not reach Dub (no connection). Nothing was changed." } });

    const listed = await credentials.listIntegrations(admin, {}, request());
    expect(listed.ok && listed.data.find((c) => c.service === "nylas")).toMatchObject({ last4: "_key", setBy: admin.userId, lastTestOk: true });
    expect(JSON.stringify(listed)).not.toContain("nyk_valid");

    // Members use the org credential (resolution) but cannot manage or list it.
    expect(await credentials.setIntegrationCredential(member, { service: "nylas", secret: "nyk_member_attempt" }, request())).toMatchObject({ ok: false, code: "forbidden" });
    expect(await credentials.listIntegrations(member, {}, request())).toMatchObject({ ok: false, code: "forbidden" });
    // And RLS refuses a member's direct write too.
    await expect(withTenant(member.claims, (tx) => tx.query("update public.integration_credentials set last4 = 'xxxx' where org_id = $1 returning id", [org.id]))).resolves.toEqual([]);

    expect(await credentials.deleteIntegrationCredential(admin, { service: "nylas" }, request())).toMatchObject({ ok: true });
    const audit = await (await ownerDb()).query<{ action: string; changes: unknown }>(
      "select action, changes from public.audit_logs where org_id = $1 and action like 'integration.%' order by seq",
      [org.id],
    );
    expect(audit.map((r) => r.action)).toEqual([
      "integration.credential_set",
      "integration.credential_tested",
      "integration.credential_replaced",
      "integration.credential_tested",
      "integration.credential_set",
      "integration.credential_tested",
      "integration.credential_deleted",
    ]);
    expect(audit[0]!.changes).toEqual({ service: "nylas" });
  });

  it("a malformed secret is refused with a field error, and the refusal carries no secret back", async () => {
    const { org, admin } = await orgWithMembers("Integrations form");
    await asUser(admin.userId, org, "admin");
    const state = await integrationActions.setIntegrationAction({ ok: null }, form({ service: "dub", secret: "has space inside" }));
    expect(state).toMatchObject({ ok: false, fieldErrors: { secret: [expect.stringMatching(/printable/)] }, values: { service: "dub" } });
    expect(JSON.stringify(state)).not.toContain("has space");
  });
});

describe("ENC-5: personal credentials", () => {
  it("A's token is invisible to B and to A's org admins, through the app and through raw SQL under their claims", async () => {
    const { org, owner, admin, member: userA } = await orgWithMembers("Personal");
    const { member: other } = await orgWithMembers("Elsewhere");
    expect(await credentials.setPersonalCredential(userA, { service: "dub", secret: "dub_personal_of_A_123" }, request())).toMatchObject({ ok: true });
    expect(await credentials.setPersonalCredential(admin, { service: "dub", secret: "dub_personal_of_admin" }, request())).toMatchObject({ ok: true });

    const mine = await credentials.listPersonalCredentials(userA, {}, request());
    expect(mine.ok && mine.data.map((c) => c.last4)).toEqual(["_123"]);
    for (const viewer of [owner, admin, other]) {
      const listed = await credentials.listPersonalCredentials(viewer, {}, request());
      expect(listed.ok && listed.data.some((c) => c.last4 === "_123")).toBe(false);
      const raw = await withTenant(viewer.claims, (tx) => tx.query("select * from public.personal_credentials where user_id = $1", [userA.userId]));
      expect(raw).toEqual([]);
      const changed = await withTenant(viewer.claims, (tx) => tx.query("update public.personal_credentials set last4 = 'zzzz' where user_id = $1 returning id", [userA.userId]));
      expect(changed).toEqual([]);
      const removed = await withTenant(viewer.claims, (tx) => tx.query("delete from public.personal_credentials where user_id = $1 returning id", [userA.userId]));
      expect(removed).toEqual([]);
    }
    // Nobody can plant a credential in someone else's name either.
    await expect(
      withTenant(admin.claims, (tx) =>
        tx.query("insert into public.personal_credentials (id, org_id, user_id, service, ciphertext, data_key_id, last4) values (gen_random_uuid(), $1, $2, 'nylas', 'x', gen_random_uuid(), 'x')", [org.id, userA.userId]),
      ),
    ).rejects.toThrow(/row-level security|violates/);
    // The admin's page shows the admin's own token only.
    await asUser(admin.userId, org, "admin");
    const page = await html(await PersonalPage({}));
    expect(page).toContain("••••mins".replace("mins", "dmin"));
    expect(page).not.toContain("_123");
  });

  it("resolution order: personal, then org, then none (one function)", async () => {
    const { admin, member } = await orgWithMembers("Resolution");
    const resolve = (s: typeof member) => withTenant(s.claims, (tx) => credentials.resolveCredential(tx, { orgId: s.orgId!, userId: s.userId }, "nylas"));
    expect(await resolve(member)).toEqual({ source: "none" });
    await credentials.setIntegrationCredential(admin, { service: "nylas", secret: "nyk_org_wide_secret" }, request());
    expect(await resolve(member)).toEqual({ source: "org", secret: "nyk_org_wide_secret" });
    await credentials.setPersonalCredential(member, { service: "nylas", secret: "nyk_members_own_secret" }, request());
    expect(await resolve(member)).toEqual({ source: "personal", secret: "nyk_members_own_secret" });
    // The admin, who has no personal token, gets the org's, never the member's.
    expect(await resolve(admin)).toEqual({ source: "org", secret: "nyk_org_wide_secret" });
    await credentials.deletePersonalCredential(member, { service: "nylas" }, request());
    expect(await resolve(member)).toEqual({ source: "org", secret: "nyk_org_wide_secret" });
  });
});

describe("memory hygiene: a full create/use/rotate/delete cycle", () => {
  it("the plaintext appears in no log line, audit row, action result, rendered page, error message or database column", async () => {
    const SECRET = `nyk_hygiene_${Math.random().toString(36).slice(2)}_plaintext`;
    const PERSONAL = `dub_hygiene_${Math.random().toString(36).slice(2)}_personal`;
    const outputs: string[] = [];
    const untap = tapLogOutput((line) => void outputs.push(line));
    const original = { out: process.stdout.write, err: process.stderr.write };
    const intercept = (chunk: unknown) => {
      outputs.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
      return true;
    };
    process.stdout.write = intercept as typeof process.stdout.write;
    process.stderr.write = intercept as typeof process.stderr.write;
    const { org, admin, member } = await orgWithMembers("Hygiene");
    try {
      await asUser(admin.userId, org, "admin");
      outputs.push(JSON.stringify(await integrationActions.setIntegrationAction({ ok: null }, form({ service: "nylas", secret: SECRET }))));
      await asUser(admin.userId, org, "admin");
      outputs.push(JSON.stringify(await integrationActions.setIntegrationAction({ ok: null }, form({ service: "nylas", secret: `${SECRET} bad` }))));
      await asUser(admin.userId, org, "admin");
      outputs.push(JSON.stringify(await integrationActions.testIntegrationAction({ ok: null }, form({ service: "nylas" }))));
      await asUser(member.userId, org, "member");
      outputs.push(JSON.stringify(await personalActions.setPersonalCredentialAction({ ok: null }, form({ service: "dub", secret: PERSONAL }))));
      await asUser(admin.userId, org, "admin");
      outputs.push(await html(await IntegrationsPage({})));
      await asUser(member.userId, org, "member");
      outputs.push(await html(await PersonalPage({})));

      // Use: resolved in memory (and sent to the provider stand-in), nowhere else.
      const used = await withTenant(member.claims, (tx) => credentials.resolveCredential(tx, { orgId: org.id, userId: member.userId }, "dub"));
      expect(used).toEqual({ source: "personal", secret: PERSONAL });

      // Rotate: a new KEK, re-wrap and re-encrypt, then a decryption failure's message.
      // Rotate this org only to "hyg", a KEK every test process holds (vitest.config.ts).
      const keys = env.encryptionKeys;
      const { Keyring } = await import("@/lib/crypto/keyring");
      setKeyProvider(environmentKeyProvider(new Keyring(new Map(keys.ids.map((id) => [id, keys.material(id)!])), "hyg")));
      await rewrapDataKeys({ orgIds: [org.id], onBatch: (p) => void outputs.push(JSON.stringify(p)) });
      await reencryptRecords({ orgIds: [org.id], onBatch: (p) => void outputs.push(JSON.stringify(p)) });
      await withTenant(admin.claims, (tx) =>
        credentials.resolveCredential(tx, { orgId: org.id, userId: admin.userId }, "nylas").then((r) => expect(r).toMatchObject({ source: "org" })),
      );
      const owner = await ownerDb();
      await owner.query("update public.integration_credentials set ciphertext = regexp_replace(ciphertext, ':[^:]+$', ':AAAAAAAAAAAAAAAAAAAAAA') where org_id = $1", [org.id]);
      await asUser(admin.userId, org, "admin");
      const broken = await integrationActions.testIntegrationAction({ ok: null }, form({ service: "nylas" }));
      expect(broken).toMatchObject({ ok: false });
      outputs.push(JSON.stringify(broken));
      const thrown = await withTenant(admin.claims, (tx) => credentials.resolveCredential(tx, { orgId: org.id, userId: admin.userId }, "nylas")).catch((e: Error) => e);
      expect(thrown).toBeInstanceOf(Error);
      outputs.push(String((thrown as Error).message), String((thrown as Error).stack));

      // Delete.
      await asUser(admin.userId, org, "admin");
      outputs.push(JSON.stringify(await integrationActions.deleteIntegrationAction({ ok: null }, form({ service: "nylas" }))));
      await asUser(member.userId, org, "member");
      outputs.push(JSON.stringify(await personalActions.deletePersonalCredentialAction({ ok: null }, form({ service: "dub" }))));
    } finally {
      untap();
      process.stdout.write = original.out;
      process.stderr.write = original.err;
      setKeyProvider(undefined);
    }
    // Every table's rows as text: audit log, credentials, data keys, notifications, jobs, ...
    const owner = await ownerDb();
    const tables = await owner.query<{ name: string }>(
      "select format('%I.%I', schemaname, tablename) as name from pg_catalog.pg_tables where schemaname in ('public', 'private', 'idp')",
    );
    for (const { name } of tables) {
      const [row] = await owner.query<{ dump: string | null }>(`select string_agg(t::text, E'\\n') as dump from ${name} t`);
      outputs.push(row?.dump ?? "");
    }
    const all = outputs.join("\n");
    expect(all).toContain("integration.credential_set"); // the capture saw the cycle
    expect(all).toContain("Credential saved.");
    for (const secret of [SECRET, PERSONAL]) {
      expect(all.includes(secret), `found ${secret.slice(0, 12)}…`).toBe(false);
      expect(all.includes(Buffer.from(secret).toString("base64")), "found base64 of the secret").toBe(false);
    }
    // The page showed the last 4 characters only.
    expect(all).toContain(`••••${SECRET.slice(-4)}`);
    await withKeyRotation((tx) => tx.query("select 1"));
  });
});
