import "server-only";
import type { Queryable } from "@/lib/db";

export interface SupportGrantRow {
  id: string;
  operator_user_id: string;
  operator_email: string | null;
  access_level: "read" | "write";
  reason: string;
  granted_by: string;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_by: string | null;
  live: boolean;
}

/** TEN-8: the org's consents, newest first (RLS: owners of the org only). `live` is decided by the database clock. */
export function listSupportGrants(tx: Queryable): Promise<SupportGrantRow[]> {
  return tx.query<SupportGrantRow>(
    `select id, operator_user_id, operator_email, access_level, reason, granted_by, created_at, expires_at, revoked_at, revoked_by,
            (revoked_at is null and expires_at > now()) as live
       from public.support_grants order by created_at desc limit 100`,
  );
}

export interface SupportOperatorRow {
  user_id: string;
  email: string | null;
  display_name: string | null;
}

/** The deployment's operators, for an owner's grant form (empty for anyone else). */
export function listSupportOperators(tx: Queryable): Promise<SupportOperatorRow[]> {
  return tx.query<SupportOperatorRow>("select user_id, email, display_name from private.support_operators()");
}

export interface SupportConsentRow {
  id: string;
  org_id: string;
  org_name: string;
  org_slug: string;
  access_level: "read" | "write";
  reason: string;
  expires_at: Date;
}

/** The operator's side: live consents naming the signed-in user (empty unless they are a listed operator). */
export function listMyConsents(tx: Queryable): Promise<SupportConsentRow[]> {
  return tx.query<SupportConsentRow>("select id, org_id, org_name, org_slug, access_level, reason, expires_at from private.my_support_consents()");
}

/** The banner's name for the operator of a support session (their own user row, visible to them). */
export async function operatorLabel(tx: Queryable, operatorId: string): Promise<string> {
  const [row] = await tx.query<{ label: string | null }>("select coalesce(display_name, email) as label from public.users where id = $1", [operatorId]);
  return row?.label ?? operatorId;
}
