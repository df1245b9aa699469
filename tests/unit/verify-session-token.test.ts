import { createHmac } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { SignJWT, exportJWK, exportPKCS8, exportSPKI, generateKeyPair, importJWK, importPKCS8, importSPKI, type CryptoKey, type JWK } from "jose";
import { TokenVerificationError, verifySessionToken, type TokenRejection, type VerifyOptions } from "@/lib/auth/verify";
import { signingKey, type SigningKey } from "@/lib/auth/embedded/keys";
import { EMBEDDED_ISSUER, issueSessionToken } from "@/lib/auth/embedded/tokens";
import { env } from "@/lib/env";

/**
 * IDN-1 / IDN-2: verifySessionToken is the one gate between a bearer string and a Session. Every row below
 * starts from a token that verifies (see "accepts the baseline token") and breaks exactly one rule, so each
 * rejection is attributable to the check that produced it.
 */

const b64url = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

let idp: SigningKey;
let attacker: { privateKey: CryptoKey; publicJwk: JWK };
/** The embedded provider's public key as SPKI PEM: what an attacker can download and use as an HMAC secret. */
let publicPem: string;
/** That PEM imported the way the Clerk path imports CLERK_JWT_KEY. */
let pemKey: CryptoKey;
/** The embedded provider's genuine private key, imported for RS512 (same key material, different hash). */
let idpKeyForRs512: CryptoKey;

function options(over: Partial<VerifyOptions> = {}): VerifyOptions {
  return { key: idp.verificationKey, issuer: EMBEDDED_ISSUER, authorizedParties: env.authorizedParties, ...over };
}

/** Claims of a valid v2 session token; a value of `undefined` removes the claim. */
function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: "user_alice1",
    sid: "sess_abcdefghijklmnop",
    iss: EMBEDDED_ISSUER,
    azp: env.authorizedParties[0],
    iat: now,
    nbf: now,
    exp: now + 600,
    v: 2,
    fva: [3, 7],
    o: { id: "org_acme1", rol: "admin", slg: "acme", per: "org:projects:read,org:projects:manage" },
    ...over,
  };
}

async function sign(
  payload: Record<string, unknown>,
  { key = idp.privateKey, header = {} }: { key?: CryptoKey; header?: Record<string, unknown> } = {},
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid: idp.kid, typ: "JWT", ...header }).sign(key);
}

/** header.payload.signature, assembled by hand (for tokens no honest library would produce). */
function craft(header: Record<string, unknown>, payload: Record<string, unknown>, signature = ""): string {
  return `${b64url(header)}.${b64url(payload)}.${signature}`;
}

async function rejection(token: unknown, opts: VerifyOptions = options()): Promise<TokenRejection> {
  try {
    await verifySessionToken(token as string, opts);
  } catch (error) {
    if (error instanceof TokenVerificationError) return error.reason;
    throw error;
  }
  throw new Error("token was accepted");
}

beforeAll(async () => {
  idp = await signingKey();
  const pair = await generateKeyPair("RS256", { extractable: true });
  attacker = { privateKey: pair.privateKey, publicJwk: await exportJWK(pair.publicKey) };
  publicPem = await exportSPKI((await importJWK(idp.jwks.keys[0]!, "RS256")) as CryptoKey);
  pemKey = await importSPKI(publicPem, "RS256");
  idpKeyForRs512 = await importPKCS8(await exportPKCS8(idp.privateKey), "RS512");
});

