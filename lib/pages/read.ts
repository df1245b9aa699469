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
  /** What a person calls the page ("API keys"): named when a member is told it is for admins only. */
  title?: string;
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
  /** A member opened an admin page (one the navigation shows admins): who may use it and whom to ask; nothing is read. */
  | { kind: "admins_only"; title: string | null; minimumRole: "admin" | "owner"; ask: string[] }
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
    if (!hasRole(session, config.minimumRole)) {
      // TEN-3: a member knows the org's admin pages exist (the product names them), so it is told whom to ask and
      // shown nothing of the page. TEN-7: for a guest (and any other role) an org page does not exist: 404.
      if (hasRole(session, "member") && (config.minimumRole === "admin" || config.minimumRole === "owner")) {
        return { kind: "admins_only", title: config.title ?? null, minimumRole: config.minimumRole, ask: await whomToAsk(session, config.minimumRole) };
      }
      return { kind: "not_found" };
    }
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

/** The org's owners (and admins, for an admin page) by display name, at most five; none when the database is down. */
async function whomToAsk(session: Session, minimumRole: "admin" | "owner"): Promise<string[]> {
  const roles = minimumRole === "owner" ? ["owner"] : ["owner", "admin"];
  try {
    const rows = await withTenant(session.claims, (tx) =>
      tx.query<{ label: string }>(
        `select coalesce(u.display_name, u.email) as label from public.memberships m join public.users u on u.id = m.user_id
          where m.role = any($1::text[]) order by m.role = 'owner' desc, label limit 5`,
        [roles],
      ),
    );
    return rows.map((r) => r.label);
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) return [];
    throw error;
  }
}
