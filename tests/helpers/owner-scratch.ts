import { expect } from "vitest";
import { ownerDb, type Queryable } from "@/lib/db";

class Rollback extends Error {}

/** fn in an owner transaction that is always rolled back: nothing it creates or replaces outlives the test. */
export async function inRolledBackOwnerTransaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
  let result: T | undefined;
  const rollback = new Rollback();
  await expect(
    (await ownerDb()).transaction(async (tx) => {
      result = await fn(tx);
      throw rollback;
    }),
  ).rejects.toBe(rollback);
  return result as T;
}
