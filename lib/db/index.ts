import "server-only";
import { env } from "@/lib/env";
import pg from "pg";
import { isApiKeyClaims, presentedApiKeyHash, type VerifiedClaims } from "@/lib/auth/claims";
import { openPglite, openPostgres, type Engine, type Queryable, type TransactionOptions } from "./engine";
import { migrate } from "./migrate";

export { DatabaseUnavailableError, isConnectionError, isPermissionDenied, SingleStatementError, type Engine, type Queryable, type TransactionOptions } from "./engine";

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
    const options = env.DB_PREPARED_STATEMENTS === undefined ? {} : { preparedStatements: env.DB_PREPARED_STATEMENTS };
    const runtime = openPostgres(env.DATABASE_URL!, env.DB_POOL_MAX, options);
    const owner = env.MIGRATION_DATABASE_URL ? openPostgres(env.MIGRATION_DATABASE_URL, 2, options) : runtime;
    return { runtime, owner };
  }
  // PGlite: one in-process session. It is migrated as its superuser, then the session drops to the runtime
  // role; every request transaction switches further to `authenticated`/`anon` with SET LOCAL semantics.
  const db = await openPglite(env.PGLITE_DATA_DIR);
  await migrate(db);
  await db.exec("set role app_runtime");
  const owner: Engine = {
    ...db,
    transaction: (fn, preamble, options) => db.transaction(fn, ["set local role none", ...(preamble ?? [])], options),
    query: (sql, params) => owner.transaction((tx) => tx.query(sql, params)),
    exec: (sql) => owner.transaction((tx) => tx.exec(sql)),
  };
  return { runtime: db, owner };
}

// Once open, the handles are also kept as a plain value, so a request's transaction starts without an await (under
// Next.js every promise runs AsyncLocalStorage hooks on Node 20; see docs/benchmarks.md).
const openHandles = globalThis as unknown as { __tenantguardDbOpen?: Handles };

function handles(): Promise<Handles> {
  globalForDb.__tenantguardDb ??= open().then(
    (opened) => (openHandles.__tenantguardDbOpen = opened),
    (error: unknown) => {
      globalForDb.__tenantguardDb = undefined;
      throw error;
    },
  );
  return globalForDb.__tenantguardDb;
}

/** fn with the runtime engine: at once when the database is open, else once it is. */
function withRuntime<T>(fn: (runtime: Engine) => Promise<T>): Promise<T> {
  const opened = openHandles.__tenantguardDbOpen;
  return opened ? fn(opened.runtime) : handles().then((h) => fn(h.runtime));
}

const { escapeLiteral } = pg;

// VAL-2: every request transaction also gets a statement time limit, so one slow query cannot hold a connection.
// The claims are sent as a quoted literal in the same message as BEGIN (one round trip instead of two); pg's
// escapeLiteral doubles quotes and backslashes, and the role is one of two constants.
function claimsPreamble(claims: string, role: "authenticated" | "anon" | "key_log_writer"): readonly string[] {
  return Object.freeze([`select set_config('request.jwt.claims', ${escapeLiteral(claims)}, true), set_config('role', '${role}', true), set_config('statement_timeout', '10s', true)`]);
}

const ANONYMOUS_PREAMBLE = claimsPreamble("", "anon");
const KEY_LOG_WRITER_PREAMBLE = claimsPreamble("", "key_log_writer");
// API-key claims are built once per cached key and frozen (lib/api-keys/verify.ts): so is their preamble (only for
// frozen claims, which cannot change under it).
const keyPreambles = new WeakMap<object, readonly string[]>();
const HASH = /^[0-9a-f]{64}$/;

