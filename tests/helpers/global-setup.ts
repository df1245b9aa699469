import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { migrate } from "@/lib/db/migrate";
import { openPglite, openPostgres } from "@/lib/db/engine";

declare module "vitest" {
  export interface ProvidedContext {
    /** The migrated PGlite template's tarball (embedded runs), or "" against PostgreSQL. */
    pgliteSnapshot: string;
  }
}

/**
 * Against real PostgreSQL the schema is migrated once per run, as the owner. On embedded defaults every test file
 * has a database of its own: each starts from ONE template migrated here (initdb and every migration, once per run,
 * by the same migrate() as the app), dumped as a tarball; tests/helpers/pglite-snapshot.ts hands it to the file as
 * PGLITE_SNAPSHOT. Opening a database from it skips initdb and the migrations' work (migrate() still checks the
 * applied list and checksums, and applies anything missing). tests/integration/migrations.test.ts opts out.
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
  const dir = await mkdtemp(path.join(tmpdir(), "tenantguard-pglite-template-"));
  const db = await openPglite("memory://");
  try {
    await migrate(db);
    const tarball = await db.dumpDataDir!();
    const file = path.join(dir, "migrated.tar");
    await writeFile(file, new Uint8Array(await tarball.arrayBuffer()));
    project.provide("pgliteSnapshot", file);
  } finally {
    await db.close();
  }
  return () => rm(dir, { recursive: true, force: true });
}