describe("verifySessionToken rejects (IDN-1, IDN-2)", () => {
  it("accepts the baseline token every rejection row is derived from", async () => {
    const session = await verifySessionToken(await sign(claims()), options());
    expect(session.userId).toBe("user_alice1");
  });

  const now = () => Math.floor(Date.now() / 1000);

  const cases: { name: string; token: () => Promise<string> | string; reason: TokenRejection; opts?: () => VerifyOptions }[] = [
    // --- algorithm and key confusion ---
    { name: "alg none, unsigned (empty signature segment)", token: () => craft({ alg: "none", typ: "JWT" }, claims()), reason: "malformed" },
    { name: "alg none with a non-empty signature segment", token: () => craft({ alg: "none", typ: "JWT" }, claims(), "AAAA"), reason: "algorithm" },
    {
      name: "HS256 signed with the public key PEM as the HMAC secret (algorithm confusion)",
      token: () => {
        const header = { alg: "HS256", typ: "JWT", kid: idp.kid };
        const input = `${b64url(header)}.${b64url(claims())}`;
        return `${input}.${createHmac("sha256", publicPem).update(input).digest("base64url")}`;
      },
      reason: "algorithm",
    },
    {
      name: "HS256 signed with the public key PEM, against a PEM-imported (Clerk-style) key",
      token: () => {
        const header = { alg: "HS256", typ: "JWT" };
        const input = `${b64url(header)}.${b64url(claims())}`;
        return `${input}.${createHmac("sha256", publicPem).update(input).digest("base64url")}`;
      },
      opts: () => options({ key: pemKey }),
      reason: "algorithm",
    },
    { name: "RS512 signed with the genuine key (only RS256 is allowed)", token: () => sign(claims(), { key: idpKeyForRs512, header: { alg: "RS512" } }), reason: "algorithm" },
    { name: "signed with a different RSA key under the real kid", token: () => sign(claims(), { key: attacker.privateKey }), reason: "signature" },
    {
      name: "attacker key embedded in the header (jwk) with no kid",
      token: () => sign(claims(), { key: attacker.privateKey, header: { kid: undefined, jwk: attacker.publicJwk } }),
      reason: "signature",
    },
    { name: "unknown kid", token: () => sign(claims(), { key: attacker.privateKey, header: { kid: "attacker-key-1" } }), reason: "unknown-key" },
    {
      name: "payload tampered after signing (o.id changed, signature kept)",
      token: async () => {
        const [header, , signature] = (await sign(claims())).split(".");
        return `${header}.${b64url(claims({ o: { id: "org_victim1", rol: "admin", slg: "victim" } }))}.${signature}`;
      },
      reason: "signature",
    },
    // --- time, issuer, audience ---
    { name: "expired", token: () => sign(claims({ iat: now() - 3600, nbf: now() - 3600, exp: now() - 60 })), reason: "expired" },
    { name: "nbf in the future", token: () => sign(claims({ nbf: now() + 300, exp: now() + 900 })), reason: "not-yet-valid" },
    { name: "wrong iss", token: () => sign(claims({ iss: "https://evil.example.com" })), reason: "issuer" },
    { name: "azp not in the allow-list", token: () => sign(claims({ azp: "https://evil.example.com" })), reason: "authorized-party" },
    { name: "missing azp", token: () => sign(claims({ azp: undefined })), reason: "claims" },
    { name: "missing exp", token: () => sign(claims({ exp: undefined })), reason: "claims" },
    { name: "missing sid", token: () => sign(claims({ sid: undefined })), reason: "claims" },
    { name: "sub that is not a user id", token: () => sign(claims({ sub: "admin" })), reason: "claims" },
    { name: "o.id that is not an org id", token: () => sign(claims({ o: { id: "' or 1=1 --", rol: "admin" } })), reason: "claims" },
    // --- session state ---
    { name: 'sts: "pending" (second factor not completed)', token: () => sign(claims({ sts: "pending" })), reason: "pending-session" },
    { name: "v1 and v2 organisation claims at once (app and RLS could disagree)", token: () => sign(claims({ org_id: "org_other1" })), reason: "claims" },
    // --- malformed input ---
    { name: "empty string", token: () => "", reason: "malformed" },
    { name: "two segments", token: async () => (await sign(claims())).split(".").slice(0, 2).join("."), reason: "malformed" },
    { name: "garbage", token: () => "not a jwt at all!", reason: "malformed" },
    { name: "three segments of non-JSON base64url", token: () => "abc.def.ghi", reason: "malformed" },
    { name: "10 kB of token-shaped characters", token: () => `${"a".repeat(5000)}.${"b".repeat(5000)}.${"c".repeat(240)}`, reason: "malformed" },
    { name: "a genuinely signed token larger than 8 kB", token: () => sign(claims({ pad: "x".repeat(10_000) })), reason: "malformed" },
    { name: "not a string", token: () => undefined as unknown as string, reason: "malformed" },
  ];

  it.each(cases)("$name -> $reason", async ({ token, reason, opts }) => {
    expect(await rejection(await token(), opts?.() ?? options())).toBe(reason);
  });

  it("the payload-tampering row is only rejected because of the signature: the same claims, honestly signed, verify", async () => {
    const session = await verifySessionToken(await sign(claims({ o: { id: "org_victim1", rol: "admin", slg: "victim" } })), options());
    expect(session.orgId).toBe("org_victim1");
  });
});

