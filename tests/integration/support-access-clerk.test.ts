import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { SignJWT, exportSPKI, generateKeyPair, type CryptoKey } from "jose";

// TEN-8 with Clerk: Clerk's impersonation issues actor tokens, session tokens whose `sub` is the impersonated user and
// whose `act.sub` is the operator. The same consent check applies to them as to the embedded provider's support
// sessions. A locally generated RS256 key plays the Clerk instance's key (networkless verification, CLERK_JWT_KEY).
vi.mock("next/headers", () => import("../helpers/next-request"));

const ISSUER_HOST = "clerk.example.com";
const APP = "http://localhost:3000"; // APP_URL in vitest.config.ts
let instanceKey: CryptoKey;
let lib: {
  resolveSession: typeof import("@/lib/auth/session").resolveSession;
  db: typeof import("@/lib/db");
};

beforeAll(async () => {
  const pair = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
  instanceKey = pair.privateKey;
  vi.stubEnv("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", `pk_test_${Buffer.from(`${ISSUER_HOST}$`).toString("base64")}`);
  vi.stubEnv("CLERK_SECRET_KEY", "sk_test_offline");
  vi.stubEnv("CLERK_JWT_KEY", await exportSPKI(pair.publicKey));
  vi.stubEnv("CLERK_AUTHORIZED_PARTIES", APP);
  vi.resetModules(); // lib/env.ts reads the environment when first imported
  lib = { resolveSession: (await import("@/lib/auth/session")).resolveSession, db: await import("@/lib/db") };
  expect((await import("@/lib/env")).env.identityProvider).toBe("clerk");
});
afterAll(async () => {
  await lib.db.closeDb();
  vi.unstubAllEnvs();
});

const suffix = () => Math.random().toString(36).slice(2, 10);

function clerkToken(claims: Record<string, unknown>) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ azp: APP, iss: `https://${ISSUER_HOST}`, iat: now, nbf: now - 10, exp: now + 60, v: 2, sts: "active", ...claims })
    .setProtectedHeader({ alg: "RS256", kid: "ins_2test", typ: "JWT" })
    .sign(instanceKey);
}

describe("TEN-8 with Clerk actor tokens", () => {
  it("a Clerk actor token is accepted only with a live consent naming its actor, at the consented level, and refused again after revocation", async () => {
    const s = suffix();
    const owner = { sub: `user_2own${s}`, sid: `sess_2own${s}abcdefgh`, o: { id: `org_2sup${s}`, rol: "owner", slg: `sup-${s}` } };
    // The owner's own token provisions the user, org and membership (IDN-3); no actor: an ordinary session.
    expect(await lib.resolveSession(await clerkToken(owner))).toMatchObject({ userId: owner.sub, orgRole: "owner", actor: null, support: null });

    const operator = `user_2op${s}`;
    const db = await lib.db.ownerDb();
    await db.query("insert into public.users (id, email) values ($1, $2)", [operator, `${operator}@example.test`]);
    await db.query("insert into private.platform_operators (user_id) values ($1)", [operator]);
    const actorToken = await clerkToken({ ...owner, sid: `sess_2act${s}abcdefgh`, act: { sub: operator, sid: `sess_2opsid${s}` } });

    // No consent: refused, however authentic the signature and whatever role the impersonated user holds.
    expect(await lib.resolveSession(actorToken)).toBeNull();

    const [grant] = await db.query<{ id: string }>(
      "insert into public.support_grants (org_id, operator_user_id, access_level, reason, granted_by, expires_at) values ($1, $2, 'read', 'Clerk ticket', $3, now() + interval '1 hour') returning id",
      [owner.o.id, operator, owner.sub],
    );
    const session = await lib.resolveSession(actorToken);
    expect(session).toMatchObject({ userId: owner.sub, orgRole: "owner", actor: operator, support: { operatorId: operator, level: "read" } });
    // Read-only in the database although the impersonated user is an owner, and consent cannot be granted from it.
    await expect(
      lib.db.withTenant(session!.claims, (tx) => tx.query("insert into public.projects (org_id, name, created_by) values ($1, 'x', $2)", [owner.o.id, owner.sub])),
    ).rejects.toMatchObject({ code: "42501" });
    await expect(lib.db.withTenant(session!.claims, (tx) => tx.query("select private.grant_support_access($1, 'write', 60, 'more')", [operator]))).rejects.toMatchObject({ code: "42501" });

    await db.query("update public.support_grants set revoked_at = now(), revoked_by = $2 where id = $1", [grant!.id, owner.sub]);
    expect(await lib.resolveSession(actorToken)).toBeNull();
  });
});
