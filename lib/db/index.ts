import "server-only";
import { env } from "@/lib/env";
import type { VerifiedClaims } from "@/lib/auth/claims";
import { openPglite, openPostgres, type Engine, type Queryable } from "./engine";
import { migrate } from "./migrate";

export { DatabaseUnavailableError, isConnectionError, isPermissionDenied, type Engine, type Queryable } from "./engine";

/**
 * lib/db is the only module that opens connections. Requests reach tenant data only through withTenant
 * (or withAnonymous before sign-in): each is ONE transaction that first sets the verified claims and a
 * non-owner role, exactly as PostgREST/Supabase do, so row-level security isolates tenants (TEN-1, TEN-2).
 */

interface Handles {
  runtime: Engine;
  owner: Engine;
}

const globalForDb = globalThis as unknown as { __tenantguardDb?: Promise<Handles> };

async function open(): Promise<Handles> {
  if (env.NEXT_PHASE === "phase-production-build") {
    throw new Error("The database is never opened during `next build`.");
  }
  if (env.databaseEngine === "postgres") {
    const runtime = openPostgres(env.DATABASE_URL!, env.DB_POOL_MAX);
    const owner = env.MIGRATION_DATABASE_URL ? openPostgres(env.MIGRATION_DATABASE_URL, 2) : runtime;
    return { runtime, owner };
  }
  // PGlite: one in-process session. It is migrated as its superuser, then the session drops to the runtime
  // role; every request transaction switches further to `authenticated`/`anon` with SET LOCAL semantics.
  const db = await openPglite(env.PGLITE_DATA_DIR);
  await migrate(db);
  await db.exec("set role app_runtime");
  const owner: Engine = {
    ...db,
    transaction: (fn) =>
      db.transaction(async (tx) => {
        await tx.exec("set local role none");
        return fn(tx);
      }),
    query: (sql, params) => owner.transaction((tx) => tx.query(sql, params)),
    exec: (sql) => owner.transaction((tx) => tx.exec(sql)),
  };
  return { runtime: db, owner };
}

function handles(): Promise<Handles> {
  globalForDb.__tenantguardDb ??= open().catch((error: unknown) => {
    globalForDb.__tenantguardDb = undefined;
    throw error;
  });
  return globalForDb.__tenantguardDb;
}

// VAL-2: every request transaction also gets a statement time limit, so one slow query cannot hold a connection.
const SET_CLAIMS_AND_ROLE =
  "select set_config('request.jwt.claims', $1, true), set_config('role', $2, true), set_config('statement_timeout', '10s', true)";

/** TEN-2: fn runs in one transaction as `authenticated` with the verified claims; RLS sees exactly these. */
export async function withTenant<T>(claims: VerifiedClaims, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const { runtime } = await handles();
  return runtime.transaction(async (tx) => {
    await tx.query(SET_CLAIMS_AND_ROLE, [JSON.stringify(claims), "authenticated"]);
    return fn(tx);
  });
}

/** Before anyone is signed in (the embedded IdP's sign-in): role `anon`, no claims. */
export async function withAnonymous<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const { runtime } = await handles();
  return runtime.transaction(async (tx) => {
    await tx.query(SET_CLAIMS_AND_ROLE, ["", "anon"]);
    return fn(tx);
  });
}

/** The tables' owner: migrations, seeding and verification scripts only. Never used by a request. */
export async function ownerDb(): Promise<Engine> {
  return (await handles()).owner;
}

/** For the readiness probe: can a trivial statement run as the runtime role? */
export async function pingDatabase(): Promise<void> {
  const { runtime } = await handles();
  await runtime.query("select 1");
}

export async function closeDb(): Promise<void> {
  const current = globalForDb.__tenantguardDb;
  globalForDb.__tenantguardDb = undefined;
  if (!current) return;
  const { runtime, owner } = await current;
  await runtime.close();
  if (owner !== runtime && owner.kind === "postgres") await owner.close();
}

export { migrate };
