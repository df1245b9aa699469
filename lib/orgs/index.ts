import "server-only";
import { z } from "zod";
import { defineAction } from "@/lib/actions/pipeline";
import type { Queryable } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { displayName } from "@/lib/validation/text";

export const renameOrganizationSchema = z.object({ name: displayName({ max: 100, empty: "Enter the organisation's name." }) });

export interface OrganizationSettings {
  id: string;
  name: string;
  requireSecondFactor: boolean;
  secondFactorWindowMinutes: number;
}

/** The active org's row (RLS: only the org of the claims is visible). */
export async function getOrganizationSettings(tx: Queryable): Promise<OrganizationSettings | null> {
  const [row] = await tx.query<{ id: string; name: string; require_second_factor: boolean; second_factor_window_minutes: number }>(
    "select id, name, require_second_factor, second_factor_window_minutes from public.organizations",
  );
  return row ? { id: row.id, name: row.name, requireSecondFactor: row.require_second_factor, secondFactorWindowMinutes: row.second_factor_window_minutes } : null;
}

/** TEN-3: owners and admins rename their organisation; private.rename_org checks the same in the database. */
export const renameOrganization = defineAction({
  name: "org.rename",
  schema: renameOrganizationSchema,
  minimumRole: "admin",
  async run({ input, session, tx, audit }) {
    let previous: string | null;
    try {
      [{ previous }] = (await tx.query<{ previous: string | null }>("select private.rename_org($1) as previous", [input.name])) as [{ previous: string | null }];
    } catch (error) {
      if ((error as { code?: string }).code === "42501") throw new AppError("forbidden", "Only organisation admins and owners can do this.");
      throw error;
    }
    await audit({ action: "org.renamed", targetType: "organization", targetId: session.orgId, changes: { name: { from: previous, to: input.name } } });
    return { name: input.name };
  },
});
