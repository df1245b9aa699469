/**
 * IDN-1: Clerk's issuer is its Frontend API URL, which the publishable key encodes
 * (`pk_live_` + base64("<frontend-api-host>$")).
 */
export function clerkIssuerFromPublishableKey(publishableKey: string): string {
  const encoded = publishableKey.replace(/^pk_(test|live)_/, "");
  const host = Buffer.from(encoded, "base64").toString("utf8").replace(/\$$/, "");
  if (!/^[a-z0-9.-]+$/i.test(host)) throw new Error("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY does not encode a Frontend API host.");
  return `https://${host}`;
}

/** The same origin, for the CSP: Clerk's scripts and API calls come from its Frontend API. */
export const clerkFrontendOrigin = clerkIssuerFromPublishableKey;
