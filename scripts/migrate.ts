// `npm run db:migrate`: applies supabase/migrations as the owner (MIGRATION_DATABASE_URL, else DATABASE_URL, else PGlite).
import { closeDb, migrate, ownerDb } from "@/lib/db";

async function main() {
  const applied = await migrate(await ownerDb());
  console.log(applied.length ? `Applied ${applied.length} migration(s):\n  ${applied.join("\n  ")}` : "Database is up to date.");
  await closeDb();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
