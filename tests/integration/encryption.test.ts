import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { closeDb, ownerDb, withKeyRotation, withTenant } from "@/lib/db";
import type { Session } from "@/lib/auth/claims";
import {
  DecryptionError,
  MissingKeyError,
  environmentKeyProvider,
  fieldCipher,
  keyProvider,
  setKeyProvider,
  verifyKeysAvailable,
  type FieldPlace,
} from "@/lib/crypto";
import { env } from "@/lib/env";
import { Keyring, parseEncryptionKeys } from "@/lib/crypto/keyring";
import { ENCRYPTED_COLUMNS, KeyInUseError, reencryptRecords, retireKek, rewrapDataKeys } from "@/lib/crypto/rotation";
import { readCredential } from "@/lib/credentials/store";
import { checkDecryptSelfTest, checkKeysPendingRetirement, checkRecordsPerKeyVersion } from "@/lib/crypto/live-check";
import { setIntegrationCredential, setPersonalCredential } from "@/lib/credentials";
import { orgWithMembers, request } from "../helpers/tenants";

/**
 * ENC-1 / ENC-2: envelope encryption and rotation against the real schema (both engines). Each KEK change installs
 * a provider over a keyring, exactly what a different ENCRYPTION_KEYS at start produces (lib/crypto/keyring.ts).
 */

// The test processes' ENCRYPTION_KEYS (vitest.config.ts): "dev" active, and t1..t3 for the rotation tests.
const testKeys = env.encryptionKeys;
const newMaterial = Buffer.alloc(32, 0x5a);
const keyringOf = (active: string, replace: Record<string, Buffer> = {}) =>
  new Keyring(new Map(testKeys.ids.map((id) => [id, replace[id] ?? testKeys.material(id)!])), active);
const useKeyring = (keyring: Keyring | undefined) => setKeyProvider(keyring && environmentKeyProvider(keyring));
const onPostgres = Boolean(process.env.DATABASE_URL);

/** scripts/keys.ts as `npm run keys:*` runs it, in a child process with its own ENCRYPTION_KEYS. */
function keysCommand(args: string[], encryptionKeys: string, onLine?: (line: string, kill: () => void) => void) {
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=react-server", "scripts/keys.ts", ...args], {
    env: { ...process.env, ENCRYPTION_KEYS: encryptionKeys },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const line of chunk.toString().split("\n").filter(Boolean)) onLine?.(line, () => child.kill("SIGKILL"));
  });
  child.stderr.on("data", (chunk: Buffer) => void (stderr += chunk.toString()));
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}
const TEST_KEYS = process.env.ENCRYPTION_KEYS!.split(";")[0]!;

let a: Awaited<ReturnType<typeof orgWithMembers>>;
let b: Awaited<ReturnType<typeof orgWithMembers>>;

beforeAll(async () => {
  useKeyring(undefined);
  a = await orgWithMembers("Crypto A");
  b = await orgWithMembers("Crypto B");
});
afterEach(() => useKeyring(undefined));
afterAll(async () => {
  setKeyProvider(undefined);
  await closeDb();
});

const place = (session: Session, over: Partial<FieldPlace> = {}): FieldPlace => ({
  orgId: session.orgId!,
  table: "integration_credentials",
  column: "ciphertext",
  rowId: "11111111-1111-4111-8111-111111111111",
  ...over,
});

const encrypt = (session: Session, p: FieldPlace, plaintext: string) => withTenant(session.claims, (tx) => fieldCipher(tx).encrypt(p, plaintext));
const decrypt = (session: Session, p: FieldPlace, ciphertext: string) => withTenant(session.claims, (tx) => fieldCipher(tx).decrypt(p, ciphertext));

/** Replaces the base64url part `index` (3 iv, 4 commitment, 5 ciphertext, 6 tag) with one bit flipped. */
function flip(ciphertext: string, index: number): string {
  const parts = ciphertext.split(":");
  const bytes = Buffer.from(parts[index]!, "base64url");
  bytes[0] = bytes[0]! ^ 0x01;
  parts[index] = bytes.toString("base64url");
  return parts.join(":");
}

