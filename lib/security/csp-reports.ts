import "server-only";
import { z } from "zod";
import * as Sentry from "@sentry/nextjs";
import { env } from "@/lib/env";
import { withAnonymous } from "@/lib/db";
import { maskValue } from "@/lib/observability/pii";
import { logger } from "@/lib/observability/logger";

/**
 * HDR-2: CSP violation reports, from `report-uri` (application/csp-report) and the Reporting API
 * (application/reports+json), normalised to one shape, masked (OBS-2: a blocked URL's query may carry tokens),
 * stored as a bounded sample and forwarded to Sentry when a DSN is configured.
 */
export const CSP_REPORT_MAX_BYTES = 16 * 1024;
export const CSP_REPORT_CONTENT_TYPES = ["application/csp-report", "application/reports+json", "application/json"];

// Not text PostgreSQL can store (a NUL in jsonb is SQLSTATE 22P05) or a log line should carry: C0 controls, DEL and
// unpaired surrogates (JSON.parse accepts "\ud800"; jsonb refuses it). Each becomes U+FFFD, so the report keeps its shape.
const UNSTORABLE = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** HDR-2: report text cut to `max` characters (the body's 16 KiB cap bounds it before that) and made storable. */
export function storableText(value: string, max: number): string {
  return (value.length > max ? value.slice(0, max) : value).replace(UNSTORABLE, "\ufffd");
}

const text = (max: number) => z.string().transform((v) => storableText(v, max)).optional();

export const violationSchema = z.object({
  documentURL: text(2048),
  effectiveDirective: text(256),
  blockedURL: text(2048),
  disposition: z.enum(["enforce", "report"]).optional(),
  sourceFile: text(2048),
  lineNumber: z.number().int().nonnegative().optional(),
  sample: text(256),
});
export type Violation = z.infer<typeof violationSchema>;

const legacySchema = z.object({
  "csp-report": z.object({
    "document-uri": z.string().optional(),
    "effective-directive": z.string().optional(),
    "violated-directive": z.string().optional(),
    "blocked-uri": z.string().optional(),
    disposition: z.string().optional(),
    "source-file": z.string().optional(),
    "line-number": z.number().optional(),
    "script-sample": z.string().optional(),
  }),
});

const reportingApiSchema = z
  .array(z.object({ type: z.string(), body: z.record(z.string(), z.unknown()) }))
  .max(10);

/** Raw JSON -> violations, or null when it is neither format. */
export function parseCspReport(payload: unknown): Violation[] | null {
  const legacy = legacySchema.safeParse(payload);
  if (legacy.success) {
    const r = legacy.data["csp-report"];
    const one = violationSchema.safeParse({
      documentURL: r["document-uri"],
      effectiveDirective: r["effective-directive"] ?? r["violated-directive"],
      blockedURL: r["blocked-uri"],
      disposition: r.disposition === "report" ? "report" : "enforce",
      sourceFile: r["source-file"],
      lineNumber: r["line-number"],
      sample: r["script-sample"],
    });
    return one.success ? [one.data] : null;
  }
  const batch = reportingApiSchema.safeParse(payload);
  if (!batch.success) return null;
  const out: Violation[] = [];
  for (const report of batch.data) {
    if (report.type !== "csp-violation") continue;
    const one = violationSchema.safeParse(report.body);
    if (one.success) out.push(one.data);
  }
  return out;
}

export async function recordViolations(violations: Violation[], requestId: string | null): Promise<void> {
  for (const raw of violations) {
    const violation = maskValue(raw);
    await withAnonymous((tx) => tx.query("select private.record_csp_report($1::jsonb)", [JSON.stringify(violation)]));
    logger.warn({ requestId, csp: { directive: violation.effectiveDirective, blocked: violation.blockedURL, document: violation.documentURL } }, "csp violation");
    if (env.SENTRY_DSN) {
      Sentry.captureMessage(`CSP violation: ${violation.effectiveDirective ?? "unknown directive"}`, { level: "warning", extra: { ...violation } });
    }
  }
}
