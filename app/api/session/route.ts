import { getSession } from "@/lib/auth/current";
import { DatabaseUnavailableError } from "@/lib/db";
import { problem } from "@/lib/http/problem";

/** The caller's verified session (cookie-authenticated). 401 without one, 503 when the database is down. */
export async function GET(request: Request) {
  const requestId = request.headers.get("x-request-id");
  try {
    const session = await getSession();
    if (!session) return problem("unauthenticated", "Sign in first.", { requestId });
    const { userId, sessionId, orgId, orgRole, orgSlug, expiresAt } = session;
    return Response.json({ userId, sessionId, orgId, orgRole, orgSlug, expiresAt });
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) return problem("unavailable", "The service is temporarily unavailable.", { requestId });
    return problem("internal", "Something went wrong.", { requestId });
  }
}