describe("ENC-1: envelope encryption", () => {
  it("round trip: what is encrypted decrypts to the same text, and the stored form names format, data key and KEK", async () => {
    const p = place(a.admin);
    const { ciphertext, dataKeyId } = await encrypt(a.admin, p, "nyk_v0_round-trip-secret");
    expect(ciphertext).toMatch(new RegExp(`^tg1:${dataKeyId}:dev:`));
    expect(ciphertext).not.toContain("round-trip");
    await expect(decrypt(a.admin, p, ciphertext)).resolves.toBe("nyk_v0_round-trip-secret");
  });

  it("the same plaintext twice gives different ciphertexts (a fresh IV each time)", async () => {
    const p = place(a.admin);
    const values = await Promise.all(Array.from({ length: 20 }, () => encrypt(a.admin, p, "same-secret-value")));
    const ivs = new Set(values.map((v) => v.ciphertext.split(":")[3]));
    expect(new Set(values.map((v) => v.ciphertext)).size).toBe(20);
    expect(ivs.size).toBe(20);
  });

  it.each([
    ["IV", 3],
    ["key commitment", 4],
    ["ciphertext", 5],
    ["tag", 6],
  ])("a tampered %s fails to decrypt", async (_what, index) => {
    const p = place(a.admin);
    const { ciphertext } = await encrypt(a.admin, p, "tamper-me-secret");
    await expect(decrypt(a.admin, p, flip(ciphertext, index))).rejects.toBeInstanceOf(DecryptionError);
  });

  it("a changed key id or format version fails to decrypt", async () => {
    const p = place(a.admin);
    const { ciphertext } = await encrypt(a.admin, p, "key-id-secret");
    const parts = ciphertext.split(":");
    const other = await encrypt(a.admin, place(a.admin, { rowId: "22222222-2222-4222-8222-222222222222" }), "x-other-secret");
    const withKek = [...parts.slice(0, 2), "other", ...parts.slice(3)].join(":");
    const withUnknownDek = [parts[0], "00000000-0000-4000-8000-000000000000", ...parts.slice(2)].join(":");
    const withVersion = ["tg2", ...parts.slice(1)].join(":");
    for (const bad of [withKek, withUnknownDek, withVersion]) {
      await expect(decrypt(a.admin, p, bad)).rejects.toBeInstanceOf(DecryptionError);
    }
    expect(other.dataKeyId).toBe(parts[1]);
  });

  it("associated data: a ciphertext moved to another row, another column or another org's row fails", async () => {
    const p = place(a.admin);
    const { ciphertext } = await encrypt(a.admin, p, "bound-to-its-place");
    await expect(decrypt(a.admin, { ...p, rowId: "33333333-3333-4333-8333-333333333333" }, ciphertext)).rejects.toBeInstanceOf(DecryptionError);
    await expect(decrypt(a.admin, { ...p, column: "other_column" }, ciphertext)).rejects.toBeInstanceOf(DecryptionError);
    await expect(decrypt(a.admin, { ...p, table: "personal_credentials" }, ciphertext)).rejects.toBeInstanceOf(DecryptionError);
    // Org B cannot see A's data key (RLS), and naming A's org from B's transaction is refused as well.
    await expect(decrypt(b.admin, place(b.admin), ciphertext)).rejects.toBeInstanceOf(DecryptionError);
    await expect(decrypt(b.admin, p, ciphertext)).rejects.toBeInstanceOf(DecryptionError);
  });

  it("a stored ciphertext copied into another org's credential row fails to decrypt there", async () => {
    const setA = await setIntegrationCredential(a.admin, { service: "dub", secret: "dub_copy_me_secret_A" }, request());
    const setB = await setIntegrationCredential(b.admin, { service: "dub", secret: "dub_other_secret_B" }, request());
    expect(setA.ok && setB.ok).toBe(true);
    const owner = await ownerDb();
    await owner.query(
      `update public.integration_credentials set ciphertext = (select ciphertext from public.integration_credentials where org_id = $1 and service = 'dub')
        where org_id = $2 and service = 'dub'`,
      [a.org.id, b.org.id],
    );
    await expect(withTenant(b.admin.claims, (tx) => readCredential(tx, "org", { orgId: b.org.id, userId: b.admin.userId }, "dub"))).rejects.toBeInstanceOf(DecryptionError);
    await owner.query("delete from public.integration_credentials where org_id = $1 and service = 'dub'", [b.org.id]);
  });
});

