import "server-only";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Session } from "@/lib/auth/claims";
import { defineAction, hasRole, READ_ONLY_SUPPORT_MESSAGE, type ActionResult } from "@/lib/actions/pipeline";
import { LIVE_CHECKS, type CheckStatus, type LiveCheckId } from "@/lib/controls/live-checks";
import { runControlCheck } from "@/lib/controls/checks";
import { STATUS, type ErrorCode } from "@/lib/errors";
import type { RequestContext } from "@/lib/http/request-context";
import { createRateLimiter, type Duration } from "@/lib/ratelimit";
import { recordCheckRuns } from "./runs";

/**
 * OPS-3: "Run now" and "Run all" in the Security Center. The checks run against the running system (the owner's
 * pool reads the catalogue and, for org-scoped checks, only this org's rows), outside any tenant transaction; their
 * outcomes are then stored and audited in one tenant transaction through the action pipeline, so a run without its
 * audit entry cannot exist. Owners and admins only (TEN-3), and not in a read-only support session (TEN-8).
 */

/** RL-1: running every check costs seconds of database time: a few runs a minute per org, and per user. */
export const SECURITY_CHECKS_LIMIT: { limit: number; window: Duration } = { limit: 6, window: "60 s" };
const limiter = createRateLimiter({ name: "securityChecks", ...SECURITY_CHECKS_LIMIT });

const CHECK_IDS = Object.keys(LIVE_CHECKS) as [LiveCheckId, ...LiveCheckId[]];
export const runChecksInput = z.object({ check: z.union([z.literal("all"), z.enum(CHECK_IDS, { error: "That check does not exist." })]) });

export interface RunSummary {
  runId: string;
  checks: number;
  counts: Record<CheckStatus, number>;
}

const STATUSES = ["pass", "fail", "warn", "not_applicable"] as const;

const recordRun = defineAction({
  name: "security.checks.record",
  schema: z.object({
    runId: z.uuid(),
    scope: z.string().max(64),
    results: z
      .array(z.object({ id: z.enum(CHECK_IDS), status: z.enum(STATUSES), detail: z.string().max(10_000), durationMs: z.number().int().min(0) }))
      .min(1)
      .max(CHECK_IDS.length),
  }),
  minimumRole: "admin",
  run: async ({ input, session, tx, audit }) => {
    await recordCheckRuns(tx, { orgId: session.orgId, ranBy: session.userId, runId: input.runId, results: input.results });
    const counts = Object.fromEntries(STATUSES.map((s) => [s, input.results.filter((r) => r.status === s).length])) as Record<CheckStatus, number>;
    // AUD-3: who ran which checks and what they found (counts and the failing checks' ids: no detail text).
    await audit({
      action: "controls.checks_run",
      targetType: "control_check_run",
      targetId: input.runId,
      changes: { scope: input.scope, checks: input.results.length, ...counts, failed: input.results.filter((r) => r.status === "fail").map((r) => r.id) },
    });
    return { runId: input.runId, checks: input.results.length, counts };
  },
});

const refuse = (code: ErrorCode, message: string): ActionResult<never> => ({ ok: false, code, status: STATUS[code], message });

export async function runSecurityChecks(session: Session | null, rawInput: unknown, request: RequestContext): Promise<ActionResult<RunSummary>> {
  // The pipeline's own answers, before any check runs (recordRun asks the same again in its transaction).
  if (!session || !session.orgId) return refuse("unauthenticated", "Sign in and choose an organisation first.");
  const parsed = runChecksInput.safeParse(rawInput);
  if (!parsed.success) return refuse("invalid_input", "That check does not exist.");
  if (!hasRole(session, "admin")) return refuse("forbidden", "Only organisation admins and owners can do this.");
  if (session.actor && session.support?.level !== "write") return refuse("forbidden", READ_ONLY_SUPPORT_MESSAGE);

  const decisions = await Promise.all([limiter.limit(`org:${session.orgId}`), limiter.limit(`user:${session.userId}`)]);
  const blocked = decisions.find((d) => !d.success);
  if (blocked) {
    const seconds = Math.max(1, Math.ceil((blocked.reset - Date.now()) / 1000));
    return refuse("rate_limited", `Checks were run too often. Try again in ${seconds} seconds.`);
  }

  const ids = parsed.data.check === "all" ? CHECK_IDS : [parsed.data.check];
  const results = [];
  // One after the other: they share the owner's small pool (and PGlite's one session).
  for (const id of ids) results.push(await runControlCheck(id, { orgId: session.orgId }));
  return recordRun(
    session,
    { runId: randomUUID(), scope: parsed.data.check, results: results.map((r) => ({ id: r.id, status: r.status, detail: r.detail, durationMs: r.durationMs })) },
    request,
  );
}
