import "server-only";
import { withKeyRotation } from "@/lib/db";
import { checkKeysIn, type KeyInventory } from "./key-check";

export type { KeyInventory };

/** ENC-1: the start-up key check (lib/crypto/key-check.ts) on demand: readiness probe, live checks, `keys:check`. */
export function verifyKeysAvailable(): Promise<KeyInventory> {
  return withKeyRotation(checkKeysIn);
}
