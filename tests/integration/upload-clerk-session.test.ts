import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { SignJWT, exportSPKI, generateKeyPair, type CryptoKey } from "jose";

// FILE-1 with Clerk: the upload routes are outside the proxy, so clerkMiddleware does not run for them and Clerk's
// auth() cannot be used there. Their session comes from Clerk's `__session` cookie, verified like every Clerk token
// (networkless, CLERK_JWT_KEY). A locally generated RS256 key plays the Clerk instance's key.
vi.mock("next/headers", () => import("../helpers/next-request"));

const ISSUER_HOST = "clerk.example.com";
const APP = "http://localhost:3000"; // APP_URL in vitest.config.ts
let instanceKey: CryptoKey;
let otherKey: CryptoKey;
let getSessionWithoutProxy: typeof import("@/lib/auth/current").getSessionWithoutProxy;
let nextRequest: typeof import("../helpers/next-request").nextRequest;
let startRequest: typeof import("../helpers/next-request").startRequest;
let closeDb: () => Promise<void>;

beforeAll(async () => {
  const pair = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
  instanceKey = pair.privateKey;
  otherKey = (await generateKeyPair("RS256", { modulusLength: 2048 })).privateKey;
  vi.stubEnv("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", `pk_test_${Buffer.from(`${ISSUER_HOST}$`).toString("base64")}`);
  vi.stubEnv("CLERK_SECRET_KEY", "sk_test_offline");
  vi.stubEnv("CLERK_JWT_KEY", await exportSPKI(pair.publicKey));
  vi.stubEnv("CLERK_AUTHORIZED_PARTIES", APP);
  vi.resetModules(); // lib/env.ts reads the environment when first imported
  ({ getSessionWithoutProxy } = await import("@/lib/auth/current"));
  ({ nextRequest, startRequest } = await import("../helpers/next-request"));
  ({ closeDb } = await import("@/lib/db"));
  expect((await import("@/lib/env")).env.identityProvider).toBe("clerk");
});
afterAll(async () => {
  await closeDb();
  vi.unstubAllEnvs();
});

function clerkToken(key: CryptoKey, over: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  const suffix = Math.random().toString(36).slice(2, 10);
  return new SignJWT({
    sub: `user_2upload${suffix}`,
    sid: `sess_2upload${suffix}`,
    azp: APP,
    iss: `https://${ISSUER_HOST}`,
    iat: now,
    nbf: now - 10,
    exp: now + 60,
    v: 2,
    sts: "active",
    o: { id: `org_2upload${suffix}`, rol: "member", slg: `upload-${suffix}` },
    ...over,
  })
    .setProtectedHeader({ alg: "RS256", kid: "ins_2test", typ: "JWT" })
    .sign(key);
}

function withSessionCookie(token: string | null) {
  startRequest(token ? { cookie: `__session=${token}` } : {});
  if (token) nextRequest.cookies.set("__session", { value: token, options: {} });
}

describe("the upload routes' session with Clerk (FILE-1, IDN-1)", () => {
  it("comes from Clerk's __session cookie, verified networkless: a valid token is a session; a forged, expired or missing one is none", async () => {
    const token = await clerkToken(instanceKey);
    withSessionCookie(token);
    const session = await getSessionWithoutProxy();
    expect(session?.userId).toMatch(/^user_2upload/);
    expect(session?.orgId).toMatch(/^org_2upload/);
    expect(session?.orgRole).toBe("member");

    withSessionCookie(await clerkToken(otherKey));
    expect(await getSessionWithoutProxy()).toBeNull();
    const now = Math.floor(Date.now() / 1000);
    withSessionCookie(await clerkToken(instanceKey, { iat: now - 600, nbf: now - 600, exp: now - 300 }));
    expect(await getSessionWithoutProxy()).toBeNull();
    withSessionCookie(await clerkToken(instanceKey, { azp: "https://evil.example" }));
    expect(await getSessionWithoutProxy()).toBeNull();
    withSessionCookie(null);
    expect(await getSessionWithoutProxy()).toBeNull();
  });
});
