import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

vi.mock("next/headers", () => import("../helpers/next-request"));

const { closeDb, ownerDb, withTenant } = await import("@/lib/db");
const { resolveSession } = await import("@/lib/auth/session");
const { verifySessionToken } = await import("@/lib/auth/verify");
const { signingKey } = await import("@/lib/auth/embedded/keys");
const { issueSessionToken, EMBEDDED_ISSUER } = await import("@/lib/auth/embedded/tokens");
const { env } = await import("@/lib/env");
const { grantSupportAccess, revokeSupportAccess, startSupportSession, endSupportSession, listSupportGrants, listSupportOperators, listMyConsents } = await import("@/lib/support");
const { checkSupportSessions, checkStandingAccess } = await import("@/lib/support/check");
const { findStandingAccess } = await import("@/lib/support/standing-access");
const { verifyAuditChains } = await import("@/lib/audit/verify");
const { findChainBreak, entryHash, GENESIS_HASH } = await import("@/lib/audit/chain");
const { READ_ONLY_SUPPORT_MESSAGE } = await import("@/lib/actions/pipeline");
const { createProject } = await import("@/lib/projects");
const { default: SupportAccessPage } = await import("@/app/(dashboard)/settings/support-access/page");
const { createUser, orgWithMembers, request, signIn, uid } = await import("../helpers/tenants");
const { inRolledBackOwnerTransaction } = await import("../helpers/owner-scratch");
const { runOperatorCommand, parseOperatorArgs } = await import("@/scripts/operators");

afterAll(closeDb);

type Sess = NonNullable<Awaited<ReturnType<typeof resolveSession>>>;

async function newOperator(listed = true) {
  const userId = await createUser();
  if (listed) await (await ownerDb()).query("insert into private.platform_operators (user_id) values ($1)", [userId]);
  return (await signIn(userId, null)).session;
}

async function grant(owner: Sess, operatorId: string, level: "read" | "write", minutes = 60) {
  const result = await grantSupportAccess(owner, { operatorId, level, minutes: String(minutes), reason: "Ticket 4711: export fails" }, request());
  if (!result.ok) throw new Error(`grant failed: ${result.message}`);
  return result.data.id;
}

async function start(operator: Sess, orgId: string) {
  const outcome = await startSupportSession(operator, { orgId }, request());
  if (!outcome.ok) throw new Error(`start failed: ${outcome.message}`);
  return outcome;
}

/** A token the embedded key signs with an actor claim, exactly as a support session's, but without going through consent. */
async function forgedSupportToken(operator: Sess, org: { id: string; slug: string }) {
  return issueSessionToken({ userId: operator.userId, sessionId: operator.sessionId, org: { id: org.id, role: "support", slug: org.slug }, act: { sub: operator.userId } });
}

async function verifiedClaims(token: string) {
  return (await verifySessionToken(token, { key: (await signingKey()).verificationKey, issuer: EMBEDDED_ISSUER, authorizedParties: env.authorizedParties })).claims;
}

const projectsUnder = (claims: Sess["claims"]) => withTenant(claims, (tx) => tx.query<{ id: string; org_id: string }>("select id, org_id from public.projects"));
const insertProjectUnder = (claims: Sess["claims"], orgId: string, subject: string) =>
  withTenant(claims, (tx) => tx.query("insert into public.projects (org_id, name, created_by) values ($1, 'Raw SQL', $2)", [orgId, subject]));

async function expireConsent(id: string) {
  // Moved into the past as a whole (the table requires 15 minutes to 8 hours between creation and expiry).
  await (await ownerDb()).query("update public.support_grants set created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' where id = $1", [id]);
}

let world: Awaited<ReturnType<typeof orgWithMembers>>;
let projectId: string;

beforeAll(async () => {
  world = await orgWithMembers("SupportCo");
  const created = await createProject(world.member, { name: "Customer data" }, request());
  if (!created.ok) throw new Error(created.message);
  projectId = (created.data as { id: string }).id;
});

