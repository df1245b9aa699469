import "server-only";
import { importSPKI, type CryptoKey } from "jose";
import { env } from "@/lib/env";

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

let clerkKey: Promise<CryptoKey> | undefined;

/** Networkless verification key (CLERK_JWT_KEY, the PEM from Clerk's dashboard): no JWKS fetch per request. */
export function clerkVerificationKey(): Promise<CryptoKey> {
  clerkKey ??= importSPKI(env.CLERK_JWT_KEY!.replace(/\\n/g, "\n"), "RS256");
  return clerkKey;
}

export function clerkIssuer(): string {
  return clerkIssuerFromPublishableKey(env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY!);
}
