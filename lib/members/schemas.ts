import { z } from "zod";

export const ORG_ROLES = ["owner", "admin", "member"] as const;
const userId = z.string().regex(/^user_[A-Za-z0-9]{1,64}$/, "Unknown member.");

export const inviteMemberSchema = z.object({
  email: z.email("Enter a valid email address.").max(320).transform((v) => v.toLowerCase()),
  role: z.enum(ORG_ROLES, "Choose a role."),
});
export const revokeInviteSchema = z.object({ id: z.uuid("Unknown invite.") });
export const changeRoleSchema = z.object({ userId, role: z.enum(ORG_ROLES, "Choose a role.") });
export const removeMemberSchema = z.object({ userId });
export const leaveOrgSchema = z.object({});

export const createInvitedAccountSchema = z.object({
  displayName: z.string().trim().max(100, "At most 100 characters.").optional().default(""),
  password: z.string().min(12, "Use at least 12 characters.").max(1024),
});