describe("TEN-8 support access: consent decides", () => {
  it("refused without consent: a listed operator gets no session, and a signed token with an actor claim is refused by the verifier and sees no row in SQL", async () => {
    const operator = await newOperator();
    expect(await startSupportSession(operator, { orgId: world.org.id }, request())).toMatchObject({ ok: false });

    const forged = await forgedSupportToken(operator, world.org);
    expect(await resolveSession(forged.token)).toBeNull();
    // The same claims straight into a tenant transaction: RLS refuses everything (restrictive policies).
    const claims = await verifiedClaims(forged.token);
    expect(await projectsUnder(claims)).toEqual([]);
    await expect(insertProjectUnder(claims, world.org.id, operator.userId)).rejects.toMatchObject({ code: "42501" });
    expect(await withTenant(claims, (tx) => tx.query("select org_id from public.memberships"))).toEqual([]);
  });

  it("a forged act claim on an ordinary member's token (no consent) is refused", async () => {
    const operator = await newOperator();
    const forged = await issueSessionToken({ userId: world.member.userId, sessionId: world.member.sessionId, org: { id: world.org.id, role: "member", slug: world.org.slug }, act: { sub: operator.userId } });
    expect(await resolveSession(forged.token)).toBeNull();
    expect(await projectsUnder(await verifiedClaims(forged.token))).toEqual([]);
    // A support role without an actor claim is refused too.
    const noActor = await issueSessionToken({ userId: operator.userId, sessionId: operator.sessionId, org: { id: world.org.id, role: "support", slug: world.org.slug } });
    expect(await resolveSession(noActor.token)).toBeNull();
    expect(await projectsUnder(await verifiedClaims(noActor.token))).toEqual([]);
  });

  it("only owners grant: admins, members and support sessions cannot, and an unlisted user cannot be named", async () => {
    const operator = await newOperator();
    for (const who of [world.admin, world.member]) {
      expect(await grantSupportAccess(who, { operatorId: operator.userId, level: "read", minutes: "60", reason: "please" }, request())).toMatchObject({ ok: false, code: "forbidden" });
    }
    const stranger = await newOperator(false);
    expect(await grantSupportAccess(world.owner, { operatorId: stranger.userId, level: "read", minutes: "60", reason: "please" }, request())).toMatchObject({ ok: false, code: "invalid_input" });
    expect(await grantSupportAccess(world.owner, { operatorId: operator.userId, level: "read", minutes: "999", reason: "please" }, request())).toMatchObject({ ok: false, code: "invalid_input" });

    await grant(world.owner, operator.userId, "write");
    const { session } = await start(operator, world.org.id);
    const other = await newOperator();
    expect(await grantSupportAccess(session, { operatorId: other.userId, level: "write", minutes: "60", reason: "extend" }, request())).toMatchObject({ ok: false });
    // ... nor in raw SQL under its claims.
    await expect(withTenant(session.claims, (tx) => tx.query("select private.grant_support_access($1, 'write', 60, 'self-serve')", [other.userId]))).rejects.toMatchObject({ code: "42501" });
    // The operator list is for owners only.
    expect(await withTenant(world.admin.claims, listSupportOperators)).toEqual([]);
    expect((await withTenant(world.owner.claims, listSupportOperators)).map((o) => o.user_id)).toContain(operator.userId);
  });

  it("allowed inside the window, read-only enforced by RLS: reads work, the app refuses writes with a clear message, and a raw SQL insert under the session's claims fails", async () => {
    const operator = await newOperator();
    await grant(world.owner, operator.userId, "read");
    expect((await withTenant(operator.claims, listMyConsents)).map((c) => c.org_id)).toEqual([world.org.id]);
    const { session, issued } = await start(operator, world.org.id);
    expect(session).toMatchObject({ userId: operator.userId, orgId: world.org.id, actor: operator.userId, support: { operatorId: operator.userId, level: "read" } });
    expect(session.claims).toMatchObject({ act: { sub: operator.userId }, o: { id: world.org.id, rol: "support" } });
    expect(await resolveSession(issued.token)).toMatchObject({ support: { level: "read" } });

    expect((await projectsUnder(session.claims)).map((p) => p.id)).toContain(projectId);
    expect(await createProject(session, { name: "Support wrote this" }, request())).toMatchObject({ ok: false, code: "forbidden", message: READ_ONLY_SUPPORT_MESSAGE });
    await expect(insertProjectUnder(session.claims, world.org.id, operator.userId)).rejects.toMatchObject({ code: "42501" });
    await expect(withTenant(session.claims, (tx) => tx.query("update public.projects set name = 'renamed by support' where id = $1 returning id", [projectId]))).resolves.toEqual([]);
    await expect(withTenant(session.claims, (tx) => tx.query("delete from public.projects where id = $1 returning id", [projectId]))).resolves.toEqual([]);
    // Consents themselves are not visible to a support session.
    expect(await withTenant(session.claims, listSupportGrants)).toEqual([]);
  });

  it("read-write consent: the operator's change works, and its audit row names the operator (actor and act_sub) and the org; the chain still verifies", async () => {
    const operator = await newOperator();
    const grantId = await grant(world.owner, operator.userId, "write");
    const { session } = await start(operator, world.org.id);
    const created = await createProject(session, { name: "Fixed by support" }, request());
    expect(created).toMatchObject({ ok: true });
    await insertProjectUnder(session.claims, world.org.id, operator.userId);

    const rows = await (await ownerDb()).query<{ action: string; actor_id: string; act_sub: string | null; target_id: string | null }>(
      "select action, actor_id, act_sub, target_id from public.audit_logs where org_id = $1 and (act_sub = $2 or target_id = $3) order by seq",
      [world.org.id, operator.userId, grantId],
    );
    expect(rows.map((r) => r.action)).toEqual(["support.access_granted", "support.session_started", "project.created"]);
    expect(rows[0]).toMatchObject({ actor_id: world.owner.userId, act_sub: null });
    for (const row of rows.slice(1)) expect(row).toMatchObject({ actor_id: operator.userId, act_sub: operator.userId });
    expect((await verifyAuditChains(await ownerDb(), world.org.id)).breaks).toEqual([]);

    // An audit row in a support session that does not name the operator is refused by the database.
    await expect(
      withTenant(session.claims, (tx) =>
        tx.query("insert into public.audit_logs (org_id, seq, actor_type, actor_id, action, created_at, prev_hash, hash) values ($1, 999999, 'user', $2, 'project.created', now(), $3, $3)", [world.org.id, operator.userId, "0".repeat(64)]),
      ),
    ).rejects.toMatchObject({ code: "42501" });
  });

  it("the session token never outlives its consent", async () => {
    const operator = await newOperator();
    await grant(world.owner, operator.userId, "read", 15);
    const { issued } = await start(operator, world.org.id);
    const [row] = await (await ownerDb()).query<{ expires_at: Date }>("select expires_at from public.support_grants where operator_user_id = $1", [operator.userId]);
    expect(issued.expiresAt.getTime()).toBeLessThanOrEqual(new Date(row!.expires_at).getTime());
  });

  it("refused after expiry, without any job: the same token is refused and its claims see nothing", async () => {
    const operator = await newOperator();
    const id = await grant(world.owner, operator.userId, "write");
    const { issued, session } = await start(operator, world.org.id);
    await expireConsent(id);
    expect(await resolveSession(issued.token)).toBeNull();
    expect(await projectsUnder(session.claims)).toEqual([]);
    await expect(insertProjectUnder(session.claims, world.org.id, operator.userId)).rejects.toMatchObject({ code: "42501" });
    expect(await withTenant(operator.claims, listMyConsents)).toEqual([]);
    expect(await startSupportSession(operator, { orgId: world.org.id }, request())).toMatchObject({ ok: false });
  });

  it("refused after revocation by any owner, which is audited; revoking twice is a 404", async () => {
    const operator = await newOperator();
    const id = await grant(world.owner, operator.userId, "write");
    const { issued, session } = await start(operator, world.org.id);
    const secondOwner = (await signIn(await createUser([{ orgId: world.org.id, role: "owner" }]), { ...world.org, role: "owner" })).session;
    expect(await revokeSupportAccess(world.admin, { id }, request())).toMatchObject({ ok: false, code: "forbidden" });
    expect(await revokeSupportAccess(secondOwner, { id }, request())).toMatchObject({ ok: true });
    expect(await resolveSession(issued.token)).toBeNull();
    expect(await projectsUnder(session.claims)).toEqual([]);
    expect(await revokeSupportAccess(secondOwner, { id }, request())).toMatchObject({ ok: false, code: "not_found" });
    const [audit] = await (await ownerDb()).query<{ actor_id: string }>("select actor_id from public.audit_logs where org_id = $1 and action = 'support.access_revoked' and target_id = $2", [world.org.id, id]);
    expect(audit?.actor_id).toBe(secondOwner.userId);
  });

  it("removing the operator from the deployment's list ends their access; a consent for another org does not open this one", async () => {
    const operator = await newOperator();
    await grant(world.owner, operator.userId, "read");
    const { issued } = await start(operator, world.org.id);
    const other = await orgWithMembers("OtherCo");
    const elsewhere = await forgedSupportToken(operator, other.org);
    expect(await resolveSession(elsewhere.token)).toBeNull();
    expect(await projectsUnder(await verifiedClaims(elsewhere.token))).toEqual([]);

    await (await ownerDb()).query("delete from private.platform_operators where user_id = $1", [operator.userId]);
    expect(await resolveSession(issued.token)).toBeNull();
  });

  it("ending the session is audited and returns a plain token; the live check lists open sessions by name", async () => {
    const operator = await newOperator();
    await grant(world.owner, operator.userId, "read");
    const { session } = await start(operator, world.org.id);
    const email = (await (await ownerDb()).query<{ email: string }>("select email from public.users where id = $1", [operator.userId]))[0]!.email;
    const open = await checkSupportSessions();
    expect(open.detail).toContain(`${email} in SupportCo`);

    const plain = await endSupportSession(session, request());
    const back = await resolveSession(plain!.token);
    expect(back).toMatchObject({ userId: operator.userId, actor: null, support: null });
    expect((await checkSupportSessions()).detail).not.toContain(email);
    const [ended] = await (await ownerDb()).query<{ act_sub: string }>("select act_sub from public.audit_logs where org_id = $1 and action = 'support.session_ended' and actor_id = $2", [world.org.id, operator.userId]);
    expect(ended?.act_sub).toBe(operator.userId);
  });

  it("the support-access page is for owners: admins and members are told it is for owners; owners see active and past grants", async () => {
    const operator = await newOperator();
    const live = await grant(world.owner, operator.userId, "read");
    const past = await grant(world.owner, operator.userId, "write");
    await expireConsent(past);
    for (const who of [world.admin, world.member]) expect(await SupportAccessPage.readFor(who, undefined, request())).toMatchObject({ kind: "admins_only", title: "Support access", minimumRole: "owner" });
    const page = await SupportAccessPage.readFor(world.owner, undefined, request());
    expect(page.kind).toBe("ok");
    const grants = page.kind === "ok" ? page.data.grants : [];
    expect(grants.find((g) => g.id === live)).toMatchObject({ live: true, access_level: "read" });
    expect(grants.find((g) => g.id === past)).toMatchObject({ live: false, access_level: "write" });
  });
});

