/** lib/credentials: org integrations (ENC-1) and personal credentials (ENC-5), encrypted through lib/crypto. */
export * from "./manage";
export { resolveCredential, type ResolvedCredential } from "./resolve";
export { SERVICES, SERVICE_IDS, type Service } from "./services";
export type { CredentialSummary } from "./store";
