import "server-only";
import type { Queryable } from "@/lib/db";

/**
 * The one place a new membership consults the organisation's plan before it is created: every invite (both
 * providers) and every redemption calls it in the same transaction as the write. Plans and their `members` limit
 * belong to lib/billing; with no plan limits in this codebase, every organisation may add members.
 */
export async function assertMemberSeatAvailable(_tx: Queryable, _orgId: string): Promise<void> {}
