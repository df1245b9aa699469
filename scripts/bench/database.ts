// A benchmark's own PostgreSQL database: created fresh on the server of MIGRATION_DATABASE_URL, migrated with the
// app's migrate(), dropped at the end. The URLs for the runtime role and the owner are those of the given ones with
// only the database name replaced.
import pg from "pg";

export interface BenchDatabase {
  name: string;
  runtimeUrl: string;
  ownerUrl: string;
  /** True when the database already existed and was kept (BENCH_KEEP_DB=1): the caller may reuse its data. */
  reused: boolean;
  drop(): Promise<void>;
}

const withDatabase = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

async function adminQuery(ownerUrl: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: withDatabase(ownerUrl, "postgres") });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Creates database `name` (refusing any name that is not a plain identifier). With `keep` an existing one is reused
 * and nothing is dropped at the end; otherwise an existing one is dropped first and the new one dropped at the end.
 */
export async function benchDatabase(name: string, keep: boolean): Promise<BenchDatabase> {
  const ownerBase = process.env.MIGRATION_DATABASE_URL;
  const runtimeBase = process.env.DATABASE_URL;
  if (!ownerBase || !runtimeBase) throw new Error("set DATABASE_URL and MIGRATION_DATABASE_URL (any database on the server: the benchmark creates its own)");
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const exists = (await adminQuery(ownerBase, "select 1 from pg_database where datname = $1", [name])).rowCount === 1;
  if (exists && !keep) await adminQuery(ownerBase, `drop database ${name} with (force)`);
  if (!exists || !keep) await adminQuery(ownerBase, `create database ${name}`);
  return {
    name,
    runtimeUrl: withDatabase(runtimeBase, name),
    ownerUrl: withDatabase(ownerBase, name),
    reused: exists && keep,
    drop: async () => {
      if (!keep) await adminQuery(ownerBase, `drop database if exists ${name} with (force)`);
    },
  };
}
