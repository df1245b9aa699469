export { grantProjectAccess, changeProjectGrant, revokeProjectGrant, createProjectLink, revokeProjectLink, setBasePermission, type CreatedLink, type GrantResult } from "./manage";
export { listProjectGrants, listPendingLinks, basePermissionOf, type GrantRow, type LinkRow } from "./queries";
export { previewProjectLink, redeemProjectLink, auditLinkRedeemed, createLinkAccount, type LinkPreview, type LinkStatus, type LinkRedeemOutcome, type LinkRedemption } from "./redeem";
export { assertProjectLevel, projectLevel, LEVELS, type ProjectLevel } from "./level";
export { generateProjectLinkToken, projectLinkTokenHash } from "./tokens";
