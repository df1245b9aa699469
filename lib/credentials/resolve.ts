import "server-only";
import type { Queryable } from "@/lib/db";
import { readCredential } from "./store";
import type { Service } from "./services";

export type ResolvedCredential = { source: "personal" | "org"; secret: string } | { source: "none" };

/**
 * ENC-5: THE resolution order for a service's credential, used by everything that calls a provider on someone's
 * behalf: the caller's own token first (personal_credentials: RLS shows only the caller's own rows), then the
 * organisation's (integration_credentials), then none. A stored credential that fails to decrypt is an error, never
 * a reason to fall through to the next source.
 */
export async function resolveCredential(tx: Queryable, who: { orgId: string; userId: string }, service: Service): Promise<ResolvedCredential> {
  const personal = await readCredential(tx, "personal", who, service);
  if (personal) return { source: "personal", secret: personal.secret };
  const org = await readCredential(tx, "org", who, service);
  if (org) return { source: "org", secret: org.secret };
  return { source: "none" };
}
