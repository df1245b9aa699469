import { afterAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb, runtimeSession, withAnonymous, withTenant } from "@/lib/db";
import type { Queryable } from "@/lib/db";
import { formatRlsCoverageReport, readRlsCoverageSql, type RlsCoverageGap } from "@/scripts/verify-rls-coverage";
import { orgWithMembers, uid } from "../helpers/tenants";
import { inRolledBackOwnerTransaction } from "../helpers/owner-scratch";

afterAll(closeDb);

const onPostgres = Boolean(process.env.DATABASE_URL);
const coverageSql = readRlsCoverageSql();
const coverage = (db: Queryable) => db.query<RlsCoverageGap>(coverageSql);


const ALL_THREE = "row level security not enabled, row level security not forced, no policy";

describe("TEN-5: scripts/verify-rls-coverage.sql", () => {
  it("returns no rows on the migrated schema, and the script reports OK", async () => {
    const gaps = await coverage(await ownerDb());
    expect(gaps).toEqual([]);
    expect(formatRlsCoverageReport(gaps)).toMatchObject({ exitCode: 0, lines: [expect.stringMatching(/^RLS coverage OK/)] });
  });

  it("lists exactly the tables without RLS, with RLS not forced, and without a policy", async () => {
    const s = uid();
    const names = { none: `rls_none_${s}`, notForced: `rls_not_forced_${s}`, noPolicy: `rls_no_policy_${s}`, covered: `rls_covered_${s}` };
    const gaps = await inRolledBackOwnerTransaction(async (tx) => {
      await tx.exec(`
        create table public.${names.none} (id int primary key);

        create table public.${names.notForced} (id int primary key);
        alter table public.${names.notForced} enable row level security;
        create policy p on public.${names.notForced} for select to authenticated using (true);

        create table public.${names.noPolicy} (id int primary key);
        alter table public.${names.noPolicy} enable row level security;
        alter table public.${names.noPolicy} force row level security;

        create table public.${names.covered} (id int primary key);
        alter table public.${names.covered} enable row level security;
        alter table public.${names.covered} force row level security;
        create policy p on public.${names.covered} for select to authenticated using (true);
      `);
      return coverage(tx);
    });
    expect(gaps).toEqual(
      [
        { schema: "public", table: names.noPolicy, problem: "no policy" },
        { schema: "public", table: names.none, problem: ALL_THREE },
        { schema: "public", table: names.notForced, problem: "row level security not forced" },
      ].sort((a, b) => (a.table < b.table ? -1 : 1)),
    );
    const report = formatRlsCoverageReport(gaps);
    expect(report.exitCode).toBe(1);
    expect(report.lines.join("\n")).toContain(`public.${names.none}: ${ALL_THREE}`);

    // Rolled back: the scratch tables are gone and the schema is clean again.
    const [left] = await (await ownerDb()).query<{ n: number }>(
      "select count(*)::int as n from pg_catalog.pg_class where relname = any($1::text[])",
      [Object.values(names)],
    );
    expect(left!.n).toBe(0);
    expect(await coverage(await ownerDb())).toEqual([]);
  });

  it("covers idp, private and partitions, and ignores views and other schemas", async () => {
    const s = uid();
    const gaps = await inRolledBackOwnerTransaction(async (tx) => {
      await tx.exec(`
        create table idp.rls_idp_${s} (id int);
        create table private.rls_private_${s} (id int);

        create table public.rls_parted_${s} (id int, k int) partition by list (k);
        alter table public.rls_parted_${s} enable row level security;
        alter table public.rls_parted_${s} force row level security;
        create policy p on public.rls_parted_${s} for all to authenticated using (true);
        create table public.rls_part_${s} partition of public.rls_parted_${s} for values in (1);

        create view public.rls_view_${s} as select 1 as one;
        create schema rls_scratch_${s};
        create table rls_scratch_${s}.t (id int);
      `);
      return coverage(tx);
    });
    expect(gaps).toEqual([
      { schema: "idp", table: `rls_idp_${s}`, problem: ALL_THREE },
      { schema: "private", table: `rls_private_${s}`, problem: ALL_THREE },
      { schema: "public", table: `rls_part_${s}`, problem: ALL_THREE },
    ]);
  });
});

