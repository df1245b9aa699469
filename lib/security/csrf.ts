/**
 * HDR-4: a state-changing request that could carry our session cookie must come from one of our origins.
 * The Origin header is checked, or the Referer's origin when a browser omits Origin. Neither -> refused.
 */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function isStateChanging(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

export function requestOriginOf(headers: Headers): string | null {
  const origin = headers.get("origin");
  if (origin && origin !== "null") return origin;
  const referer = headers.get("referer");
  if (!referer || !URL.canParse(referer)) return null;
  return new URL(referer).origin;
}

export function isTrustedOrigin(headers: Headers, trustedOrigins: string[]): boolean {
  const origin = requestOriginOf(headers);
  return origin !== null && trustedOrigins.includes(origin);
}
