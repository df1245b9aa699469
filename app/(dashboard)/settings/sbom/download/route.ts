import { getSession } from "@/lib/auth/current";
import { hasRole } from "@/lib/actions/pipeline";
import { readSbom, RUNNING_VERSION } from "@/lib/ops/sbom";

/**
 * OPS-2: the running build's CycloneDX SBOM, for owners and admins. Anyone else gets 404, as for the page (TEN-3);
 * a build without one is a 404 too. A read: nothing is changed, so nothing is audited.
 */
export async function GET() {
  const session = await getSession();
  if (!session?.orgId || !hasRole(session, "admin")) return new Response("Not found", { status: 404 });
  const sbom = await readSbom();
  if (!sbom) return new Response("Not found", { status: 404 });
  return new Response(sbom.text, {
    headers: {
      "content-type": "application/vnd.cyclonedx+json",
      "content-disposition": `attachment; filename="tenantguard-${RUNNING_VERSION}.cdx.json"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "repr-digest": `sha-256=:${Buffer.from(sbom.sha256, "hex").toString("base64")}:`,
    },
  });
}
