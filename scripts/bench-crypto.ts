// `npm run bench:crypto` (= tsx --conditions=react-server scripts/bench-crypto.ts): what envelope encryption
// (lib/crypto) costs on PostgreSQL, beside storing and loading the same values in plain text.
//
// A benchmark, not a test: it exits 0 once it has measured (non-zero only if it could not run at all).
//   store    BENCH_CRYPTO_VALUES (10,000) credentials over 100 orgs, 100 per transaction as role key_rotation, into a
//            scratch table: plain text vs encrypted with the org's data key (fieldCipher) first.
//   load     the same rows read back per org (100 per transaction): plain vs decrypted.
//   rotate   BENCH_CRYPTO_ORGS (1,000) orgs with 3 integration credentials each: `rewrapDataKeys` (data keys
//            re-wrapped per second) and `reencryptRecords` (values re-encrypted per second), batch size 200.
// Every org, data key and credential it creates is deleted at the end. PostgreSQL only: DATABASE_URL (runtime role)
// and MIGRATION_DATABASE_URL (owner); with the embedded database it says so and exits 0.
import { randomBytes, randomUUID } from "node:crypto";
import os from "node:os";
import { QUICK, recordFigures } from "./bench/results";

process.env.LOG_LEVEL ??= "warn";

const VALUES = Number(process.env.BENCH_CRYPTO_VALUES ?? (QUICK ? 2_000 : 10_000));
const ORGS = Number(process.env.BENCH_CRYPTO_ORGS ?? (QUICK ? 100 : 1_000));
const PER_TX = 100;