describe("TEN-8 the operator list (npm run operators)", () => {
  it("adds by email, lists, refuses unknown users, and removes; listing alone opens no org", async () => {
    const userId = await createUser();
    const email = `${userId}@example.test`;
    const db = await ownerDb();
    expect(parseOperatorArgs(["add", email])).toEqual({ verb: "add", who: email });
    expect(parseOperatorArgs(["add"])).toBeNull();
    expect(parseOperatorArgs(["grant", userId])).toBeNull();
    expect(await runOperatorCommand(db, { verb: "add", who: email.toUpperCase() })).toMatchObject({ exitCode: 0 });
    expect((await runOperatorCommand(db, { verb: "list" })).lines.join("\n")).toContain(userId);
    expect(await runOperatorCommand(db, { verb: "add", who: "nobody-here@example.test" })).toMatchObject({ exitCode: 1 });
    const operator = (await signIn(userId, null)).session;
    expect(await withTenant(operator.claims, listMyConsents)).toEqual([]);
    expect(await resolveSession((await forgedSupportToken(operator, world.org)).token)).toBeNull();
    expect(await runOperatorCommand(db, { verb: "remove", who: userId })).toMatchObject({ exitCode: 0 });
    expect(await runOperatorCommand(db, { verb: "remove", who: userId })).toMatchObject({ exitCode: 1 });
  });
});

