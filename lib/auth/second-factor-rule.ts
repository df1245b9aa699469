import "server-only";
import type { Queryable } from "@/lib/db";
import { AppError } from "@/lib/errors";

/**
 * IDN-5: an organisation may require two-step verification for sensitive operations. The rule lives on the org row
 * (require_second_factor, second_factor_window_minutes); the decision is the database's one helper,
 * private.second_factor_ok, which the restrictive policies on the sensitive tables also call, so the app and the
 * database cannot disagree. "fresh": the second factor's age now (`fva[1]` plus the token's age since `iat`) is
 * within the org's window.
 */
export type SecondFactorRequirement = "present" | "fresh";

export const VERIFY_PATH = "/account/security/verify";

export class SecondFactorRequiredError extends AppError {
  constructor(readonly requirement: SecondFactorRequirement) {
    super(
      "second_factor_required",
      requirement === "fresh"
        ? "This organisation requires a recent two-step verification for this. Verify now (Account › Security › Verify now), then try again."
        : "This organisation requires two-step verification for this. Verify now (Account › Security › Verify now), then try again.",
    );
  }
}

export async function secondFactorSatisfied(tx: Queryable, requirement: SecondFactorRequirement): Promise<boolean> {
  const [row] = await tx.query<{ ok: boolean }>("select private.second_factor_ok($1) as ok", [requirement === "fresh"]);
  return row?.ok === true;
}

export async function assertSecondFactor(tx: Queryable, requirement: SecondFactorRequirement): Promise<void> {
  if (!(await secondFactorSatisfied(tx, requirement))) throw new SecondFactorRequiredError(requirement);
}

export interface OrgSecondFactorRule {
  required: boolean;
  windowMinutes: number;
}

/** The rule of the caller's active org (through organizations_select). */
export async function orgSecondFactorRule(tx: Queryable, orgId: string): Promise<OrgSecondFactorRule> {
  const [row] = await tx.query<{ require_second_factor: boolean; second_factor_window_minutes: number }>(
    "select require_second_factor, second_factor_window_minutes from public.organizations where id = $1",
    [orgId],
  );
  return { required: row?.require_second_factor ?? false, windowMinutes: row?.second_factor_window_minutes ?? 15 };
}
