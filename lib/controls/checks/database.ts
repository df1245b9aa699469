import "server-only";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { env } from "@/lib/env";
import { ownerDb, withAnonymous, type Queryable } from "@/lib/db";
import type { CheckResult } from "../live-checks";

/** Runs fn in a transaction as the tables' owner; the checks below take a transaction so a test can run them in its own. */
async function asOwner<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return (await ownerDb()).transaction(fn);
}

const RLS_COVERAGE_SQL = path.join("scripts", "verify-rls-coverage.sql");

/** TEN-5 / TEN-1: the coverage query of `npm run verify:rls`, as the owner (the only role that sees every table). */
export async function checkRlsCoverage(db?: Queryable): Promise<CheckResult> {
  let sql: string;
  try {
    sql = await readFile(path.join(process.cwd(), RLS_COVERAGE_SQL), "utf8");
  } catch {
    return { status: "fail", detail: `${RLS_COVERAGE_SQL} could not be read from the app's directory, so coverage is unknown.` };
  }
  const run = (tx: Queryable) => tx.query<{ schema: string; table: string; problem: string }>(sql);
  const gaps = db ? await run(db) : await asOwner(run);
  if (gaps.length === 0) return { status: "pass", detail: "Every table in public, idp and private has row-level security enabled and forced, and a policy." };
  return { status: "fail", detail: `${gaps.length} table(s) not fully covered: ${gaps.map((g) => `${g.schema}.${g.table} (${g.problem})`).join("; ")}.` };
}

interface RoleFacts {
  rolname: string;
  rolsuper: boolean;
  rolbypassrls: boolean;
  owned: number;
  owners_reachable: number;
}

const APP_SCHEMAS = "array['public', 'idp', 'private', 'auth']";

/**
 * TEN-1: the role requests connect as (PostgreSQL: the login role; PGlite: app_runtime, which the session drops to)
 * is no superuser, has no BYPASSRLS, owns nothing in the app schemas and is not a member of a role that does.
 */
export async function checkRuntimeRole(options: { roleName?: string; db?: Queryable } = {}): Promise<CheckResult> {
  const roleName =
    options.roleName ??
    (env.databaseEngine === "pglite"
      ? "app_runtime"
      : (await withAnonymous((tx) => tx.query<{ login: string }>("select session_user::text as login")))[0]!.login);
  const inspect = (tx: Queryable) =>
    tx.query<RoleFacts>(
      `select r.rolname::text as rolname, r.rolsuper, r.rolbypassrls,
              (select count(*)::int from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
                where n.nspname = any(${APP_SCHEMAS}) and c.relowner = r.oid)
            + (select count(*)::int from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
                where n.nspname = any(${APP_SCHEMAS}) and p.proowner = r.oid) as owned,
              (select count(distinct c.relowner)::int from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
                where n.nspname = any(${APP_SCHEMAS}) and c.relowner <> r.oid and pg_catalog.pg_has_role(r.oid, c.relowner, 'MEMBER')) as owners_reachable
         from pg_catalog.pg_roles r where r.rolname = $1`,
      [roleName],
    );
  const [facts] = options.db ? await inspect(options.db) : await asOwner(inspect);
  if (!facts) return { status: "fail", detail: `The runtime role ${roleName} does not exist.` };
  const problems = [
    facts.rolsuper && "is a superuser",
    facts.rolbypassrls && "has BYPASSRLS",
    facts.owned > 0 && `owns ${facts.owned} object(s) in the app schemas`,
    facts.owners_reachable > 0 && "is a member of a role that owns app tables",
  ].filter((p): p is string => Boolean(p));
  if (problems.length > 0) return { status: "fail", detail: `The runtime role ${roleName} ${problems.join(", ")}: row-level security can be bypassed.` };
  return { status: "pass", detail: `The runtime role ${roleName} is no superuser, has no BYPASSRLS and owns nothing in the app schemas.` };
}