describe("TEN-8 live checks and the audit chain", () => {
  it("a support entry outside every consent window fails the support-sessions check", async () => {
    expect((await checkSupportSessions()).status).not.toBe("fail");
    const operator = await newOperator();
    const result = await inRolledBackOwnerTransaction(async (tx) => {
      await tx.query(
        "insert into public.audit_logs (org_id, seq, actor_type, actor_id, action, created_at, prev_hash, hash, act_sub) values ($1, 999999, 'user', $2, 'project.created', now(), $3, $3, $2)",
        [world.org.id, operator.userId, "0".repeat(64)],
      );
      return checkSupportSessions(tx);
    });
    expect(result).toMatchObject({ status: "fail" });
  });

  it("act_sub is part of an entry's hash only when set: changing it breaks the chain", () => {
    const record = { org_id: "org_x", seq: 1, actor_type: "user", actor_id: "user_op", action: "project.created", target_type: null, target_id: null, ip: null, user_agent: null, request_id: null, changes: {}, created_at: "2026-12-01T10:00:00.000Z" };
    const plain = entryHash(GENESIS_HASH, record);
    const withActor = entryHash(GENESIS_HASH, { ...record, act_sub: "user_op" });
    expect(withActor).not.toBe(plain);
    const stored = { ...record, id: 1, prev_hash: GENESIS_HASH, hash: withActor, act_sub: "user_op" };
    expect(findChainBreak([stored])).toBeNull();
    expect(findChainBreak([{ ...stored, act_sub: "user_other" }])).toMatchObject({ reason: "hash-mismatch" });
    expect(findChainBreak([{ ...stored, act_sub: null }])).toMatchObject({ reason: "hash-mismatch" });
    // An entry written before the column existed (act_sub null) verifies as before.
    expect(findChainBreak([{ ...record, id: 1, prev_hash: GENESIS_HASH, hash: plain, act_sub: null }])).toBeNull();
  });
});