/**
 * TEN-2: fn runs in one transaction as `authenticated` with the verified claims; RLS sees exactly these.
 * KEY-2: for an API key, the same round trip also asks the database whether the key is still current for the
 * presented secret (private.assert_api_key_current: not revoked, expired, deleted or past its grace, and the claims
 * are the key's). If not, the transaction fails with SQLSTATE 28000 and none of fn's statements runs. Claims that
 * name a key but carry no presented hash are refused outright: fail closed.
 * `singleStatement` (reads of one statement): READ ONLY, and the whole transaction is one round trip (lib/db/engine).
 */
export function withTenant<T>(claims: VerifiedClaims, fn: (tx: Queryable, info: TenantInfo) => Promise<T>, options?: TransactionOptions): Promise<T> {
  const isKey = isApiKeyClaims(claims);
  let preamble = isKey ? keyPreambles.get(claims) : undefined;
  if (!preamble) {
    preamble = claimsPreamble(JSON.stringify(claims), "authenticated");
    if (isKey) {
      const hash = presentedApiKeyHash(claims);
      if (!hash || !HASH.test(hash)) return Promise.reject(new Error("API-key claims without the presented key's hash: refusing to run the transaction."));
      preamble = Object.freeze([...preamble, `select private.assert_api_key_current('${hash}') as secret`]);
      if (Object.isFrozen(claims) && Object.isFrozen(claims.key) && Object.isFrozen(claims.o)) keyPreambles.set(claims, preamble);
    }
  }
  const confirmation = (r: Record<string, unknown>[]): TenantConfirmation => {
    const secret = r[0]?.secret;
    return { apiKeySecret: isKey ? (secret === "previous" ? "previous" : "current") : null };
  };
  return withRuntime((runtime) =>
    runtime.transaction((tx, rows) => {
      // Built only when read (API keys read it; dashboard transactions never do): nothing extra on their hot path.
      let confirmed: Promise<TenantConfirmation> | undefined;
      const info: TenantInfo = {
        get confirmed() {
          if (!confirmed) {
            confirmed = rows.then(confirmation);
            confirmed.catch(() => {}); // the transaction itself fails with the preamble's error
          }
          return confirmed;
        },
        whenConfirmed(callback) {
          rows.then((r) => callback(confirmation(r)), () => {}); // on failure the transaction fails with the preamble's error
        },
      };
      return fn(tx, info);
    }, preamble, options),
  );
}

export interface TenantConfirmation {
  /** API keys: which of the key's secrets was presented (the previous one only during a roll's grace). */
  apiKeySecret: "current" | "previous" | null;
}

export interface TenantInfo {
  /**
   * Settles when the database has accepted the claims (and, for an API key, confirmed it current). fn is called
   * before that, so that its first statement travels with them; none of its statements answers before it.
   */
  readonly confirmed: Promise<TenantConfirmation>;
  /** The same, as a callback (one promise fewer than `confirmed.then`): called only if the database confirmed. */
  whenConfirmed(callback: (confirmation: TenantConfirmation) => void): void;
}

/** Before anyone is signed in (the embedded IdP's sign-in, API-key lookup): role `anon`, no claims. */
export function withAnonymous<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return withRuntime((runtime) => runtime.transaction(fn, ANONYMOUS_PREAMBLE));
}

/**
 * KEY-2: the batched API-key verification log only (lib/api-keys/usage-log.ts): role `key_log_writer`, no claims,
 * whose one privilege is executing private.record_key_uses.
 */
export function withKeyLogWriter<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return withRuntime((runtime) => runtime.transaction(fn, KEY_LOG_WRITER_PREAMBLE));
}

/** SQLSTATE 28000 from private.assert_api_key_current: the key was revoked, expired or deleted since it was cached. */
export function isApiKeyNotCurrent(error: unknown): boolean {
  return Boolean(error && typeof error === "object" && (error as { code?: unknown }).code === "28000");
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
  openHandles.__tenantguardDbOpen = undefined;
  if (!current) return;
  const { runtime, owner } = await current;
  await runtime.close();
  if (owner !== runtime && owner.kind === "postgres") await owner.close();
}

export { migrate };
