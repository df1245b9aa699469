import "server-only";
import { z } from "zod";
import { defineAction } from "@/lib/actions/pipeline";
import { AppError } from "@/lib/errors";
import { SecondFactorRequiredError } from "./second-factor-rule";

export const secondFactorRuleSchema = z.object({
  required: z.preprocess((v) => v === true || v === "on" || v === "true", z.boolean()),
  windowMinutes: z.coerce.number().int("Whole minutes.").min(1, "At least 1 minute.").max(1440, "At most 1440 minutes (a day)."),
});

/**
 * IDN-5: owners require (or stop requiring) two-step verification for their org. Turning it on, or changing it
 * while it is on, needs the owner's own fresh second factor (private.set_org_second_factor_rule refuses otherwise).
 */
export const setOrgSecondFactorRule = defineAction({
  name: "org.second_factor_rule",
  schema: secondFactorRuleSchema,
  minimumRole: "owner",
  async run({ input, tx, audit }) {
    let previous: { previous_required: boolean; previous_window_minutes: number } | undefined;
    try {
      [previous] = await tx.query<{ previous_required: boolean; previous_window_minutes: number }>(
        "select * from private.set_org_second_factor_rule($1, $2)",
        [input.required, input.windowMinutes],
      );
    } catch (error) {
      if ((error as { hint?: string }).hint === "second_factor_required") throw new SecondFactorRequiredError("fresh");
      if ((error as { code?: string }).code === "42501") throw new AppError("forbidden", "Only organisation owners can change this.");
      throw error;
    }
    await audit({
      action: "org.second_factor_rule_changed",
      targetType: "organization",
      targetId: null,
      changes: { required: [previous?.previous_required ?? null, input.required], window_minutes: [previous?.previous_window_minutes ?? null, input.windowMinutes] },
    });
    return { required: input.required, windowMinutes: input.windowMinutes };
  },
});
