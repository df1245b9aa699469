import { migrate } from "@/lib/db/migrate";
import { openPostgres } from "@/lib/db/engine";

/** Against real PostgreSQL the schema is migrated once per run, as the owner; PGlite migrates itself on open. */
export default async function setup() {
  const ownerUrl = process.env.MIGRATION_DATABASE_URL;
  if (!process.env.DATABASE_URL || !ownerUrl) return;
  const owner = openPostgres(ownerUrl, 1);
  try {
    await migrate(owner);
  } finally {
    await owner.close();
  }
}