describe("ENC-1: data keys cannot be planted", () => {
  it("a member has no INSERT on data_keys, and private.create_data_key adds one only for an org without an active key", async () => {
    await encrypt(a.member, place(a.member), "creates-or-reuses-the-active-key");
    await expect(
      withTenant(a.member.claims, (tx) => tx.query("insert into public.data_keys (org_id, version, kek_id, wrapped_key) values ($1, 99, 'dev', repeat('A', 80))", [a.org.id])),
    ).rejects.toThrow(/permission denied/);
    const planted = await withTenant(a.member.claims, (tx) =>
      tx.query("select * from private.create_data_key(gen_random_uuid(), 'nonexistent', repeat('A', 80))"),
    );
    expect(planted).toEqual([]);
    await expect(verifyKeysAvailable()).resolves.toMatchObject({ missing: [] });
  });
});

describe("ENC-1: key-encryption keys at start-up", () => {
  it("a missing KEK is a clear refusal naming the key id", async () => {
    const p = place(a.admin);
    const { ciphertext } = await encrypt(a.admin, p, "needs-the-dev-kek");
    const other = parseEncryptionKeys(`prod1:${newMaterial.toString("base64")}`).keyring!;
    setKeyProvider(environmentKeyProvider(other));
    const refusal = await verifyKeysAvailable().then(() => null, (e: unknown) => e);
    expect(refusal).toBeInstanceOf(MissingKeyError);
    expect((refusal as MissingKeyError).kekIds).toContain("dev");
    expect((refusal as Error).message).toMatch(/Refusing to start: .*"dev".*ENCRYPTION_KEYS does not contain/);
    // A value whose data key needs the missing KEK is refused the same way, never decrypted some other way.
    await expect(decrypt(a.admin, p, ciphertext)).rejects.toThrow(/key-encryption key "dev", which ENCRYPTION_KEYS does not contain/);
  });

  it("a KEK with the right id but the wrong material is a clear refusal naming the key id", async () => {
    useKeyring(keyringOf("dev", { dev: newMaterial }));
    await expect(verifyKeysAvailable()).rejects.toThrow(/Refusing to start: the configured key "dev" is not the key that wrapped the stored data keys/);
  });

  it.skipIf(!onPostgres)("a process started without a referenced KEK refuses at its first database use, naming the key id", async () => {
    await encrypt(a.admin, place(a.admin), "still-under-dev");
    const refused = await keysCommand(["check"], `other:${newMaterial.toString("base64")}`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Refusing to start: data keys are wrapped by key-encryption keys? .*"dev"/);
    const started = await keysCommand(["check"], `${TEST_KEYS};active=dev`);
    expect(started).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Keys OK\. Active: dev\./) });
  });

  it("with every referenced KEK present, the check passes and counts data keys per KEK", async () => {
    const inventory = await verifyKeysAvailable();
    expect(inventory.missing).toEqual([]);
    expect(inventory.dataKeysByKek["dev"]).toBeGreaterThanOrEqual(2);
  });
});