async function main() {
  if (!process.env.DATABASE_URL || !process.env.MIGRATION_DATABASE_URL) {
    console.log("bench:crypto measures PostgreSQL: set DATABASE_URL and MIGRATION_DATABASE_URL. Skipped.");
    return;
  }
  const { closeDb, migrate, ownerDb, withKeyRotation } = await import("@/lib/db");
  const { env } = await import("@/lib/env");
  const { environmentKeyProvider, fieldCipher, setKeyProvider } = await import("@/lib/crypto");
  const { Keyring } = await import("@/lib/crypto/keyring");
  const { reencryptRecords, rewrapDataKeys } = await import("@/lib/crypto/rotation");

  const owner = await ownerDb();
  await migrate(owner);
  const suffix = randomBytes(5).toString("hex");
  const scratch = `bench_crypto_${suffix}`;
  const orgIds = Array.from({ length: Math.max(100, ORGS) }, (_, i) => `org_bc${suffix}${i}`);
  const valueOrgs = orgIds.slice(0, 100);
  const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

  // Two throwaway KEKs beside the configured ones: the rotation goes from the first to the second.
  const keys = env.encryptionKeys;
  const material = new Map(keys.ids.map((id) => [id, keys.material(id)!]));
  material.set("benchA", randomBytes(32));
  material.set("benchB", randomBytes(32));
  setKeyProvider(environmentKeyProvider(new Keyring(material, "benchA")));
  try {
    await owner.query(
      "insert into public.organizations (id, name, slug) select id, 'Bench crypto', replace(lower(id), '_', '-') from unnest($1::text[]) id",
      [orgIds],
    );
    await owner.exec(`create schema ${scratch};
      create table ${scratch}.vals (id uuid primary key, org_id text not null, value text not null);
      create index on ${scratch}.vals (org_id);
      grant usage on schema ${scratch} to key_rotation; grant select, insert on ${scratch}.vals to key_rotation;`);

    const secrets = Array.from({ length: VALUES }, () => `nyk_${randomBytes(24).toString("base64url")}`);
    const batches = Array.from({ length: Math.ceil(VALUES / PER_TX) }, (_, b) => ({ org: valueOrgs[b % valueOrgs.length]!, from: b * PER_TX }));
    const store = async (table: string, encrypt: boolean) => {
      const start = process.hrtime.bigint();
      for (const { org, from } of batches) {
        await withKeyRotation(async (tx) => {
          const cipher = fieldCipher(tx, { rotation: true });
          const ids: string[] = [];
          const values: string[] = [];
          for (const secret of secrets.slice(from, from + PER_TX)) {
            const id = randomUUID();
            ids.push(id);
            values.push(encrypt ? (await cipher.encrypt({ orgId: org, table, column: "value", rowId: id }, secret)).ciphertext : secret);
          }
          await tx.query(`insert into ${scratch}.vals (id, org_id, value) select * from unnest($1::uuid[], $2::text[], $3::text[])`, [ids, ids.map(() => org + (encrypt ? "" : "_plain")), values]);
        });
      }
      return VALUES / seconds(start);
    };
    const load = async (table: string, encrypt: boolean) => {
      const start = process.hrtime.bigint();
      let n = 0;
      for (const org of valueOrgs) {
        await withKeyRotation(async (tx) => {
          const rows = await tx.query<{ id: string; value: string }>(`select id, value from ${scratch}.vals where org_id = $1`, [org + (encrypt ? "" : "_plain")]);
          const cipher = fieldCipher(tx, { rotation: true });
          for (const r of rows) {
            const v = encrypt ? await cipher.decrypt({ orgId: org, table, column: "value", rowId: r.id }, r.value) : r.value;
            if (v.length > 0) n++;
          }
        });
      }
      if (n !== VALUES) throw new Error(`loaded ${n} of ${VALUES}`);
      return VALUES / seconds(start);
    };
    const plainStore = await store("vals", false);
    const encStore = await store("vals", true);
    const plainLoad = await load("vals", false);
    const encLoad = await load("vals", true);

    // Rotation on the real tables: 3 integration credentials per org, written as the owner after encrypting.
    const services = ["nylas", "dub", "webhook_signing"];
    for (let i = 0; i < orgIds.length; i += 100) {
      const chunk = orgIds.slice(i, i + 100);
      const rows = await withKeyRotation(async (tx) => {
        const cipher = fieldCipher(tx, { rotation: true });
        const out: unknown[][] = [];
        for (const org of chunk) {
          for (const service of services) {
            const id = randomUUID();
            const sealed = await cipher.encrypt({ orgId: org, table: "integration_credentials", column: "ciphertext", rowId: id }, `sec_${randomBytes(16).toString("hex")}`);
            out.push([id, org, service, sealed.ciphertext, sealed.dataKeyId]);
          }
        }
        return out;
      });
      await owner.query(
        `insert into public.integration_credentials (id, org_id, service, ciphertext, data_key_id, last4, set_by)
         select id, org_id, service, ciphertext, data_key_id, 'xxxx', 'user_bench' from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[]) as t(id, org_id, service, ciphertext, data_key_id)`,
        [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2]), rows.map((r) => r[3]), rows.map((r) => r[4])],
      );
    }
    setKeyProvider(environmentKeyProvider(new Keyring(material, "benchB")));
    let start = process.hrtime.bigint();
    const rewrap = await rewrapDataKeys({ orgIds, batchSize: 200 });
    const rewrapRate = rewrap.rewrapped / seconds(start);
    start = process.hrtime.bigint();
    const re = await reencryptRecords({ orgIds, batchSize: 200 });
    const reRate = re.reencrypted / seconds(start);

    const f = (n: number) => Math.round(n).toLocaleString("en-US");
    console.log(`bench:crypto on PostgreSQL, ${os.cpus().length} CPU(s), Node ${process.version}; ${VALUES} values, ${PER_TX} per transaction`);
    console.log(`store   plain ${f(plainStore)}/s   encrypted ${f(encStore)}/s   ratio ${(plainStore / encStore).toFixed(2)}x`);
    console.log(`load    plain ${f(plainLoad)}/s   decrypted ${f(encLoad)}/s   ratio ${(plainLoad / encLoad).toFixed(2)}x`);
    console.log(`rotate  ${rewrap.rewrapped} data keys re-wrapped: ${f(rewrapRate)}/s;  ${re.reencrypted} values re-encrypted: ${f(reRate)}/s (${re.retiredDataKeys} data keys retired)`);
    await recordFigures("crypto", [
      { name: "store, plain / encrypted", value: plainStore / encStore, unit: "x" },
      { name: "load, plain / decrypted", value: plainLoad / encLoad, unit: "x" },
      { name: "encrypted store", value: encStore, unit: "values/s" },
      { name: "decrypted load", value: encLoad, unit: "values/s" },
      { name: "data keys re-wrapped", value: rewrapRate, unit: "/s" },
      { name: "values re-encrypted", value: reRate, unit: "/s" },
    ]);
  } finally {
    // Nothing of the benchmark stays, and no data key is left on its throwaway KEKs.
    await owner.query("delete from public.organizations where id = any($1)", [orgIds]).catch(() => {});
    await owner.exec(`drop schema if exists ${scratch} cascade`).catch(() => {});
    setKeyProvider(undefined);
    await closeDb();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
