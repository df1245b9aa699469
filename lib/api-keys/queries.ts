import "server-only";
import type { Queryable } from "@/lib/db";

/** Read models for the dashboard. Data access takes the tenant transaction first; RLS limits rows to admins. */

export type ApiKeyStatus = "active" | "expired" | "revoked" | "rolling";

export interface ApiKeyListItem {
  id: string;
  name: string;
  prefix: string;
  project_id: string | null;
  project_name: string | null;
  permissions: string[];
  ip_allowlist: string[] | null;
  created_by: string;
  creator: string | null;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  previous_expires_at: Date | null;
  status: ApiKeyStatus;
}

export function listApiKeys(tx: Queryable): Promise<ApiKeyListItem[]> {
  return tx.query<ApiKeyListItem>(
    `select k.id, k.name, k.prefix, k.project_id, p.name as project_name, k.permissions, k.ip_allowlist::text[] as ip_allowlist,
            k.created_by, coalesce(u.display_name, u.email) as creator, k.created_at, k.last_used_at, k.expires_at,
            k.revoked_at, k.previous_expires_at,
            case
              when k.revoked_at is not null then 'revoked'
              when k.expires_at is not null and k.expires_at <= now() then 'expired'
              when k.previous_expires_at is not null and k.previous_expires_at > now() then 'rolling'
              else 'active'
            end as status
       from public.api_keys k
       left join public.projects p on p.org_id = k.org_id and p.id = k.project_id
       left join public.users u on u.id = k.created_by
      order by k.created_at desc, k.id
      limit 200`,
  );
}

export interface KeyVerification {
  key_id: string;
  at: Date;
  outcome: "success" | "failure";
  reason: string | null;
  ip: string | null;
  /** Identical verifications in a row that this entry stands for; `at` is the latest. */
  repeats: number;
}

/** The newest `perKey` verification log entries of every visible key. */
export function listRecentVerifications(tx: Queryable, perKey = 20): Promise<KeyVerification[]> {
  return tx.query<KeyVerification>(
    `select key_id, at, outcome, reason, ip, repeats from (
       select v.key_id, v.at, v.outcome, v.reason, v.ip, v.repeats, v.id,
              row_number() over (partition by v.key_id order by v.id desc) as n
         from public.key_verifications v
     ) recent
     where n <= $1
     order by key_id, id desc`,
    [perKey],
  );
}

export interface Notification {
  id: string;
  kind: string;
  body: Record<string, unknown>;
  created_at: Date;
  read_at: Date | null;
}

/** The caller's notifications (to their role or to them), newest first. */
export function listNotifications(tx: Queryable, limit = 50): Promise<Notification[]> {
  return tx.query<Notification>(
    "select id, kind, body, created_at, read_at from public.notifications order by created_at desc, id limit $1",
    [limit],
  );
}
