import { auditSigningKey } from "@/lib/audit/checkpoints";
import { publicKeyDocument } from "@/lib/audit/signing";

/** AUD-5: the public key that verifies this deployment's signed audit checkpoints (key id, PEM and JWK). */
export function GET() {
  return Response.json(publicKeyDocument(auditSigningKey()), { headers: { "cache-control": "public, max-age=300" } });
}
