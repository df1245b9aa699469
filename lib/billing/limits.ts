import "server-only";
import type { Queryable } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { LIMITED_RESOURCES, PLANS, isPlanId, planLimitMessage, type LimitedResource, type Plan, type PlanLimits } from "./plans";

/**
 * BIL-1: what the database's limit guard answers, as the app's typed error. The guard itself (a counter updated
 * with `used + 1 <= limit` in the inserting transaction, supabase/migrations/20261202050000_billing.sql) raises
 * SQLSTATE TG402 with {resource, limit, plan} as DETAIL; the transaction is then aborted, so nothing was written.
 */
export const PLAN_LIMIT_SQLSTATE = "TG402";

export class PlanLimitError extends AppError {
  constructor(
    readonly resource: LimitedResource,
    readonly limit: number,
    readonly plan: string,
  ) {
    super("plan_limit", planLimitMessage(resource, limit, plan));
  }
}

/** The PlanLimitError a database error stands for, or null when it is another error. */
export function planLimitErrorOf(error: unknown): PlanLimitError | null {
  if (!error || typeof error !== "object" || (error as { code?: unknown }).code !== PLAN_LIMIT_SQLSTATE) return null;
  let detail: { resource?: unknown; limit?: unknown; plan?: unknown } = {};
  try {
    detail = JSON.parse(String((error as { detail?: unknown }).detail ?? "{}")) as typeof detail;
  } catch {
    // A TG402 without its detail still is a refusal: fail closed with what is known.
  }
  const resource = (LIMITED_RESOURCES as readonly unknown[]).includes(detail.resource) ? (detail.resource as LimitedResource) : "projects";
  return new PlanLimitError(resource, Number(detail.limit ?? 0), typeof detail.plan === "string" ? detail.plan : "current");
}

/** Runs an insert the plan limits; a refusal of the database's guard becomes a PlanLimitError (402 / form error). */
export async function withinPlanLimit<T>(insert: () => Promise<T>): Promise<T> {
  try {
    return await insert();
  } catch (error) {
    throw planLimitErrorOf(error) ?? error;
  }
}

export interface Usage {
  plan: Plan;
  /** The limits the database enforces for the org now (its effective plan's). */
  limits: PlanLimits;
  used: PlanLimits;
}

/**
 * The caller's org's effective plan, its limits as the database enforces them, and what it uses (under RLS: owners
 * and admins; storage as the documents quota counts it).
 */
export async function readUsage(tx: Queryable): Promise<Usage> {
  const [limits] = await tx.query<{ plan: string; projects: string; api_keys: string; storage_bytes: string; members: string }>(
    "select plan, projects, api_keys, storage_bytes, members from private.plan_limits()",
  );
  const counters = await tx.query<{ resource: LimitedResource; used: string }>("select resource, used from public.entitlements");
  const [storage] = await tx.query<{ bytes: string }>(
    "select coalesce(sum(size_bytes), 0)::text as bytes from public.documents where status in ('pending_scan', 'clean', 'scan_failed')",
  );
  const used: PlanLimits = { projects: 0, api_keys: 0, storage_bytes: Number(storage?.bytes ?? 0), members: 0 };
  for (const c of counters) if (c.resource in used) used[c.resource] = Number(c.used);
  const plan = limits && isPlanId(limits.plan) ? PLANS[limits.plan] : PLANS.free;
  return {
    plan,
    limits: limits
      ? { projects: Number(limits.projects), api_keys: Number(limits.api_keys), storage_bytes: Number(limits.storage_bytes), members: Number(limits.members) }
      : plan.limits,
    used,
  };
}

/** FILE-3 with BIL-1: an org's storage quota is its plan's, capped by the deployment's ORG_STORAGE_QUOTA_BYTES. */
export async function storageQuota(tx: Queryable, deploymentCap: number): Promise<number> {
  const [row] = await tx.query<{ quota: string }>("select least($1::bigint, l.storage_bytes)::text as quota from private.plan_limits() l", [deploymentCap]);
  return row ? Number(row.quota) : Math.min(deploymentCap, PLANS.free.limits.storage_bytes);
}