interface RoleRow {
  rolname: string;
  rolsuper: boolean;
  rolbypassrls: boolean;
  rolinherit: boolean;
  rolcreaterole: boolean;
  rolcreatedb: boolean;
}

const ROLE_COLUMNS = "rolname, rolsuper, rolbypassrls, rolinherit, rolcreaterole, rolcreatedb";

/** Policy helpers that are SECURITY DEFINER on purpose (TEN-7 grant lookups, evaluated once per statement). */
const POLICY_DEFINERS = ["project_floor", "granted_project_ids"];

describe("TEN-1: the runtime role is safe", () => {
  it("every function the policies call has search_path pinned to '' and is PL/pgSQL (planned once per session)", async () => {
    // Every private.* function named in a policy, and the ones those call (org_role via is_org_admin/is_api_key).
    const helpers = await (await ownerDb()).query<{ name: string; language: string; config: string[] | null; volatility: string; definer: boolean }>(
      `with named as (
         select distinct m[1] as name
           from pg_catalog.pg_policy pol,
                regexp_matches(coalesce(pg_get_expr(pol.polqual, pol.polrelid), '') || ' ' || coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), ''),
                               'private\\.([a-z_]+)\\(', 'g') as m
         union select 'org_role'
       )
       select p.proname as name, l.lanname as language, p.proconfig as config, p.provolatile::text as volatility, p.prosecdef as definer
         from named join pg_catalog.pg_proc p on p.proname = named.name
         join pg_catalog.pg_namespace n on n.oid = p.pronamespace and n.nspname = 'private'
         join pg_catalog.pg_language l on l.oid = p.prolang
        order by 1`,
    );
    expect(helpers.map((h) => h.name)).toEqual(expect.arrayContaining(["is_api_key", "is_org_admin", "key_may_write", "org_id", "org_role", "scoped_project_id", "subject"]));
    for (const helper of helpers) {
      // A search_path a caller controls must not change what a policy reads; and a SQL function with a SET clause
      // is parsed and planned again in every statement that calls it (~27 µs per call on PostgreSQL 15).
      // TEN-7: the grant lookups read project_grants/organizations past their RLS, so they are SECURITY DEFINER (their
      // EXECUTE grants are pinned in security-definer-grants.test.ts); every other policy helper runs as the caller.
      expect(helper, helper.name).toMatchObject({ language: "plpgsql", config: ['search_path=""'], volatility: "s", definer: POLICY_DEFINERS.includes(helper.name) });
    }
  });

  it("requests run as authenticated/anon; neither they nor app_runtime can bypass RLS or own app objects", async () => {
    const a = await orgWithMembers("RoleCheck");
    const asTenant = await withTenant(a.member.claims, (tx) => tx.query<{ current_user: string }>("select current_user"));
    expect(asTenant).toEqual([{ current_user: "authenticated" }]);
    const asAnon = await withAnonymous((tx) => tx.query<{ current_user: string }>("select current_user"));
    expect(asAnon).toEqual([{ current_user: "anon" }]);

    const roles = await withTenant(a.member.claims, (tx) =>
      tx.query<RoleRow>(
        `select ${ROLE_COLUMNS} from pg_catalog.pg_roles where rolname in ('app_runtime', 'authenticated', 'anon', 'key_log_writer', 'embedded_idp', 'key_verifier', 'job_runner', 'job_service', 'video_events', 'webhook_service', 'membership_events', 'audit_maintenance', 'key_rotation') order by rolname`,
      ),
    );
    const unprivileged = { rolsuper: false, rolbypassrls: false, rolinherit: false, rolcreaterole: false, rolcreatedb: false };
    expect(roles).toEqual(["anon", "app_runtime", "audit_maintenance", "authenticated", "embedded_idp", "job_runner", "job_service", "key_log_writer", "key_rotation", "key_verifier", "membership_events", "video_events", "webhook_service"].map((rolname) => ({ rolname, ...unprivileged })));

    // app_runtime is a member of exactly the request and service roles, and those are members of nothing.
    const memberships = await withAnonymous((tx) =>
      tx.query<{ member: string; granted: string }>(
        `select pg_get_userbyid(m.member) as member, pg_get_userbyid(m.roleid) as granted
           from pg_catalog.pg_auth_members m
          where pg_get_userbyid(m.member) in ('app_runtime', 'authenticated', 'anon', 'key_log_writer', 'embedded_idp', 'key_verifier', 'job_runner', 'job_service', 'video_events', 'webhook_service', 'membership_events', 'audit_maintenance', 'key_rotation')
          order by 1, 2`,
      ),
    );
    expect(memberships).toEqual(["anon", "audit_maintenance", "authenticated", "embedded_idp", "job_runner", "job_service", "key_log_writer", "key_rotation", "key_verifier", "membership_events", "video_events", "webhook_service"].map((granted) => ({ member: "app_runtime", granted })));

    // They own no table, view, sequence or function in the app schemas, and cannot create objects there.
    const [owned] = await withTenant(a.member.claims, (tx) =>
      tx.query<{ relations: number; functions: number; create_allowed: number }>(
        `select
           (select count(*)::int from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
             where n.nspname in ('public', 'idp', 'private', 'auth')
               and pg_get_userbyid(c.relowner) in ('app_runtime', 'authenticated', 'anon', 'key_log_writer', 'embedded_idp', 'key_verifier', 'job_runner', 'job_service', 'video_events', 'webhook_service', 'membership_events', 'audit_maintenance', 'key_rotation')) as relations,
           (select count(*)::int from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
             where n.nspname in ('public', 'idp', 'private', 'auth')
               and pg_get_userbyid(p.proowner) in ('app_runtime', 'authenticated', 'anon', 'key_log_writer', 'embedded_idp', 'key_verifier', 'job_runner', 'job_service', 'video_events', 'webhook_service', 'membership_events', 'audit_maintenance', 'key_rotation')) as functions,
           (select count(*)::int from unnest(array['app_runtime', 'authenticated', 'anon', 'key_log_writer', 'embedded_idp', 'key_verifier', 'job_runner', 'job_service', 'video_events', 'webhook_service', 'membership_events', 'audit_maintenance', 'key_rotation']) r,
                   unnest(array['public', 'idp', 'private', 'auth']) s
             where has_schema_privilege(r, s, 'CREATE')) as create_allowed`,
      ),
    );
    expect(owned).toEqual({ relations: 0, functions: 0, create_allowed: 0 });
  });

  it("PostgreSQL: the session is app_runtime, NOINHERIT, not superuser, no BYPASSRLS, and cannot become the owner; PGlite: the session is its superuser (the documented difference)", async () => {
    const a = await orgWithMembers("RoleCheckPg");
    const [me] = await withTenant(a.owner.claims, (tx) =>
      tx.query<RoleRow & { session_user: string }>(
        `select session_user::text as session_user, ${ROLE_COLUMNS} from pg_catalog.pg_roles where rolname = session_user`,
      ),
    );
    // PGlite cannot log in as another role: its session user is always its superuser (PGlite's `username` only
    // changes current_user). What the app reports about it (/health/status) is what the database says.
    expect(me).toMatchObject(onPostgres ? { session_user: "app_runtime", rolname: "app_runtime", rolsuper: false, rolbypassrls: false, rolinherit: false, rolcreaterole: false, rolcreatedb: false } : { rolsuper: true });
    expect(await runtimeSession()).toMatchObject({ sessionUser: me!.session_user, sessionUserIsSuperuser: !onPostgres, currentUser: "app_runtime", claims: null });

    const [ownsTables] = await withAnonymous((tx) =>
      tx.query<{ n: number }>(
        `select count(*)::int as n from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          where n.nspname in ('public', 'idp') and c.relowner = (select oid from pg_catalog.pg_roles where rolname = session_user)`,
      ),
    );
    if (onPostgres) expect(ownsTables!.n).toBe(0);
    else expect(ownsTables!.n).toBeGreaterThan(0);

    // Switching to a privileged role is refused on PostgreSQL (each attempt in its own transaction: an error aborts
    // it). On PGlite a superuser session may switch to any role: the statement succeeds.
    for (const role of onPostgres ? ["postgres", "root"] : ["postgres"]) {
      // One at a time, each awaited as it starts: a refusal is never left without its handler (unhandled rejection).
      const anon = () => withAnonymous((tx) => tx.query(`set local role ${role}`));
      const tenant = () => withTenant(a.owner.claims, (tx) => tx.query(`set local role ${role}`));
      if (onPostgres) {
        await expect(anon()).rejects.toMatchObject({ code: "42501" });
        await expect(tenant()).rejects.toMatchObject({ code: "42501" });
      } else {
        await expect(anon()).resolves.toEqual([]);
        await expect(tenant()).resolves.toEqual([]);
      }
    }
    const authorization = withAnonymous(async (tx) => {
      await tx.query("set local session authorization postgres");
      return tx.query<{ current_user: string }>("select current_user::text as current_user");
    });
    if (onPostgres) await expect(authorization).rejects.toMatchObject({ code: "42501" });
    else await expect(authorization).resolves.toEqual([{ current_user: "postgres" }]);

    // ... while the request roles are allowed.
    const switched = await withAnonymous(async (tx) => {
      await tx.query("set local role authenticated");
      return tx.query<{ current_user: string }>("select current_user");
    });
    expect(switched).toEqual([{ current_user: "authenticated" }]);

    // NOINHERIT: as itself (no SET ROLE), app_runtime holds no table privileges at all. On PGlite `role none` is
    // the superuser session: it reads.
    const asItself = withTenant(a.owner.claims, async (tx) => {
      await tx.query("set local role none");
      return tx.query("select 1 from public.projects limit 1");
    });
    if (onPostgres) await expect(asItself).rejects.toMatchObject({ code: "42501" });
    else await expect(asItself).resolves.toBeInstanceOf(Array);
  });

  it("TEN-1: `reset role` inside a request transaction: app_runtime on PostgreSQL, which reads nothing; every org's rows on PGlite (bounded: reported by /health/status)", async () => {
    const a = await orgWithMembers("ResetA");
    const b = await orgWithMembers("ResetB");
    await withTenant(a.member.claims, (tx) => tx.query("insert into public.projects (org_id, name, created_by) values ($1, 'A', $2)", [a.org.id, a.member.userId]));
    await withTenant(b.member.claims, (tx) => tx.query("insert into public.projects (org_id, name, created_by) values ($1, 'B', $2)", [b.org.id, b.member.userId]));

    // Rolled back: a committed RESET ROLE would also change the session's role between transactions.
    const rollback = new Error("rolled back on purpose");
    const rolledBack = async <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
      let result: T | undefined;
      await expect(withTenant(a.member.claims, async (tx) => {
        result = await fn(tx);
        throw rollback;
      })).rejects.toBe(rollback);
      return result as T;
    };
    const [after] = await rolledBack(async (tx) => {
      await tx.query("reset role");
      return tx.query<{ current_user: string; superuser: boolean }>(
        "select current_user::text as current_user, (select rolsuper from pg_catalog.pg_roles where rolname = current_user) as superuser",
      );
    });
    const read = (tx: Queryable) => tx.query("reset role").then(() => tx.query<{ org_id: string }>("select distinct org_id from public.projects where org_id = any($1::text[]) order by 1", [[a.org.id, b.org.id]]));
    if (onPostgres) {
      expect(after).toEqual({ current_user: "app_runtime", superuser: false });
      await expect(withTenant(a.member.claims, read)).rejects.toMatchObject({ code: "42501" });
    } else {
      expect(after).toMatchObject({ superuser: true });
      expect((await rolledBack(read)).map((r) => r.org_id)).toEqual([a.org.id, b.org.id].sort());
    }
    // Either way the next request transaction is back to its own role and claims (TEN-2).
    expect(await withTenant(b.member.claims, (tx) => tx.query("select current_user::text as u, private.org_id() as org"))).toEqual([{ u: "authenticated", org: b.org.id }]);
  });
});
