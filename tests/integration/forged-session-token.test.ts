import { afterAll, describe, expect, it, vi } from "vitest";
import { generateKeyPair, SignJWT } from "jose";
import { startRequest } from "../helpers/next-request";

vi.mock("next/headers", () => import("../helpers/next-request"));

const { GET: sessionRoute } = await import("@/app/api/session/route");
const { resolveSession } = await import("@/lib/auth/session");
const { SESSION_COOKIE_NAME } = await import("@/lib/auth/cookie-name");
const { closeDb } = await import("@/lib/db");
const { createOrg, createUser, signIn } = await import("../helpers/tenants");

afterAll(closeDb);

/** The exact header and claims of `token` (same kid, same session, same org and role), signed with another key. */
async function resignedWithAnotherKey(token: string): Promise<string> {
  const [header, payload] = token.split(".");
  const protectedHeader = JSON.parse(Buffer.from(header!, "base64url").toString()) as { alg: "RS256"; kid: string; typ: string };
  const claims = JSON.parse(Buffer.from(payload!, "base64url").toString()) as Record<string, unknown>;
  const { privateKey } = await generateKeyPair("RS256");
  return new SignJWT(claims).setProtectedHeader(protectedHeader).sign(privateKey);
}

function unsigned(token: string): string {
  const [, payload] = token.split(".");
  return `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`;
}

async function sessionRouteWith(token: string) {
  startRequest({ cookie: `${SESSION_COOKIE_NAME}=${token}` });
  const { nextRequest } = await import("../helpers/next-request");
  nextRequest.cookies.set(SESSION_COOKIE_NAME, { value: token, options: {} });
  const res = await sessionRoute(new Request("http://localhost:3000/api/session"));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

// IDN-2: whatever the provider, only a verified signature authenticates. These tokens carry a LIVE session's exact
// claims, so the database's session check would accept them: the signature is all that stands in the way. A
// development "fallback" that trusted decoded claims when verification fails is caught here, on the request path.
describe("a live session's exact claims without our signature are refused on the request path (IDN-2)", () => {
  it.each([
    ["signed with another RS256 key under the same kid", resignedWithAnotherKey],
    ["with alg none and no signature", async (token: string) => unsigned(token)],
  ])("%s", async (_label, forge) => {
    const org = await createOrg("Acme");
    const userId = await createUser([{ orgId: org.id, role: "admin" }]);
    const { token } = await signIn(userId, { ...org, role: "admin" });

    // The honest token is a live session, on both paths.
    expect(await resolveSession(token)).toMatchObject({ userId, orgId: org.id, orgRole: "admin" });
    expect(await sessionRouteWith(token)).toMatchObject({ status: 200, body: { userId, orgId: org.id } });

    const forged = await forge(token);
    expect(forged.split(".")[1]).toBe(token.split(".")[1]);
    expect(await resolveSession(forged)).toBeNull();
    expect(await sessionRouteWith(forged)).toMatchObject({ status: 401, body: { code: "unauthenticated" } });
  });
});
