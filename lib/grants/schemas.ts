import { z } from "zod";

export const PROJECT_ROLES = ["viewer", "editor", "manager"] as const;
export type ProjectRole = (typeof PROJECT_ROLES)[number];
export const LINK_ROLES = ["viewer", "editor"] as const;
export const BASE_PERMISSIONS = ["none", "read", "write"] as const;
export type BasePermission = (typeof BASE_PERMISSIONS)[number];

const projectId = z.uuid("That project does not exist.");
const userId = z.string().regex(/^user_[A-Za-z0-9]{1,64}$/, "Unknown person.");
/** Days until a grant ends; empty: no expiry. */
const grantDays = z.preprocess(
  (v) => (v === "" || v === null || v === undefined ? undefined : v),
  z.coerce.number({ error: "Enter a number of days." }).int("Whole days only.").min(1, "At least 1 day.").max(365, "At most 365 days.").optional(),
);

export const setGrantSchema = z.object({
  projectId,
  email: z.email("Enter a valid email address.").max(320).transform((v) => v.toLowerCase()),
  role: z.enum(PROJECT_ROLES, "Choose a role."),
  expiresInDays: grantDays,
});
export const changeGrantSchema = z.object({ projectId, userId, role: z.enum(PROJECT_ROLES, "Choose a role."), expiresInDays: grantDays });
export const revokeGrantSchema = z.object({ projectId, userId });
export const createLinkSchema = z.object({
  projectId,
  role: z.enum(LINK_ROLES, "Choose a role."),
  expiresInDays: z.coerce.number({ error: "Enter a number of days." }).int("Whole days only.").min(1, "At least 1 day.").max(30, "At most 30 days."),
  maxUses: z.coerce.number({ error: "Enter a number." }).int("Whole numbers only.").min(1, "At least 1.").max(1000, "At most 1000."),
});
export const revokeLinkSchema = z.object({ id: z.uuid("Unknown link.") });
export const basePermissionSchema = z.object({ permission: z.enum(BASE_PERMISSIONS, "Choose a base permission.") });
export const createLinkAccountSchema = z.object({
  email: z.email("Enter a valid email address.").max(320).transform((v) => v.toLowerCase()),
  displayName: z.string().trim().max(100, "At most 100 characters.").optional().default(""),
  password: z.string().min(12, "Use at least 12 characters.").max(1024),
});