describe("ENC-2: rotation", () => {
  async function allDecrypt(orgIds: string[]) {
    const rows = await withKeyRotation(async (tx) => {
      const out: { table: string; id: string; org_id: string; value: string; data_key_id: string }[] = [];
      for (const { table } of ENCRYPTED_COLUMNS) {
        const found = await tx.query<{ id: string; org_id: string; value: string; data_key_id: string }>(
          `select id, org_id, ciphertext as value, data_key_id from public.${table} where org_id = any($1)`,
          [orgIds],
        );
        out.push(...found.map((r) => ({ ...r, table })));
      }
      const cipher = fieldCipher(tx, { rotation: true });
      for (const r of out) await cipher.decrypt({ orgId: r.org_id, table: r.table, column: "ciphertext", rowId: r.id }, r.value);
      return out;
    });
    return rows;
  }

  it("rotation killed half-way then resumed: everything decrypts, nothing on a retired key, reads and writes in between succeed", async () => {
    // Orgs whose data keys are wrapped by t1 (only this test uses t1): enough for several batches of one.
    useKeyring(keyringOf("t1"));
    const orgs = [await orgWithMembers("Crypto C"), await orgWithMembers("Crypto D"), await orgWithMembers("Crypto E"), await orgWithMembers("Crypto F")];
    const orgIds = orgs.map((o) => o.org.id);
    for (const [i, o] of orgs.entries()) {
      expect((await setIntegrationCredential(o.admin, { service: "nylas", secret: `nylas_secret_${i}_abcdef` }, request())).ok).toBe(true);
      expect((await setPersonalCredential(o.member, { service: "nylas", secret: `personal_secret_${i}_abcdef` }, request())).ok).toBe(true);
    }
    // New active KEK "t2"; "t1" still decrypts.
    useKeyring(keyringOf("t2"));

    // Re-wrap, stopped after two batches of one (what a kill between batches leaves), with traffic between batches.
    const stop = new AbortController();
    let batches = 0;
    const traffic: boolean[] = [];
    const between = async () => {
      const o = orgs[batches % orgs.length]!;
      const read = await withTenant(o.admin.claims, (tx) => readCredential(tx, "org", { orgId: o.org.id, userId: o.admin.userId }, "nylas"));
      const wrote = await setIntegrationCredential(o.admin, { service: "webhook_signing", secret: `whsig_during_rotation_${batches}` }, request());
      traffic.push(read !== null && wrote.ok);
      if (++batches === 2) stop.abort();
    };
    const first = await rewrapDataKeys({ batchSize: 1, onBatch: between, signal: stop.signal, orgIds });
    expect(first.rewrapped).toBe(2);
    expect(first.remaining).toBeGreaterThan(0);
    await allDecrypt(orgIds);
    const resumed = await rewrapDataKeys({ batchSize: 1, onBatch: between, orgIds });
    expect(resumed.remaining).toBe(0);

    // Re-encrypt under fresh data keys, killed after one batch, then resumed.
    const stop2 = new AbortController();
    const partial = await reencryptRecords({
      orgIds,
      batchSize: 2,
      signal: stop2.signal,
      onBatch: async () => {
        await between();
        stop2.abort();
      },
    });
    expect(partial.resumed).toBe(false);
    const [{ n: retiring } = { n: 0 }] = await withKeyRotation((tx) => tx.query<{ n: number }>("select count(*)::int as n from public.data_keys where status = 'retiring' and org_id = any($1)", [orgIds]));
    expect(retiring).toBeGreaterThan(0);
    await allDecrypt(orgIds);
    const done = await reencryptRecords({ batchSize: 2, onBatch: between, orgIds });
    expect(done.resumed).toBe(true);
    expect(done.retiredDataKeys).toBeGreaterThan(0);

    expect(traffic.length).toBeGreaterThanOrEqual(4);
    expect(traffic.every(Boolean)).toBe(true);
    const rows = await allDecrypt(orgIds);
    const [onRetired] = await withKeyRotation((tx) =>
      tx.query<{ n: number }>(
        `select count(*)::int as n from public.data_keys k where k.status <> 'active' and k.org_id = any($1)
            and (exists (select 1 from public.integration_credentials c where c.data_key_id = k.id)
              or exists (select 1 from public.personal_credentials c where c.data_key_id = k.id))`,
        [orgIds],
      ),
    );
    expect(onRetired!.n).toBe(0);
    expect(rows.length).toBeGreaterThanOrEqual(orgs.length * 2);
    for (const r of rows) expect(r.value.split(":")[2]).toBe("t2");

    // "t1" now wraps nothing: the query proves it, so it may be retired; the active key never may.
    await expect(retireKek("t1")).resolves.toEqual({ kekId: "t1", dataKeys: 0 });
    await expect(retireKek("t2")).rejects.toBeInstanceOf(KeyInUseError);
    // And a keyring without "t1" starts: nothing references it.
    useKeyring(keyringOf("t2").without("t1"));
    await expect(verifyKeysAvailable()).resolves.toMatchObject({ missing: [] });
    await allDecrypt(orgIds);
  });

  it.skipIf(!onPostgres)("keys:rotate --reencrypt as a command, killed half-way while the app reads and writes, then run again", async () => {
    useKeyring(keyringOf("t3"));
    const orgs = [await orgWithMembers("Kill A"), await orgWithMembers("Kill B"), await orgWithMembers("Kill C")];
    const orgIds = orgs.map((o) => o.org.id);
    for (const [i, o] of orgs.entries()) {
      expect((await setIntegrationCredential(o.admin, { service: "dub", secret: `dub_kill_${i}_secret` }, request())).ok).toBe(true);
      expect((await setPersonalCredential(o.member, { service: "dub", secret: `dub_kill_personal_${i}` }, request())).ok).toBe(true);
    }
    useKeyring(keyringOf("t4"));
    const traffic: Promise<boolean>[] = [];
    let lines = 0;
    const killed = await keysCommand(
      ["rotate", "--reencrypt", "--batch-size", "1", "--pause-ms", "200", ...orgIds.flatMap((id) => ["--org", id])],
      `${TEST_KEYS};active=t4`,
      (line, kill) => {
        const o = orgs[lines % orgs.length]!;
        // The app keeps serving: a read and a write in each pause between the command's batches.
        traffic.push(
          withTenant(o.admin.claims, (tx) => readCredential(tx, "org", { orgId: o.org.id, userId: o.admin.userId }, "dub")).then(async (read) => {
            const wrote = await setIntegrationCredential(o.admin, { service: "nylas", secret: `nyk_during_${lines}_x` }, request());
            return read !== null && wrote.ok;
          }),
        );
        if (line.startsWith("reencrypt:") && ++lines === 2) kill();
      },
    );
    expect(killed.signal).toBe("SIGKILL");
    expect(await Promise.all(traffic)).toEqual(traffic.map(() => true));
    const [{ n: retiring } = { n: 0 }] = await withKeyRotation((tx) => tx.query<{ n: number }>("select count(*)::int as n from public.data_keys where status = 'retiring' and org_id = any($1)", [orgIds]));
    expect(retiring).toBeGreaterThan(0);

    const resumed = await keysCommand(["rotate", "--reencrypt", ...orgIds.flatMap((id) => ["--org", id])], `${TEST_KEYS};active=t4`);
    expect(resumed).toMatchObject({ code: 0, stdout: expect.stringMatching(/Resumed: re-encrypted \d+ value\(s\)/) });
    const rows = await withKeyRotation((tx) =>
      tx.query<{ n: number; on_active: number }>(
        `select count(*)::int as n, count(*) filter (where k.status = 'active' and k.kek_id = 't4')::int as on_active
           from (select data_key_id, org_id from public.integration_credentials union all select data_key_id, org_id from public.personal_credentials) c
           join public.data_keys k on k.id = c.data_key_id where c.org_id = any($1)`,
        [orgIds],
      ),
    );
    expect(rows[0]!.n).toBeGreaterThanOrEqual(6);
    expect(rows[0]!.on_active).toBe(rows[0]!.n);
    for (const o of orgs) {
      await expect(withTenant(o.member.claims, (tx) => readCredential(tx, "personal", { orgId: o.org.id, userId: o.member.userId }, "dub"))).resolves.toMatchObject({ secret: expect.stringMatching(/^dub_kill_personal_/) });
    }
  });

  it("keys:retire refuses while any data key still references the KEK", async () => {
    useKeyring(keyringOf("t3"));
    // An org created now gets a data key under t3; t2 still wraps the previous test's.
    const fresh = await orgWithMembers("Crypto G");
    await encrypt(fresh.admin, place(fresh.admin), "under-t3");
    const refusal = await retireKek("t2").then(() => null, (e: unknown) => e);
    expect(refusal).toBeInstanceOf(KeyInUseError);
    expect((refusal as KeyInUseError).dataKeys).toBeGreaterThan(0);
    expect((refusal as Error).message).toMatch(/Refusing to retire key-encryption key "t2": \d+ data key\(s\) are still wrapped by it/);
    expect(keyProvider().activeKekId).toBe("t3");
  });
});