describe("verifySessionToken accepts and maps claims (IDN-1, IDN-2)", () => {
  it("a token issued by the embedded provider becomes the Session it describes", async () => {
    const { token, expiresAt } = await issueSessionToken({
      userId: "user_bob2",
      sessionId: "sess_bobsessionabcdef",
      org: { id: "org_globex2", role: "member", slug: "globex" },
    });
    const session = await verifySessionToken(token, options());
    expect(session).toMatchObject({
      userId: "user_bob2",
      sessionId: "sess_bobsessionabcdef",
      orgId: "org_globex2",
      orgRole: "member",
      orgSlug: "globex",
      permissions: [],
      secondFactorAgeMinutes: null, // the embedded provider issues fva [0, -1]
      actor: null,
    });
    expect(session.expiresAt.getTime()).toBe(expiresAt.getTime());
    expect(session.claims).toMatchObject({ sub: "user_bob2", o: { id: "org_globex2" } });
  });

  it("v2 claims: o.id/rol/slg/per, fva[1] and act map onto the Session", async () => {
    const session = await verifySessionToken(await sign(claims({ act: { sub: "user_support9" } })), options());
    expect(session).toMatchObject({
      userId: "user_alice1",
      sessionId: "sess_abcdefghijklmnop",
      orgId: "org_acme1",
      orgRole: "admin",
      orgSlug: "acme",
      permissions: ["org:projects:read", "org:projects:manage"],
      secondFactorAgeMinutes: 7,
      actor: "user_support9",
    });
  });

  it.each([
    { fva: [0, -1], expected: null },
    { fva: [5, 0], expected: 0 },
    { fva: undefined, expected: null },
  ])("fva $fva -> secondFactorAgeMinutes $expected", async ({ fva, expected }) => {
    const session = await verifySessionToken(await sign(claims({ fva })), options());
    expect(session.secondFactorAgeMinutes).toBe(expected);
  });

  it('v1 claims (org_id, org_role "org:admin", org_slug, org_permissions) map to the same Session shape', async () => {
    const v1 = claims({
      v: undefined,
      o: undefined,
      org_id: "org_legacy1",
      org_role: "org:admin",
      org_slug: "legacy",
      org_permissions: ["org:sys_memberships:manage"],
    });
    const session = await verifySessionToken(await sign(v1), options());
    expect(session).toMatchObject({
      orgId: "org_legacy1",
      orgRole: "admin",
      orgSlug: "legacy",
      permissions: ["org:sys_memberships:manage"],
    });
  });

  it.each([
    { name: "v1 unknown role", over: { o: undefined, org_id: "org_legacy1", org_role: "org:billing_manager" } },
    { name: "v2 unknown role", over: { o: { id: "org_acme1", rol: "superuser" } } },
    { name: "v2 role with a look-alike prefix", over: { o: { id: "org_acme1", rol: "org:org:admin" } } },
  ])("$name maps to orgRole null (never to a privileged role)", async ({ over }) => {
    const session = await verifySessionToken(await sign(claims(over)), options());
    expect(session.orgId).not.toBeNull();
    expect(session.orgRole).toBeNull();
  });

  it("a token with no organisation has neither org nor role", async () => {
    const session = await verifySessionToken(await sign(claims({ o: undefined, org_role: "org:admin" })), options());
    expect(session.orgId).toBeNull();
    expect(session.orgRole).toBeNull();
    expect(session.permissions).toEqual([]);
  });
});
