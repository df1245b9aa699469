// `npm run db:seed`: migrates, then inserts the demo organisations and users (embedded identity provider).
import { closeDb, migrate, ownerDb } from "@/lib/db";
import { demoUsersBanner, seedDemoData, seedDemoSecondFactor } from "@/lib/demo/seed";

async function main() {
  const db = await ownerDb();
  await migrate(db);
  const seeded = await seedDemoData(db);
  await seedDemoSecondFactor(db);
  console.log(seeded ? "Demo data created." : "Demo data already present.");
  console.log(demoUsersBanner());
  await closeDb();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
