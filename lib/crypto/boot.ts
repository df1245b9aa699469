import "server-only";
import { pingDatabase } from "@/lib/db";

/**
 * ENC-1, at server start (instrumentation.ts): opening the database runs the key check (lib/db); a data key wrapped by
 * a key-encryption key this process does not hold (or holds with other material) stops the server now, naming the key
 * id, instead of failing at the first credential read. The database not answering yet is the readiness probe's to
 * report; requests then say "unavailable".
 */
export async function refuseToStartWithoutKeys(): Promise<void> {
  try {
    await pingDatabase();
  } catch (error) {
    if (error instanceof Error && error.name === "MissingKeyError") {
      console.error(error.message);
      process.exit(1);
    }
  }
}
