import "server-only";
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Engine } from "./engine";

export const MIGRATIONS_DIR = path.join(process.cwd(), "supabase", "migrations");

/**
 * Applies supabase/migrations/*.sql in file-name order, each once, each in its own transaction.
 * Must run as the tables' owner (never as the runtime role). Works on PostgreSQL and PGlite alike.
 * An applied migration is never edited: its checksum is kept, and a changed file stops the run.
 */
export async function migrate(db: Engine, dir: string = MIGRATIONS_DIR): Promise<string[]> {
  await db.exec(`
    create schema if not exists app_migrations;
    revoke all on schema app_migrations from public;
    create table if not exists app_migrations.applied (
      name text primary key,
      checksum text,
      applied_at timestamptz not null default now()
    );
    alter table app_migrations.applied add column if not exists checksum text;
  `);
  const files = (await readdir(/* turbopackIgnore: true */ dir)).filter((f) => f.endsWith(".sql")).sort();
  const sources = await Promise.all(
    files.map(async (file) => {
      const sql = await readFile(path.join(/* turbopackIgnore: true */ dir, file), "utf8");
      return { file, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
  // Already up to date (every start of a migrated database, and each test file's copy of the suite's template): one
  // read of the applied list instead of a transaction per file. Anything missing or changed takes the path below,
  // which applies what is missing and refuses a changed file.
  const recorded = new Map(
    (await db.query<{ name: string; checksum: string | null }>("select name, checksum from app_migrations.applied")).map((r) => [r.name, r.checksum]),
  );
  if (sources.every(({ file, checksum }) => recorded.has(file) && [null, checksum].includes(recorded.get(file)!))) return [];
  const applied: string[] = [];
  for (const { file, sql, checksum } of sources) {
    const done = await db.transaction(async (tx) => {
      // Serialise concurrent migrators (two app instances starting at once).
      await tx.query("select pg_advisory_xact_lock(hashtextextended('app_migrations', 0))");
      const [row] = await tx.query<{ checksum: string | null }>("select checksum from app_migrations.applied where name = $1", [file]);
      if (row) {
        if (row.checksum !== null && row.checksum !== checksum) {
          throw new Error(`Migration ${file} was changed after it was applied. Add a new migration instead of editing this one.`);
        }
        return false;
      }
      await tx.exec(sql);
      await tx.query("insert into app_migrations.applied (name, checksum) values ($1, $2)", [file, checksum]);
      return true;
    });
    if (done) applied.push(file);
  }
  return applied;
}

