import "server-only";
import type { z } from "zod";
import { trace } from "@opentelemetry/api";
import type { Session, OrgRole } from "@/lib/auth/claims";
import { withTenant, DatabaseUnavailableError, type Queryable } from "@/lib/db";
import { appendAudit, type AuditEntry } from "@/lib/audit/writer";
import { recordCrossTenantProbe } from "@/lib/audit/security-events";
import { requestLogger } from "@/lib/observability/logger";
import { AppError, NotFoundError, STATUS, type ErrorCode } from "@/lib/errors";
import type { RequestContext } from "@/lib/http/request-context";
import { plainIssueMessage } from "@/lib/validation/messages";
import { assertSecondFactor, type SecondFactorRequirement } from "@/lib/auth/second-factor-rule";

/** What a form gets back: data, or errors to show next to its fields. */
export type ActionResult<T> =
  | { ok: true; data: T }
  | { ok: false; code: ErrorCode; status: number; message: string; fieldErrors?: Record<string, string[]> };

export type AuditInput = Pick<AuditEntry, "action" | "targetType" | "targetId" | "changes">;

export interface ActionContext<I> {
  input: I;
  session: Session & { orgId: string; orgRole: OrgRole };
  tx: Queryable;
  /** Records an audit entry in the same transaction as the change (AUD-1). */
  audit(entry: AuditInput): Promise<void>;
}

// TEN-7: a guest ranks below a member: it passes only `minimumRole: "guest"` (project pages and actions, where RLS
// decides per project), and every org-level page and action is a 404/403 for it.
const RANK: Record<OrgRole, number> = { guest: 0, member: 1, admin: 2, owner: 3 };

export const READ_ONLY_SUPPORT_MESSAGE = "This support session is read-only: nothing was changed. Ask an owner for read-write access if a change is needed.";

/** TEN-3: the session's role in its active org is at least `minimum`. */
export function hasRole(session: Session, minimum: OrgRole): boolean {
  return !!session.orgId && !!session.orgRole && RANK[session.orgRole] >= RANK[minimum];
}

/**
 * The one pipeline every server action runs through:
 * authenticate -> validate (Zod, VAL-1) -> authorise (role, TEN-3) -> withTenant (RLS, TEN-2) -> audit -> result.
 * Revalidation happens in the `"use server"` wrapper, which owns the Next.js request.
 */
export function defineAction<S extends z.ZodType, T>(config: {
  name: string;
  schema: S;
  minimumRole: OrgRole;
  /** IDN-5: when the org requires two-step verification, the session needs one ("present") or a fresh one. */
  secondFactor?: SecondFactorRequirement;
  run: (ctx: ActionContext<z.output<S>>) => Promise<T>;
}) {
  return async (session: Session | null, rawInput: unknown, request: RequestContext): Promise<ActionResult<T>> => {
    // OBS-3: the request id travels on the trace span (exported when OTEL_EXPORTER_OTLP_ENDPOINT is set).
    if (request.requestId) trace.getActiveSpan()?.setAttribute("http.request_id", request.requestId);

    // Authenticate: a verified session with an active organisation.
    if (!session || !session.orgId) return failure("unauthenticated", "Sign in and choose an organisation first.");

    // Validate before anything touches the database.
    const parsed = config.schema.safeParse(rawInput, { error: plainIssueMessage });
    if (!parsed.success) {
      return failure("invalid_input", "Please correct the highlighted fields.", fieldErrorsOf(parsed.error));
    }

    // Authorise in the app (defence in depth; RLS enforces the same rules in the database).
    if (!hasRole(session, config.minimumRole)) {
      return failure("forbidden", config.minimumRole === "member" ? "You are not a member of this organisation." : "Only organisation admins and owners can do this.");
    }
    // TEN-8: a server action changes something; a support session makes changes only under a live read-write consent
    // (RLS refuses the same writes in the database).
    if (session.actor && session.support?.level !== "write") {
      return failure("forbidden", READ_ONLY_SUPPORT_MESSAGE);
    }
    const scoped = session as ActionContext<unknown>["session"];
    const auditFor = (tx: Queryable) => async (entry: AuditInput) => {
      await appendAudit(tx, { ...entry, orgId: scoped.orgId, actorType: "user", actorId: session.userId, ...request });
    };

    try {
      const data = await withTenant(session.claims, async (tx) => {
        // IDN-5: refused here with a clear message before the database's restrictive policies would refuse it.
        if (config.secondFactor) await assertSecondFactor(tx, config.secondFactor);
        return config.run({ input: parsed.data, session: scoped, tx, audit: auditFor(tx) });
      });
      return { ok: true, data };
    } catch (error) {
      if (error instanceof NotFoundError) {
        await recordCrossTenantProbe({
          claims: session.claims,
          orgId: scoped.orgId,
          actorType: "user",
          actorId: session.userId,
          error,
          request,
        });
        return failure("not_found", error.message);
      }
      if (error instanceof AppError) return failure(error.code, error.message);
      if (error instanceof DatabaseUnavailableError) return failure("unavailable", "The service is temporarily unavailable. Nothing was changed; please try again.");
      requestLogger({ requestId: request.requestId ?? "unknown", orgId: scoped.orgId, route: config.name }).error({ err: error }, "action failed");
      return failure("internal", "Something went wrong. Nothing was changed.");
    }
  };
}

function failure(code: ErrorCode, message: string, fieldErrors?: Record<string, string[]>): Extract<ActionResult<never>, { ok: false }> {
  return { ok: false, code, status: STATUS[code], message, ...(fieldErrors ? { fieldErrors } : {}) };
}

function fieldErrorsOf(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.join(".") || "_form";
    (out[key] ??= []).push(issue.message);
  }
  return out;
}
