/**
 * SSRF-1/SSRF-2: all outbound HTTP. `outboundFetch` for calls to providers and configured services;
 * `fetchPublicUrl` for any URL a user supplied.
 */
export { outboundFetch, DEFAULT_TIMEOUTS, type OutboundFetchOptions, type OutboundTimeouts } from "./client";
export { fetchPublicUrl, MAX_REDIRECTS, type PublicFetchResult, type PublicUrlPolicy } from "./public-fetch";
export { OutboundRefusedError, OutboundConfigurationError, type OutboundRefusalReason } from "./errors";
export { classifyAddress, type AddressVerdict } from "./address-policy";
export { checkTarget, checkUrlShape, type CheckedTarget } from "./url-policy";
export { systemResolver, dnsServerResolver, type HostResolver, type ResolvedAddress } from "./resolver";
export { systemClock, type Clock, type RetryPolicy } from "./retry";
export { urlImportSettings } from "./settings";
export { checkUrlImportPolicy } from "./live-check";
