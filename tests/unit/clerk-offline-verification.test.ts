import { createHmac } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { SignJWT, exportSPKI, generateKeyPair, importSPKI, type CryptoKey } from "jose";
import { verifyToken as clerkVerifyToken } from "@clerk/backend";
import { TokenVerificationError as ClerkTokenVerificationError } from "@clerk/backend/errors";
import { TokenVerificationError, verifySessionToken, type TokenRejection, type VerifyOptions } from "@/lib/auth/verify";
import { clerkIssuerFromPublishableKey } from "@/lib/auth/clerk";

/**
 * IDN-1: Clerk session tokens are verified networkless from the PEM public key (CLERK_JWT_KEY). A locally
 * generated RS256 key plays Clerk's instance key; the same token goes through our verifier and through
 * @clerk/backend's own verifyToken, so the two cannot drift apart on what a valid Clerk token is.
 */

const CLERK_ISSUER = "https://clerk.example.com";
const AUTHORIZED_PARTIES = ["https://app.example.com"];
const KID = "ins_2testinstancekey";

let clerkPrivateKey: CryptoKey;
/** CLERK_JWT_KEY as the Clerk dashboard shows it: the instance's public key, SPKI PEM. */
let clerkJwtKeyPem: string;
let otherPrivateKey: CryptoKey;

beforeAll(async () => {
  const clerk = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
  clerkPrivateKey = clerk.privateKey;
  clerkJwtKeyPem = await exportSPKI(clerk.publicKey);
  otherPrivateKey = (await generateKeyPair("RS256", { modulusLength: 2048 })).privateKey;
});

/** A Clerk v2 session token's claims; `undefined` removes a claim. */
function clerkClaims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: "user_2abcDEF123",
    sid: "sess_2ghiJKL456",
    azp: AUTHORIZED_PARTIES[0],
    iss: CLERK_ISSUER,
    iat: now,
    nbf: now - 10,
    exp: now + 60,
    v: 2,
    fva: [42, 4],
    sts: "active",
    o: { id: "org_2mnoPQR789", rol: "admin", slg: "acme-inc", per: "manage,read" },
    ...over,
  };
}

function signClerk(claims: Record<string, unknown>, key: CryptoKey = clerkPrivateKey): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: KID, typ: "JWT" }).sign(key);
}

async function ours(token: string, over: Partial<VerifyOptions> = {}) {
  return verifySessionToken(token, {
    key: await importSPKI(clerkJwtKeyPem, "RS256"),
    issuer: CLERK_ISSUER,
    authorizedParties: AUTHORIZED_PARTIES,
    ...over,
  });
}

function theirs(token: string, authorizedParties = AUTHORIZED_PARTIES) {
  return clerkVerifyToken(token, { jwtKey: clerkJwtKeyPem, authorizedParties, issuer: CLERK_ISSUER });
}

async function ourRejection(token: string, over: Partial<VerifyOptions> = {}): Promise<TokenRejection> {
  try {
    await ours(token, over);
  } catch (error) {
    if (error instanceof TokenVerificationError) return error.reason;
    throw error;
  }
  throw new Error("our verifier accepted the token");
}

async function clerkRejection(token: string, authorizedParties = AUTHORIZED_PARTIES): Promise<string> {
  try {
    await theirs(token, authorizedParties);
  } catch (error) {
    if (error instanceof ClerkTokenVerificationError) return error.reason;
    throw error;
  }
  throw new Error("Clerk's verifier accepted the token");
}

