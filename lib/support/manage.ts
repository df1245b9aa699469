import "server-only";
import { defineAction } from "@/lib/actions/pipeline";
import { AppError } from "@/lib/errors";
import { grantSupportSchema, revokeSupportSchema } from "./schemas";

/** The consent functions' refusals (supabase/migrations/20261203010000_support_access.sql) as typed errors. */
async function consentCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "P0002") throw new AppError("invalid_input", "That person is not a platform operator of this deployment.");
    if (code === "42501") throw new AppError("forbidden", "Only organisation owners can grant or revoke support access.");
    if (code === "22023") throw new AppError("invalid_input", "Support access lasts 15 minutes to 8 hours.");
    throw error;
  }
}

/** TEN-8: an owner consents to one named operator's time-boxed access (AUD-3: support.access_granted). */
export const grantSupportAccess = defineAction({
  name: "support.grant",
  schema: grantSupportSchema,
  minimumRole: "owner",
  // IDN-5: in an org that requires two-step verification, consenting needs a session with a second factor.
  secondFactor: "present",
  async run({ input, tx, audit }) {
    const [row] = await consentCall(() =>
      tx.query<{ id: string }>("select private.grant_support_access($1, $2, $3, $4) as id", [input.operatorId, input.level, input.minutes, input.reason]),
    );
    const [grant] = await tx.query<{ expires_at: Date; operator_email: string | null }>("select expires_at, operator_email from public.support_grants where id = $1", [row!.id]);
    await audit({
      action: "support.access_granted",
      targetType: "support_grant",
      targetId: row!.id,
      changes: { operator: input.operatorId, operatorEmail: grant?.operator_email ?? null, level: input.level, minutes: input.minutes, reason: input.reason, expiresAt: grant?.expires_at ? new Date(grant.expires_at).toISOString() : null },
    });
    return { id: row!.id, expiresAt: grant?.expires_at ? new Date(grant.expires_at) : null };
  },
});

/** TEN-8: any owner ends a live consent at once (AUD-3: support.access_revoked); the operator's next request is refused. */
export const revokeSupportAccess = defineAction({
  name: "support.revoke",
  schema: revokeSupportSchema,
  minimumRole: "owner",
  async run({ input, tx, audit }) {
    const [row] = await consentCall(() => tx.query<{ operator: string | null }>("select private.revoke_support_access($1) as operator", [input.id]));
    if (!row?.operator) throw new AppError("not_found", "That support access is not active.");
    await audit({ action: "support.access_revoked", targetType: "support_grant", targetId: input.id, changes: { operator: row.operator } });
    return { id: input.id };
  },
});