/**
 * TEN-1 / TEN-2: the session requests run in. PGlite's session is its superuser (only `current_user` changes), so SQL
 * that resets the role leaves RLS: a documented limit of the embedded engine, reported as a warning.
 * `run` is the transaction to ask in (default: a request transaction as `anon`).
 */
export async function checkDatabaseSession(
  options: { engine?: "pglite" | "postgres"; run?: <T>(fn: (tx: Queryable) => Promise<T>) => Promise<T> } = {},
): Promise<CheckResult> {
  const engine = options.engine ?? env.databaseEngine;
  const run = options.run ?? withAnonymous;
  const [session] = await run((tx) =>
    tx.query<{ login: string; rolsuper: boolean; rolbypassrls: boolean }>(
      "select r.rolname::text as login, r.rolsuper, r.rolbypassrls from pg_catalog.pg_roles r where r.rolname = session_user",
    ),
  );
  if (engine === "pglite") {
    return {
      status: "warn",
      detail: "Embedded engine (PGlite): the database session is its superuser, so SQL that resets the role would leave row-level security. Use PostgreSQL for real tenants.",
    };
  }
  if (!session) return { status: "fail", detail: "The session's login role could not be found." };
  if (session.rolsuper || session.rolbypassrls) {
    return { status: "fail", detail: `Requests connect as ${session.login}, which ${session.rolsuper ? "is a superuser" : "has BYPASSRLS"}: row-level security does not bind them.` };
  }
  return { status: "pass", detail: `Requests connect as ${session.login}: no superuser, no BYPASSRLS.` };
}

/** At most this many expired keys are tried per run (the newest expiries first). */
const EXPIRED_SAMPLE = 200;

/**
 * KEY-2: every unrevoked key whose expiry has passed is refused by private.assert_api_key_current, the check every
 * key request runs. Each key is tried under its own claims in a savepoint, so a refusal does not end the run.
 */
export async function checkExpiredKeys(db?: Queryable): Promise<CheckResult> {
  const run = async (tx: Queryable): Promise<CheckResult> => {
    const [{ total } = { total: 0 }] = await tx.query<{ total: number }>(
      "select count(*)::int as total from public.api_keys where revoked_at is null and expires_at <= now()",
    );
    const keys = await tx.query<{ id: string; key_hash: string }>(
      "select id::text, key_hash from public.api_keys where revoked_at is null and expires_at <= now() order by expires_at desc limit $1",
      [EXPIRED_SAMPLE],
    );
    const stillAccepted: string[] = [];
    for (const key of keys) {
      await tx.query("savepoint expired_key_check");
      try {
        await tx.query(
          `select set_config('request.jwt.claims', jsonb_build_object(
                    'sub', 'key_' || k.id, 'o', jsonb_build_object('id', k.org_id, 'rol', 'api'),
                    'key', jsonb_build_object('id', k.id, 'project_id', k.project_id, 'permissions', to_jsonb(k.permissions)))::text, true),
                  set_config('role', 'authenticated', true)
             from public.api_keys k where k.id = $1::uuid`,
          [key.id],
        );
        await tx.query("select private.assert_api_key_current($1)", [key.key_hash]);
        stillAccepted.push(key.id);
      } catch (error) {
        if ((error as { code?: unknown }).code !== "28000") throw error;
      } finally {
        await tx.query("rollback to savepoint expired_key_check");
      }
    }
    if (stillAccepted.length > 0) {
      return { status: "fail", detail: `${stillAccepted.length} key(s) past their expiry are still accepted: ${stillAccepted.slice(0, 10).join(", ")}.` };
    }
    if (total === 0) return { status: "pass", detail: "No unrevoked key is past its expiry." };
    const sampled = total > keys.length ? ` (the ${keys.length} most recently expired tried)` : "";
    return { status: "pass", detail: `${total} unrevoked key(s) past their expiry, every one refused${sampled}.` };
  };
  return db ? run(db) : asOwner(run);
}