describe("Clerk session tokens verified offline from CLERK_JWT_KEY (IDN-1)", () => {
  it("our verifier accepts a Clerk v2 token with the PEM key and yields the Session it describes", async () => {
    const token = await signClerk(clerkClaims());
    const session = await ours(token);
    expect(session).toMatchObject({
      userId: "user_2abcDEF123",
      sessionId: "sess_2ghiJKL456",
      orgId: "org_2mnoPQR789",
      orgRole: "admin",
      orgSlug: "acme-inc",
      permissions: ["manage", "read"],
      secondFactorAgeMinutes: 4,
      actor: null,
    });
  });

  it("@clerk/backend's verifyToken accepts the very same token, networkless, with the same PEM", async () => {
    const token = await signClerk(clerkClaims());
    const payload = await theirs(token);
    expect(payload).toMatchObject({ sub: "user_2abcDEF123", sid: "sess_2ghiJKL456", azp: AUTHORIZED_PARTIES[0], iss: CLERK_ISSUER });
    // And ours agrees on who it is.
    expect((await ours(token)).userId).toBe(payload.sub);
  });

  it("v1-shaped Clerk claims are accepted by both and normalised (org:admin -> admin)", async () => {
    const token = await signClerk(clerkClaims({ v: undefined, o: undefined, org_id: "org_2legacy1", org_role: "org:admin", org_slug: "legacy" }));
    await expect(theirs(token)).resolves.toMatchObject({ org_id: "org_2legacy1" });
    expect(await ours(token)).toMatchObject({ orgId: "org_2legacy1", orgRole: "admin", orgSlug: "legacy" });
  });

  it.each([
    {
      name: "azp not in the authorised parties",
      token: () => signClerk(clerkClaims({ azp: "https://evil.example.com" })),
      ours: "authorized-party",
      clerk: "token-invalid-authorized-parties",
    },
    {
      name: "signed by another key",
      token: () => signClerk(clerkClaims(), otherPrivateKey),
      ours: "signature",
      clerk: "token-invalid-signature",
    },
    {
      name: "HS256 with the PEM public key as HMAC secret (algorithm confusion)",
      token: async () => {
        const input = `${Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT", kid: KID })).toString("base64url")}.${Buffer.from(JSON.stringify(clerkClaims())).toString("base64url")}`;
        return `${input}.${createHmac("sha256", clerkJwtKeyPem).update(input).digest("base64url")}`;
      },
      ours: "algorithm",
      clerk: "token-invalid-algorithm",
    },
    {
      name: "expired",
      token: () => {
        const now = Math.floor(Date.now() / 1000);
        return signClerk(clerkClaims({ iat: now - 600, nbf: now - 600, exp: now - 60 }));
      },
      ours: "expired",
      clerk: "token-expired",
    },
    {
      name: "issued by another Clerk instance",
      token: () => signClerk(clerkClaims({ iss: "https://clerk.other-tenant.example.com" })),
      ours: "issuer",
      clerk: "token-invalid-issuer",
    },
  ])("both verifiers reject a token $name", async ({ token, ours: ourReason, clerk }) => {
    const t = await token();
    expect(await ourRejection(t)).toBe(ourReason);
    expect(await clerkRejection(t)).toBe(clerk);
  });

  it("the wrong-azp rejection comes from the allow-list: with that origin allowed, both accept the token", async () => {
    const token = await signClerk(clerkClaims({ azp: "https://evil.example.com" }));
    await expect(ours(token, { authorizedParties: ["https://evil.example.com"] })).resolves.toMatchObject({ userId: "user_2abcDEF123" });
    await expect(theirs(token, ["https://evil.example.com"])).resolves.toMatchObject({ sub: "user_2abcDEF123" });
  });

  it("a pending Clerk session (sts: pending) is refused by our verifier even though its signature is valid", async () => {
    const token = await signClerk(clerkClaims({ sts: "pending" }));
    expect(await ourRejection(token)).toBe("pending-session");
  });
});

describe("clerkIssuerFromPublishableKey (IDN-1: iss is the Frontend API URL the publishable key encodes)", () => {
  const pk = (prefix: string, decoded: string) => prefix + Buffer.from(decoded).toString("base64");

  it.each([
    { key: pk("pk_test_", "clerk.example.com$"), issuer: "https://clerk.example.com" },
    { key: pk("pk_live_", "clerk.acme-inc.com$"), issuer: "https://clerk.acme-inc.com" },
    { key: pk("pk_test_", "happy-otter-12.clerk.accounts.dev$"), issuer: "https://happy-otter-12.clerk.accounts.dev" },
  ])("$key -> $issuer", ({ key, issuer }) => {
    expect(clerkIssuerFromPublishableKey(key)).toBe(issuer);
  });

  it.each([
    { name: "garbage", key: "garbage" },
    { name: "prefix with undecodable garbage", key: "pk_test_!!!!" },
    { name: "empty host", key: pk("pk_test_", "$") },
    { name: "a URL with a path (issuer injection)", key: pk("pk_test_", "evil.example.com/clerk.example.com$") },
    { name: "a host with userinfo", key: pk("pk_live_", "clerk.example.com@evil.example.com$") },
    { name: "a host with a port", key: pk("pk_live_", "evil.example.com:443$") },
    { name: "a '$' before the end", key: pk("pk_test_", "clerk.example.com$evil$") },
  ])("throws for $name", ({ key }) => {
    expect(() => clerkIssuerFromPublishableKey(key)).toThrow(/Frontend API host/);
  });
});
