import "server-only";
import { withTenant } from "@/lib/db";
import { appendAudit } from "@/lib/audit/writer";
import { assertSecondFactor } from "@/lib/auth/second-factor-rule";
import { markVerified, type Session } from "@/lib/auth/claims";
import type { RequestContext } from "@/lib/http/request-context";
import { logger } from "@/lib/observability/logger";
import { recordRateLimitHit } from "@/lib/observability/metrics";
import { noteSecurityEvent } from "@/lib/audit/alerts";
import { SECURITY_EVENT } from "@/lib/audit/events";
import { createAppRateLimiters, type RateLimitDecision } from "@/lib/ratelimit";
import { buildEvidencePack, type EvidencePack } from "./pack";

const limiters = createAppRateLimiters({
  onLimitHit: (e) => {
    recordRateLimitHit(e.limiter);
    void noteSecurityEvent(SECURITY_EVENT.rateLimited, { subject: `${e.limiter}:${e.identifier}`, details: { limiter: e.limiter } });
    logger.warn({ scope: "evidence.export", limiter: e.limiter, backend: e.backend }, "rate limit hit");
  },
  onBackendError: (e) => logger.warn({ scope: "evidence.export", limiter: e.limiter, backend: e.backend }, "rate limit backend unavailable, using in-memory fallback"),
});

export class EvidenceRateLimited extends Error {
  constructor(readonly decision: RateLimitDecision) {
    super("Too many evidence exports for this organisation: wait a few minutes and try again.");
  }
}

/** The archive's name: the org and the state's own time (never the clock), so the same state gets the same name. */
export function packFileName(pack: EvidencePack): string {
  const when = pack.manifest.as_of ? pack.manifest.as_of.replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z") : "empty";
  return `evidence-${pack.manifest.org_id}-${when}.zip`;
}

async function recordExport(claims: Session["claims"], orgId: string, actor: { type: "user" | "system"; id: string }, pack: EvidencePack, context: RequestContext, via: string) {
  await withTenant(claims, (tx) =>
    appendAudit(tx, {
      orgId,
      actorType: actor.type,
      actorId: actor.id,
      action: "evidence.exported",
      targetType: "organization",
      targetId: orgId,
      changes: { via, manifest_sha256: pack.manifestSha256, as_of: pack.manifest.as_of, checkpoint_seq: pack.state.checkpoint?.seq ?? null, files: pack.manifest.files.length },
      ...context,
    }),
  );
}

/**
 * OPS-3 / IDN-5 / RL-1: an owner's or admin's download of the org's evidence pack (the caller has checked the role).
 * Limited per org (RATE_LIMIT_CLASSES.evidenceExport); in an org that requires two-step verification, a fresh second
 * factor is required (SecondFactorRequiredError), checked in the tenant transaction before the checkpoint is signed.
 * The export is audited as evidence.exported with the manifest's SHA-256, after the pack is built (so the entry
 * names the exact pack) and before it is handed out: no audit entry, no download. The entry moves the chain, so the
 * next pack differs from this one.
 */
export async function exportEvidenceForSession(session: Session, context: RequestContext): Promise<EvidencePack> {
  const orgId = session.orgId!;
  const decision = await limiters.evidenceExport.limit(`org:${orgId}`);
  if (!decision.success) throw new EvidenceRateLimited(decision);
  const pack = await buildEvidencePack(session.claims, orgId, { authorise: (tx) => assertSecondFactor(tx, "fresh") });
  await recordExport(session.claims, orgId, { type: "user", id: session.userId }, pack, context, "dashboard");
  return pack;
}

/**
 * `npm run evidence`: an operator with the deployment's database credentials exports an org's pack. It runs in the
 * org's row-level security scope as an admin principal of that org (the populations then hold only its rows) and is
 * audited as the system actor `cli:evidence`.
 */
export async function exportEvidenceAsOperator(orgId: string): Promise<EvidencePack> {
  const claims = markVerified({ sub: "user_evidencecli", sid: "sess_evidencecli", iss: "tenantguard-cli", azp: "cli", exp: 0, nbf: 0, iat: 0, o: { id: orgId, rol: "admin" } });
  const pack = await buildEvidencePack(claims, orgId);
  await recordExport(claims, orgId, { type: "system", id: "cli:evidence" }, pack, { ip: null, userAgent: "npm run evidence", requestId: null }, "cli");
  return pack;
}
