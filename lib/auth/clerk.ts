import "server-only";
import { importSPKI, type CryptoKey } from "jose";
import { env } from "@/lib/env";
import { clerkIssuerFromPublishableKey } from "./clerk-origin";

export { clerkIssuerFromPublishableKey };

let clerkKey: Promise<CryptoKey> | undefined;

/** Networkless verification key (CLERK_JWT_KEY, the PEM from Clerk's dashboard): no JWKS fetch per request. */
export function clerkVerificationKey(): Promise<CryptoKey> {
  clerkKey ??= importSPKI(env.CLERK_JWT_KEY!.replace(/\\n/g, "\n"), "RS256");
  return clerkKey;
}

export function clerkIssuer(): string {
  return clerkIssuerFromPublishableKey(env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY!);
}
