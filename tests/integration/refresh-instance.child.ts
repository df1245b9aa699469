/**
 * A second app instance for tests/integration/refresh-rotation.test.ts (PostgreSQL only): presents REFRESH_TOKEN
 * once (grace REFRESH_CHILD_GRACE seconds) against the shared database and prints the outcome as one line
 * `outcome <json>`; the logger writes to the same stdout, in its own order.
 */
import { closeDb } from "@/lib/db";
import { refreshSession } from "@/lib/auth/embedded/refresh";

async function main() {
  const outcome = await refreshSession(process.env.REFRESH_TOKEN, { ip: "198.51.100.77", userAgent: "second instance" }, Number(process.env.REFRESH_CHILD_GRACE ?? 10));
  process.stdout.write(`outcome ${JSON.stringify(outcome)}\n`);
  await closeDb();
}

void main();
