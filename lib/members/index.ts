export { inviteMember, revokeInvite, changeMemberRole, removeMember, leaveOrganization, type CreatedInvite } from "./manage";
export { listMembers, listPendingInvites, type MemberRow, type InviteRow } from "./queries";
export { previewInvite, redeemInvite, auditInviteRedeemed, createInvitedAccount, type InvitePreview, type InviteStatus, type RedeemOutcome } from "./redeem";
export { applyClerkMembership, type ClerkMembershipChange, type ClerkMembershipOutcome } from "./sync";
export { inviteTokenHash, generateInviteToken } from "./tokens";
