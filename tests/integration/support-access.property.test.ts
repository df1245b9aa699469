import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import fc from "fast-check";

vi.mock("next/headers", () => import("../helpers/next-request"));

const { closeDb, ownerDb, withTenant } = await import("@/lib/db");
const { resolveSession } = await import("@/lib/auth/session");
const { issueSessionToken, EMBEDDED_ISSUER } = await import("@/lib/auth/embedded/tokens");
const { verifySessionToken } = await import("@/lib/auth/verify");
const { signingKey } = await import("@/lib/auth/embedded/keys");
const { env } = await import("@/lib/env");

const ROLLBACK = new Error("rolled back on purpose");
const { grantSupportAccess, revokeSupportAccess } = await import("@/lib/support");
const { createProject } = await import("@/lib/projects");
const { createUser, orgWithMembers, request, signIn } = await import("../helpers/tenants");

afterAll(closeDb);

// TEN-8, property-based: whatever sequence of grants, revocations, expiries and operator-list changes happened, a
// support token for that operator is accepted exactly when the model says a live consent exists, at the model's
// level; its claims read the org's rows exactly then, and write exactly under a live read-write consent. Nothing else.
type Level = "read" | "write";
type Command =
  | { kind: "grant"; level: Level }
  | { kind: "revoke"; pick: number }
  | { kind: "expire"; pick: number }
  | { kind: "delist" }
  | { kind: "relist" };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("grant" as const), level: fc.constantFrom<Level>("read", "write") }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant("revoke" as const), pick: fc.nat(5) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("expire" as const), pick: fc.nat(5) }), weight: 2 },
  { arbitrary: fc.constant({ kind: "delist" as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: "relist" as const }), weight: 1 },
);

let world: Awaited<ReturnType<typeof orgWithMembers>>;

beforeAll(async () => {
  world = await orgWithMembers("PropertyCo");
  const created = await createProject(world.member, { name: "Seen only with consent" }, request());
  if (!created.ok) throw new Error(created.message);
});

describe("TEN-8 support consents, property-based", () => {
  it("a support token is accepted, reads and writes exactly as the live consents allow (model-checked)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(true, true, true, false), fc.array(commandArb, { minLength: 1, maxLength: 10 }), async (listedAtStart, commands) => {
        const db = await ownerDb();
        const operatorId = await createUser();
        let listed = listedAtStart;
        if (listed) await db.query("insert into private.platform_operators (user_id) values ($1)", [operatorId]);
        const operator = (await signIn(operatorId, null)).session;
        const { token } = await issueSessionToken({ userId: operatorId, sessionId: operator.sessionId, org: { id: world.org.id, role: "support", slug: world.org.slug }, act: { sub: operatorId } });
        const grants: { id: string; level: Level; live: boolean }[] = [];
        const modelLevel = (): Level | null => {
          if (!listed) return null;
          const live = grants.filter((g) => g.live);
          return live.some((g) => g.level === "write") ? "write" : live.length ? "read" : null;
        };

        // Every command is followed by a probe of what the token may do now.
        for (const command of commands.flatMap((c) => [c, { kind: "probe" } as const])) {
          switch (command.kind) {
            case "grant": {
              const result = await grantSupportAccess(world.owner, { operatorId, level: command.level, minutes: "60", reason: "property run" }, request());
              expect(result.ok).toBe(listed);
              if (result.ok) grants.push({ id: result.data.id, level: command.level, live: true });
              break;
            }
            case "revoke": {
              const target = grants[command.pick % Math.max(grants.length, 1)];
              if (!target) break;
              const result = await revokeSupportAccess(world.owner, { id: target.id }, request());
              expect(result.ok).toBe(target.live);
              target.live = false;
              break;
            }
            case "expire": {
              const target = grants[command.pick % Math.max(grants.length, 1)];
              if (!target) break;
              await db.query("update public.support_grants set created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' where id = $1", [target.id]);
              target.live = false;
              break;
            }
            case "delist":
              await db.query("delete from private.platform_operators where user_id = $1", [operatorId]);
              listed = false;
              break;
            case "relist":
              await db.query("insert into private.platform_operators (user_id) values ($1) on conflict do nothing", [operatorId]);
              listed = true;
              break;
            case "probe": {
              const expected = modelLevel();

              const session = await resolveSession(token);
              expect(session?.support?.level ?? null).toBe(expected);
              // Refused or not, the token's verified claims go straight into SQL too.
              const claims = session?.claims ?? (await verifySessionToken(token, { key: (await signingKey()).verificationKey, issuer: EMBEDDED_ISSUER, authorizedParties: env.authorizedParties })).claims;
              const rows = await withTenant(claims, (tx) => tx.query<{ org_id: string }>("select org_id from public.projects"));
              expect(rows.length > 0).toBe(expected !== null);
              expect(rows.every((r) => r.org_id === world.org.id)).toBe(true);
              // Rolled back either way, so the org never reaches its plan's project limit.
              const wrote = await withTenant(claims, async (tx) => {
                await tx.query("insert into public.projects (org_id, name, created_by) values ($1, 'by support', $2)", [world.org.id, operatorId]);
                throw ROLLBACK;
              }).then(
                () => {
                  throw new Error("unreachable");
                },
                (error: { code?: string }) => {
                  if (error === ROLLBACK) return true;
                  expect(error.code).toBe("42501");
                  return false;
                },
              );
              expect(wrote).toBe(expected === "write");
              break;
            }
          }
        }
      }),
      { numRuns: 30 },
    );
  }, 240_000);
});
