export { grantSupportAccess, revokeSupportAccess } from "./manage";
export { listSupportGrants, listSupportOperators, listMyConsents, operatorLabel, type SupportGrantRow, type SupportOperatorRow, type SupportConsentRow } from "./queries";
export { startSupportSession, endSupportSession, type StartOutcome } from "./session";
export { SUPPORT_DURATIONS, DEFAULT_SUPPORT_MINUTES, SUPPORT_LEVELS } from "./schemas";
