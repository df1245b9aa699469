import { z } from "zod";

/** TEN-8: consent durations an owner can choose, in minutes (15 minutes to 8 hours; the database enforces the range). */
export const SUPPORT_DURATIONS = [15, 30, 60, 120, 240, 480] as const;
export const DEFAULT_SUPPORT_MINUTES = 60;
export const SUPPORT_LEVELS = ["read", "write"] as const;

const userId = z.string().regex(/^user_[A-Za-z0-9]{1,64}$/, "Choose an operator from the list.");

export const grantSupportSchema = z.object({
  operatorId: userId,
  minutes: z.coerce
    .number("Choose a duration.")
    .int()
    .refine((m) => (SUPPORT_DURATIONS as readonly number[]).includes(m), "Choose a duration from the list."),
  level: z.enum(SUPPORT_LEVELS, "Choose read-only or read-write."),
  reason: z.string("Say why support needs access.").trim().min(3, "Say why support needs access (at least 3 characters).").max(500, "At most 500 characters."),
});
export const revokeSupportSchema = z.object({ id: z.uuid("Unknown support access.") });
export const startSupportSchema = z.object({ orgId: z.string().regex(/^org_[A-Za-z0-9]{1,64}$/, "Unknown organisation.") });
