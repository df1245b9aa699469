import { getSession } from "@/lib/auth/current";
import { hasRole } from "@/lib/actions/pipeline";
import { SecondFactorRequiredError } from "@/lib/auth/second-factor-rule";
import { currentRequestContext } from "@/lib/http/request-context";
import { EvidenceRateLimited, exportEvidenceForSession, packFileName } from "@/lib/evidence/export";

const back = (refused: "second-factor" | "rate-limited") =>
  new Response(null, { status: 303, headers: { location: `/security/evidence?refused=${refused}`, "cache-control": "no-store" } });

/**
 * OPS-3: the org's evidence pack as a zip (POST from the page's button: it signs a checkpoint and writes an audit
 * entry, so it is not a GET; HDR-4 refuses it from another origin). Owners and admins only: 404 for anyone else
 * (TEN-4). IDN-5: a fresh second factor in an org that requires one; RL-1: a few exports per org per window. A
 * refusal sends the browser back to the page, which says why in plain words.
 */
export async function POST() {
  const session = await getSession();
  if (!session?.orgId || !hasRole(session, "admin")) return new Response("Not found", { status: 404 });
  try {
    const pack = await exportEvidenceForSession(session, await currentRequestContext());
    return new Response(Buffer.from(pack.zip), {
      headers: {
        "content-type": "application/zip",
        "content-disposition": `attachment; filename="${packFileName(pack)}"`,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });
  } catch (error) {
    if (error instanceof SecondFactorRequiredError) return back("second-factor");
    if (error instanceof EvidenceRateLimited) {
      const response = back("rate-limited");
      response.headers.set("retry-after", String(Math.max(1, Math.ceil((error.decision.reset - Date.now()) / 1000))));
      return response;
    }
    throw error;
  }
}
