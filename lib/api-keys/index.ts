import "server-only";

/** KEY-1..5, TEN-6: partner API keys. The one public entry; the partner API's wrapper calls resolveApiKey, then
 * withApiKeyTenant (verifyApiKey does both). */
export {
  API_KEY_ENTROPY_BITS,
  API_KEY_PREFIX_LENGTH,
  apiKeyPrefix,
  generateApiKey,
  hashApiKey,
  looksLikeApiKey,
  parseBearerApiKey,
  type ApiKeyMode,
} from "./key-format";
export { ipAllowed, parseCidr } from "./ip-allowlist";
export { createApiKeySchema, revokeApiKeySchema, deleteApiKeySchema, rollApiKeySchema, type ApiKeyPermission } from "./schemas";
export { createApiKey, deleteApiKey, revokeApiKey, rollApiKey, type CreatedApiKey, type RolledApiKey } from "./manage";
export { InvalidApiKeyError, isApiKeyCached, resolveApiKey, resolveCachedApiKey, verifyApiKey, withApiKeyTenant, type RejectionReason, type VerifiedApiKey } from "./verify";
export { flushKeyUses, recordKeyUse, type KeyUse } from "./usage-log";
export {
  listApiKeys,
  listNotifications,
  listRecentVerifications,
  type ApiKeyListItem,
  type ApiKeyStatus,
  type KeyVerification,
  type Notification,
} from "./queries";
