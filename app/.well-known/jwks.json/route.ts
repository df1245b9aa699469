import { env } from "@/lib/env";
import { signingKey } from "@/lib/auth/embedded/keys";

/** IDN-2: the embedded provider's public keys, so other services can verify its tokens like Clerk's. */
export async function GET() {
  if (env.identityProvider !== "embedded") return new Response(null, { status: 404 });
  return Response.json((await signingKey()).jwks, { headers: { "cache-control": "public, max-age=300" } });
}
