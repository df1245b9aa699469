import "server-only";
import type { z } from "zod";
import type { OrgRole, Session } from "@/lib/auth/claims";
import { withTenant, DatabaseUnavailableError, type Queryable } from "@/lib/db";
import { recordCrossTenantProbe } from "@/lib/audit/security-events";
import { hasRole } from "@/lib/actions/pipeline";
import { NotFoundError } from "@/lib/errors";
import { requestLogger } from "@/lib/observability/logger";
import type { RequestContext } from "@/lib/http/request-context";

/** "signed-in": any verified session, with or without an active organisation (e.g. the user's own sessions). */
export type PageAudience = OrgRole | "signed-in";

export interface PageReadContext<P> {
  session: Session;
  params: P;
  /** The tenant transaction (TEN-2): RLS limits every row to the session's org and user. */
  tx: Queryable;
}

export interface PageConfig<S extends z.ZodType | undefined, T> {
  name: string;
  minimumRole: PageAudience;
  /** Route params; a value that fails the schema is a missing page (TEN-4), never an error. */
  params?: S;
  read: (ctx: PageReadContext<ParamsOf<S>>) => Promise<T>;
}

export type ParamsOf<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a page shows. Everything but `ok` is one of a few standard answers, the same on every page. */
export type PageOutcome<T, P> =
  | { kind: "ok"; data: T; session: Session; params: P }
  | { kind: "sign_in" }
  | { kind: "no_organisation" }
  | { kind: "not_found" }
  | { kind: "unavailable" };

/**
 * The one pipeline every dashboard page reads through, like defineAction for server actions:
 * authenticate -> active org -> authorise (role, TEN-3) -> params (Zod) -> withTenant (RLS, TEN-2) -> outcome.
 * A NotFoundError is a 404 whose cross-tenant probe is recorded (TEN-4); a database outage is "unavailable".
 * Unexpected errors propagate to the error boundary (logged there, VAL-3).
 */
export async function readForPage<S extends z.ZodType | undefined, T>(
  session: Session | null,
  config: PageConfig<S, T>,
  rawParams: unknown,
  request: RequestContext,
): Promise<PageOutcome<T, ParamsOf<S>>> {
  if (!session) return { kind: "sign_in" };
  if (config.minimumRole !== "signed-in") {
    if (!session.orgId) return { kind: "no_organisation" };
    // TEN-3: a page the role may not use does not exist for it.
    if (!hasRole(session, config.minimumRole)) return { kind: "not_found" };
  }

  let params = undefined as ParamsOf<S>;
  if (config.params) {
    const parsed = config.params.safeParse(rawParams);
    if (!parsed.success) return { kind: "not_found" };
    params = parsed.data as ParamsOf<S>;
  }

  try {
    const data = await withTenant(session.claims, (tx) => config.read({ session, params, tx }));
    return { kind: "ok", data, session, params };
  } catch (error) {
    if (error instanceof NotFoundError) {
      if (session.orgId) {
        await recordCrossTenantProbe({ claims: session.claims, orgId: session.orgId, actorType: "user", actorId: session.userId, error, request });
      }
      return { kind: "not_found" };
    }
    if (error instanceof DatabaseUnavailableError) {
      requestLogger({ requestId: request.requestId ?? "unknown", orgId: session.orgId ?? undefined, route: config.name }).warn("page read: database unavailable");
      return { kind: "unavailable" };
    }
    throw error;
  }
}