describe("ENC-1 / ENC-2 live checks", () => {
  it("records per key version, keys pending retirement and the decrypt self-test report the keys as they are", async () => {
    await encrypt(a.admin, place(a.admin), "for-the-live-checks");
    await expect(checkDecryptSelfTest()).resolves.toMatchObject({ status: "pass", detail: expect.stringMatching(/Round trip and tamper refusal under \d+ key-encryption key/) });
    // The test keyring holds non-active KEKs (t1..t4, hyg): listed, with what each still wraps.
    await expect(checkKeysPendingRetirement()).resolves.toMatchObject({ status: "warn", detail: expect.stringMatching(/^Active: dev\. Pending retirement: .*t1: 0 data key\(s\) \(can be retired\)/) });
    const records = await checkRecordsPerKeyVersion();
    expect(records.detail).toMatch(/dev \(active\): \d+/);
    // A value left on a retired data key fails the check (what a broken re-encryption would leave).
    const owner = await ownerDb();
    const [victim] = await owner.query<{ id: string; data_key_id: string }>("select id, data_key_id from public.integration_credentials where org_id = $1 limit 1", [a.org.id]);
    await owner.query("update public.data_keys set status = 'retired', kek_id = null, wrapped_key = null where id = $1", [victim!.data_key_id]);
    await expect(checkRecordsPerKeyVersion()).resolves.toMatchObject({ status: "fail", detail: expect.stringMatching(/reference a retired data key/) });
    await owner.query("delete from public.integration_credentials where data_key_id = $1", [victim!.data_key_id]);
    await owner.query("delete from public.personal_credentials where data_key_id = $1", [victim!.data_key_id]);
  });
});
