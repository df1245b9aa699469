import "server-only";
import { z } from "zod";
import { defineAction } from "@/lib/actions/pipeline";
import type { Queryable } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { displayName } from "@/lib/validation/text";

export const displayNameSchema = z.object({ displayName: displayName({ max: 100, empty: "Enter the name others see." }) });

export interface Profile {
  id: string;
  email: string;
  displayName: string | null;
}

/** The signed-in user's own row (users_select admits the caller themself). */
export async function getOwnProfile(tx: Queryable, userId: string): Promise<Profile | null> {
  const [row] = await tx.query<{ id: string; email: string; display_name: string | null }>("select id, email, display_name from public.users where id = $1", [userId]);
  return row ? { id: row.id, email: row.email, displayName: row.display_name } : null;
}

/** What the app shows for a person: their display name, else their email; never an internal id. */
export async function ownLabel(tx: Queryable, userId: string): Promise<string | null> {
  const profile = await getOwnProfile(tx, userId);
  return profile ? (profile.displayName ?? profile.email) : null;
}

/** A signed-in user edits the name others see; private.set_own_display_name reads who from the claims. */
export const setDisplayName = defineAction({
  name: "profile.display_name",
  schema: displayNameSchema,
  minimumRole: "guest",
  async run({ input, session, tx, audit }) {
    let previous: string | null;
    try {
      [{ previous }] = (await tx.query<{ previous: string | null }>("select private.set_own_display_name($1) as previous", [input.displayName])) as [{ previous: string | null }];
    } catch (error) {
      if ((error as { code?: string }).code === "42501") throw new AppError("forbidden", "Only you can change your own name, from your own session.");
      throw error;
    }
    await audit({ action: "user.display_name_changed", targetType: "user", targetId: session.userId, changes: { display_name: { from: previous, to: input.displayName } } });
    return { displayName: input.displayName };
  },
});
