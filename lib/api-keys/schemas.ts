import { z } from "zod";
import { displayName } from "@/lib/validation/text";
import { MAX_ALLOWLIST_ENTRIES, parseCidr } from "./ip-allowlist";

/** VAL-1: inputs of the API-key actions, shared by the dashboard and (later) the partner API. */

export const MAX_KEY_LIFETIME_DAYS = 365;
export const MAX_ROLL_GRACE_SECONDS = 7 * 24 * 3600;
const DAY_MS = 24 * 3600 * 1000;

export const apiKeyName = displayName({ max: 64, empty: "Enter a name for the key." });

export const apiKeyId = z.uuid({ error: "That API key does not exist." });

const blankToNull = (v: unknown) => (v === undefined || v === null || (typeof v === "string" && v.trim() === "") ? null : v);

/** KEY-3: the whole org (empty or "org") or one project id, checked against the caller's org in the action. */
const scope = z.preprocess(
  (v) => (blankToNull(v) === "org" ? null : blankToNull(v)),
  z.uuid({ error: "Choose the organisation or one of its projects." }).nullable(),
);

/** KEY-3: read, or read and write. Write always implies read. */
const permissions = z
  .enum(["read", "read_write"], { error: "Choose read-only or read and write." })
  .transform((v): ApiKeyPermission[] => (v === "read" ? ["read"] : ["read", "write"]));

export type ApiKeyPermission = "read" | "write";

/**
 * KEY-2: optional expiry, in the future and at most a year ahead. A date (`YYYY-MM-DD`, from a date input) means
 * 00:00 UTC that day; a full ISO timestamp is taken as is.
 */
const expiresAt = z.preprocess(
  blankToNull,
  z
    .union(
      [
        z.iso.date().transform((d) => new Date(`${d}T00:00:00.000Z`)),
        z.iso.datetime({ offset: true }).transform((d) => new Date(d)),
      ],
      { error: "Enter a date like 2027-01-31." },
    )
    .nullable()
    .refine((d) => d === null || d.getTime() > Date.now(), "Choose a date in the future.")
    .refine((d) => d === null || d.getTime() <= Date.now() + MAX_KEY_LIFETIME_DAYS * DAY_MS, "A key can be valid for at most one year."),
);

/** Newline-, comma- or space-separated CIDRs (a textarea), or an array of them; normalised and de-duplicated. */
const ipAllowlist = z
  .preprocess(
    (v) => {
      const blank = blankToNull(v);
      if (blank === null) return [];
      if (typeof blank === "string") return blank.split(/[\s,]+/).filter(Boolean);
      return blank;
    },
    z.array(z.string().max(64, "An entry is too long."), { error: "Enter one network per line." }),
  )
  .transform((entries, ctx) => {
    const out: string[] = [];
    for (const entry of entries) {
      const parsed = parseCidr(entry);
      if (!parsed.ok) {
        ctx.addIssue({ code: "custom", message: parsed.error });
        return z.NEVER;
      }
      if (!out.includes(parsed.cidr)) out.push(parsed.cidr);
    }
    if (out.length > MAX_ALLOWLIST_ENTRIES) {
      ctx.addIssue({ code: "custom", message: `Use at most ${MAX_ALLOWLIST_ENTRIES} networks.` });
      return z.NEVER;
    }
    return out;
  });

export const createApiKeySchema = z.object({
  name: apiKeyName,
  projectId: scope.optional().transform((v) => v ?? null),
  permissions,
  expiresAt: expiresAt.optional().transform((v) => v ?? null),
  ipAllowlist: ipAllowlist.optional().transform((v) => v ?? []),
});

export const revokeApiKeySchema = z.object({ id: apiKeyId });
export const deleteApiKeySchema = z.object({ id: apiKeyId });

/** KEY-2: after a roll the old secret keeps working for the grace period: 0 (at once) up to 7 days. */
export const rollApiKeySchema = z.object({
  id: apiKeyId,
  graceSeconds: z.preprocess(
    (v) => (typeof v === "string" && /^[0-9]{1,7}$/.test(v.trim()) ? Number(v) : v),
    z
      .number({ error: "Choose how long the old key keeps working." })
      .int("Choose how long the old key keeps working.")
      .min(0, "Choose how long the old key keeps working.")
      .max(MAX_ROLL_GRACE_SECONDS, "The old key can keep working for at most 7 days."),
  ),
});
