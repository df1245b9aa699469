import { getSession } from "@/lib/auth/current";
import { hasRole } from "@/lib/actions/pipeline";
import { withTenant } from "@/lib/db";
import { allAuditEntries, auditCsv, auditLogFilter } from "@/lib/audit/log";
import { buildAuditExport } from "@/lib/audit/export";
import { appendAudit } from "@/lib/audit/writer";
import { currentRequestContext } from "@/lib/http/request-context";
import { assertSecondFactor, SecondFactorRequiredError } from "@/lib/auth/second-factor-rule";

/**
 * AUD-5: the filtered range of the org's audit log as CSV or JSON, each with the signed checkpoint (one is signed
 * first, so every entry is covered). JSON holds the contiguous run of entries the range needs to verify offline
 * (`npm run verify:audit -- --file ... --public-key ...`) and lists the filter's matches. Owners and admins only:
 * 404 for anyone else, like the page. IDN-5: in an org that requires two-step verification, exporting evidence needs
 * a fresh second factor (403 with the way to verify otherwise).
 */
export async function GET(request: Request) {
  const session = await getSession();
  if (!session?.orgId || !hasRole(session, "admin")) return new Response("Not found", { status: 404 });
  const url = new URL(request.url);
  const filter = auditLogFilter.parse(Object.fromEntries(url.searchParams));
  const format = url.searchParams.get("format") === "csv" ? "csv" : "json";
  const orgId = session.orgId;
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  const headers = (type: string, ext: string) => ({
    "content-type": type,
    "content-disposition": `attachment; filename="audit-${orgId}-${stamp}.${ext}"`,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  const userId = session.userId;
  let body: string;
  try {
    body = await withTenant(session.claims, async (tx) => {
      await assertSecondFactor(tx, "fresh");
      // Reading the log out is itself recorded, before the checkpoint that covers it.
      await appendAudit(tx, { orgId, actorType: "user", actorId: userId, action: "audit.exported", targetType: "organization", targetId: orgId, changes: { format, ...filter }, ...(await currentRequestContext()) });
      const matched = await allAuditEntries(tx, orgId, filter);
      const doc = await buildAuditExport(tx, orgId, { from: filter.from ?? null, to: filter.to ? `${filter.to}T23:59:59.999Z` : null }, { actor: filter.actor ?? null, action: filter.action ?? null, target: filter.target ?? null, severity: filter.severity ?? null }, matched.map((e) => e.seq));
      return format === "csv" ? auditCsv(matched, doc.checkpoint) : `${JSON.stringify(doc, null, 2)}\n`;
    });
  } catch (error) {
    if (error instanceof SecondFactorRequiredError) {
      return new Response(error.message, { status: 403, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
    }
    throw error;
  }
  return new Response(body, { headers: format === "csv" ? headers("text/csv; charset=utf-8", "csv") : headers("application/json", "json") });
}
