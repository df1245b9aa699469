import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { MIGRATIONS_DIR, migrate } from "@/lib/db/migrate";
import { openPglite, openPostgres } from "@/lib/db/engine";

declare module "vitest" {
  export interface ProvidedContext {
    /** The migrated PGlite template's tarball (embedded runs), or "" against PostgreSQL. */
    pgliteSnapshot: string;
  }
}

/**
 * Against real PostgreSQL the schema is migrated once per run, as the owner. On embedded defaults every test file
 * has a database of its own: each starts from ONE template migrated here (initdb and every migration, by the same
 * migrate() as the app), dumped as a tarball; tests/helpers/pglite-snapshot.ts hands it to the file as
 * PGLITE_SNAPSHOT. Opening a database from it skips initdb and the migrations' work (migrate() still compares the
 * applied list and checksums with supabase/migrations, and applies anything missing).
 * tests/integration/migrations.test.ts opts out and migrates from scratch.
 *
 * The tarball is kept in the temporary directory under a name derived from what it depends on (PGlite's version,
 * lib/db/migrate.ts and every migration's name and content), so the next run with the same inputs, a single file's
 * included, reuses it; it is written under a temporary name and renamed, so a reader never sees half of one.
 */
export default async function setup(project: TestProject) {
  const ownerUrl = process.env.MIGRATION_DATABASE_URL;
  if (process.env.DATABASE_URL) {
    project.provide("pgliteSnapshot", "");
    if (!ownerUrl) return;
    const owner = openPostgres(ownerUrl, 1);
    try {
      await migrate(owner);
    } finally {
      await owner.close();
    }
    return;
  }
  const file = path.join(tmpdir(), `${TEMPLATE_PREFIX}${await templateKey()}.tar`);
  if (await exists(file)) {
    // Its modification time is when a run last used it: templates unused for a day are removed below.
    const now = new Date();
    await utimes(file, now, now);
  } else {
    const db = await openPglite("memory://");
    try {
      await migrate(db);
      const partial = `${file}.${process.pid}.${randomUUID()}.partial`;
      await writeFile(partial, new Uint8Array(await (await db.dumpDataDir!()).arrayBuffer()), { mode: 0o600 });
      await rename(partial, file);
    } finally {
      await db.close();
    }
  }
  project.provide("pgliteSnapshot", file);
  await removeUnusedTemplates(file);
}

const TEMPLATE_PREFIX = "tenantguard-pglite-template-";

/** Templates (and leftovers of interrupted writes) no run has used for a day: other migration sets, older versions. */
async function removeUnusedTemplates(keep: string): Promise<void> {
  const dayAgo = Date.now() - 24 * 60 * 60 * 1000;
  for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
    const candidate = path.join(tmpdir(), name);
    if (!name.startsWith(TEMPLATE_PREFIX) || !/\.(tar|partial)$/.test(name) || candidate === keep) continue;
    const modified = await stat(candidate).then((s) => s.mtimeMs, () => Infinity);
    if (modified < dayAgo) await rm(candidate, { force: true }).catch(() => {});
  }
}

async function templateKey(): Promise<string> {
  const hash = createHash("sha256");
  hash.update(await readFile(path.join(process.cwd(), "node_modules", "@electric-sql", "pglite", "package.json")));
  hash.update(await readFile(path.join(process.cwd(), "lib", "db", "migrate.ts")));
  for (const name of (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith(".sql")).sort()) {
    hash.update(`\0${name}\0`);
    hash.update(await readFile(path.join(MIGRATIONS_DIR, name)));
  }
  return hash.digest("hex").slice(0, 32);
}

const exists = (file: string) => stat(file).then((s) => s.isFile() && s.size > 0, () => false);