describe("TEN-8 no standing access", () => {
  it("every tenant table (every public table with org_id, from the catalog) has the four restrictive support policies", async () => {
    const db = await ownerDb();
    const tables = await db.query<{ table_name: string }>(
      "select table_name::text from information_schema.columns where table_schema = 'public' and column_name = 'org_id' and table_name in (select tablename from pg_catalog.pg_tables where schemaname = 'public') order by 1",
    );
    expect(tables.length).toBeGreaterThan(10);
    const policies = await db.query<{ tablename: string; policyname: string; permissive: string; cmd: string; roles: string[] }>(
      "select tablename::text, policyname::text, permissive::text, cmd::text, roles::text[] from pg_catalog.pg_policies where schemaname = 'public' and policyname like '%\\_support\\_%'",
    );
    for (const { table_name } of tables) {
      const mine = policies.filter((p) => p.tablename === table_name);
      expect(mine.map((p) => p.cmd).sort(), table_name).toEqual(["ALL", "DELETE", "INSERT", "UPDATE"]);
      for (const p of mine) expect(p, `${table_name}.${p.policyname}`).toMatchObject({ permissive: "RESTRICTIVE", roles: ["authenticated"] });
    }
    expect(await findStandingAccess(db)).toEqual([]);
    expect(await checkStandingAccess()).toMatchObject({ status: "pass" });
  });

  it("the enumeration catches a new tenant table without the policies, a dropped policy, an unconditional policy, a policy on the operator list and a BYPASSRLS role", async () => {
    const s = uid();
    const problems = await inRolledBackOwnerTransaction(async (tx) => {
      await tx.exec(`
        create table public.standing_${s} (id int primary key, org_id text not null);
        alter table public.standing_${s} enable row level security;
        alter table public.standing_${s} force row level security;
        create policy p on public.standing_${s} for select to authenticated using (org_id = (select private.org_id()));
        drop policy projects_support_update on public.projects;
        create policy everything_${s} on public.documents for select to authenticated using (true);
        create policy operators_${s} on public.videos for select to authenticated using (exists (select 1 from private.platform_operators));
        create role standing_${s} bypassrls;
        grant standing_${s} to authenticated;
      `);
      return findStandingAccess(tx);
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: "missing-support-policy", object: `public.standing_${s}`, detail: "no restrictive support policy for access, insert, update, delete" }),
        expect.objectContaining({ kind: "missing-support-policy", object: "public.projects", detail: "no restrictive support policy for update" }),
        expect.objectContaining({ kind: "unconditional-policy", object: `public.documents.everything_${s}` }),
        expect.objectContaining({ kind: "operator-policy", object: `public.videos.operators_${s}` }),
        expect.objectContaining({ kind: "bypass-role", object: `standing_${s}` }),
      ]),
    );
    // Roles are cluster-wide; the rolled-back transaction removed this one again.
    expect(await (await ownerDb()).query("select 1 from pg_catalog.pg_roles where rolname = $1", [`standing_${s}`])).toEqual([]);
  });

  it("no route, page or server action opens the owner's connection (the only one that bypasses RLS)", async () => {
    const files: string[] = [];
    async function walk(dir: string) {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (/\.(ts|tsx)$/.test(entry.name)) files.push(full);
      }
    }
    await walk(path.join(process.cwd(), "app"));
    expect(files.length).toBeGreaterThan(20);
    const offenders: string[] = [];
    for (const file of files) {
      const text = await readFile(file, "utf8");
      if (/\bownerDb\b|MIGRATION_DATABASE_URL|platform_operators/.test(text)) offenders.push(path.relative(process.cwd(), file));
    }
    expect(offenders).toEqual([]);
  });
});
