import "server-only";
import { openAsBlob } from "node:fs";
import { env } from "@/lib/env";
import pg from "pg";
import { logger } from "@/lib/observability/logger";
import { DatabaseUnavailableError, openPglite, openPostgres, type Engine, type PgliteOptions, type Queryable, type TransactionOptions } from "./engine";
import { tenantCheckOf, type TenantClaims } from "./tenant-check";
import { migrate } from "./migrate";
import { checkKeysIn } from "@/lib/crypto/key-check";
import { flagStatesRecorded, securityFlagSignature } from "@/lib/flags/recorded";

export { TransactionRolledBackError, DatabaseUnavailableError, isConnectionError, isPermissionDenied, SingleStatementError, type Engine, type Queryable, type TransactionOptions } from "./engine";
export { bindTenantCheck, type TenantClaims } from "./tenant-check";

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
    await refuseMissingKeys(runtime, () => Promise.all([runtime.close(), owner !== runtime ? owner.close() : undefined]));
    return { runtime, owner };
  }
  // PGlite: one in-process session. It is migrated as its superuser, then the session drops to the runtime
  // role; every request transaction switches further to `authenticated`/`anon` with SET LOCAL semantics.
  // Whatever stops that (a data directory that cannot be opened, a migration that fails) leaves nothing to serve
  // from: requests answer "unavailable" (503) and try again, and the reason is logged, never sent to a client.
  let db: Engine | undefined;
  try {
    db = await openPglite(env.PGLITE_DATA_DIR, await pgliteTemplate());
    await migrate(db);
    await db.exec("set role app_runtime");
  } catch (error) {
    await db?.close().catch(() => {});
    logger.error({ err: error }, "the embedded database could not be opened");
    throw error instanceof DatabaseUnavailableError ? error : new DatabaseUnavailableError(error);
  }
  const embedded = db;
  await refuseMissingKeys(embedded, () => embedded.close());
  const owner: Engine = {
    ...embedded,
    transaction: (fn, preamble, options) => embedded.transaction(fn, ["set local role none", ...(preamble ?? [])], options),
    query: (sql, params) => owner.transaction((tx) => tx.query(sql, params)),
    exec: (sql) => owner.transaction((tx) => tx.exec(sql)),
  };
  return { runtime: embedded, owner };
}

/**
 * Tests start each in-memory database from the suite's migrated template (PGLITE_SNAPSHOT, NODE_ENV=test only)
 * rather than initdb plus every migration; migrate() still runs after it, checks every applied file's checksum and
 * applies whatever the template lacks. Never for a data directory on disk, never outside tests.
 */
async function pgliteTemplate(): Promise<PgliteOptions> {
  if (env.NODE_ENV !== "test" || !env.PGLITE_SNAPSHOT || !env.PGLITE_DATA_DIR.startsWith("memory://")) return {};
  return { loadDataDir: await openAsBlob(env.PGLITE_SNAPSHOT) };
}

/**
 * ENC-1: on first use, every key-encryption key a data key references must be configured (lib/crypto/key-check.ts):
 * a missing or wrong key refuses the open, naming the key id, so no request is served with undecryptable data.
 * A database that does not answer yet is not a key problem: the check then runs again on the next open.
 */
async function refuseMissingKeys(engine: Engine, close: () => Promise<unknown>): Promise<void> {
  try {
    await engine.transaction((tx) => checkKeysIn(tx), SERVICE_PREAMBLES.key_rotation);
  } catch (error) {
    if (error instanceof Error && error.name === "MissingKeyError") {
      await close().catch(() => {});
      logger.fatal({ err: error }, "encryption keys: refusing to serve");
      throw error;
    }
    if (error instanceof DatabaseUnavailableError) throw error;
    // Anything else (e.g. a schema not migrated yet on PostgreSQL) is left to the requests and the readiness probe.
  }
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

type RequestRole = "authenticated" | "anon" | ServiceRole;
/** NOLOGIN roles with one narrow job each: EXECUTE on the SECURITY DEFINER functions of that job, nothing else. */
type ServiceRole = "key_log_writer" | "embedded_idp" | "key_verifier" | "job_runner" | "job_service" | "webhook_service" | "audit_maintenance" | "key_rotation";

// TEN-2: claims, role and (VAL-2) a statement time limit, all three with is_local = true: they end with the
// transaction, commit or rollback, so a pooled connection never carries one request's identity into the next.
// Sent as quoted literals in the same message as BEGIN (one round trip instead of two); pg's escapeLiteral doubles
// quotes and backslashes, and the role is one of a few constants.
function claimsPreamble(claims: string, role: RequestRole): readonly string[] {
  return Object.freeze([
    `select set_config('request.jwt.claims', ${escapeLiteral(claims)}, true) as claims, set_config('role', '${role}', true) as role, set_config('statement_timeout', '10s', true) as statement_timeout`,
  ]);
}

/** The statements a request transaction as `anon` starts with (withAnonymous). */
export const ANONYMOUS_PREAMBLE = claimsPreamble("", "anon");
const SERVICE_PREAMBLES: Record<ServiceRole, readonly string[]> = {
  key_log_writer: claimsPreamble("", "key_log_writer"),
  embedded_idp: claimsPreamble("", "embedded_idp"),
  key_verifier: claimsPreamble("", "key_verifier"),
  job_runner: claimsPreamble("", "job_runner"),
  job_service: claimsPreamble("", "job_service"),
  webhook_service: claimsPreamble("", "webhook_service"),
  audit_maintenance: claimsPreamble("", "audit_maintenance"),
  key_rotation: claimsPreamble("", "key_rotation"),
};
// Claims with a bound check are frozen (bindTenantCheck): their preamble is built once per claims object, e.g. once
// per cached API key (lib/api-keys/verify.ts), not once per request.
const checkedPreambles = new WeakMap<object, readonly string[]>();

/**
 * The statements withTenant runs first, in BEGIN's round trip: the claims and role `authenticated` (with the
 * statement time limit), then the claims' bound check, if any. Claims that the policies treat as an API-key
 * principal (a `key` member: private.scoped_project_id, key_may_write, is_api_key) are refused unless a check is
 * bound to them: fail closed, here, because every tenant transaction passes through this function.
 */
export function tenantPreamble(claims: TenantClaims): readonly string[] {
  const cached = checkedPreambles.get(claims);
  if (cached) return cached;
  const check = tenantCheckOf(claims);
  if (check === undefined) {
    if ((claims as { key?: unknown }).key !== undefined) {
      throw new Error("Key-principal claims without a bound check of the presented key's hash: refusing to run the transaction.");
    }
    return claimsPreamble(JSON.stringify(claims), "authenticated");
  }
  const preamble = Object.freeze([...claimsPreamble(JSON.stringify(claims), "authenticated"), check]);
  checkedPreambles.set(claims, preamble);
  return preamble;
}

/**
 * TEN-2: fn runs in one transaction as `authenticated` with the verified claims; RLS sees exactly these.
 * A check bound to the claims (bindTenantCheck; KEY-2: private.assert_api_key_current for an API key) runs in the
 * same round trip; if it refuses, the transaction fails with its error and none of fn's statements runs.
 * `singleStatement` (reads of one statement): READ ONLY, and the whole transaction is one round trip (lib/db/engine).
 */
export function withTenant<T>(claims: TenantClaims, fn: (tx: Queryable, info: TenantInfo) => Promise<T>, options?: TransactionOptions): Promise<T> {
  // OPS-4: an org's first tenant transaction in this process records its security flag states first (once per org
  // across instances; lib/flags/record.ts). If that fails, so does this transaction (fail closed).
  const orgId = claimsOrgId(claims);
  if (orgId !== null && !flagStatesRecorded(orgId, FLAG_SIGNATURE)) {
    return import("@/lib/flags/record").then(({ recordSecurityFlagStates }) => recordSecurityFlagStates(claims, orgId, env.flags)).then(() => withTenantTransaction(claims, fn, options));
  }
  return withTenantTransaction(claims, fn, options);
}

const FLAG_SIGNATURE = securityFlagSignature(env.flags);

function claimsOrgId(claims: TenantClaims): string | null {
  const c = claims as { o?: { id?: unknown }; org_id?: unknown };
  const id = c.o?.id ?? c.org_id;
  return typeof id === "string" && id !== "" ? id : null;
}

/** withTenant without the OPS-4 flag-state step: for lib/flags/record.ts, which is that step. */
export function withTenantTransaction<T>(claims: TenantClaims, fn: (tx: Queryable, info: TenantInfo) => Promise<T>, options?: TransactionOptions): Promise<T> {
  let preamble: readonly string[];
  try {
    preamble = tenantPreamble(claims);
  } catch (error) {
    return Promise.reject(error);
  }
  const checked = preamble.length > 1;
  const confirmation = (r: Record<string, unknown>[]): TenantConfirmation => ({ check: checked ? (r[0] ?? {}) : null });
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
  /** The first row of the claims' bound check (for an API key: which secret was presented); null without one. */
  check: Record<string, unknown> | null;
}

export interface TenantInfo {
  /**
   * Settles when the database has accepted the claims (and their bound check). fn is called before that, so that
   * its first statement travels with them; none of its statements answers before it.
   */
  readonly confirmed: Promise<TenantConfirmation>;
  /** The same, as a callback (one promise fewer than `confirmed.then`): called only if the database confirmed. */
  whenConfirmed(callback: (confirmation: TenantConfirmation) => void): void;
}

/** Before anyone is signed in (e.g. CSP reports): role `anon`, no claims. */
export function withAnonymous<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return withRuntime((runtime) => runtime.transaction(fn, ANONYMOUS_PREAMBLE));
}

/**
 * KEY-2: the batched API-key verification log only (lib/api-keys/usage-log.ts): role `key_log_writer`, no claims,
 * whose one privilege is executing private.record_key_uses.
 */
export function withKeyLogWriter<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return withRuntime((runtime) => runtime.transaction(fn, SERVICE_PREAMBLES.key_log_writer));
}

/**
 * IDN-2: the embedded identity provider's own statements (credentials by email, a user's organisations, a new
 * session): role `embedded_idp`, no claims, whose one privilege is executing those idp functions. `anon` cannot.
 */
export function withEmbeddedIdp<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return withRuntime((runtime) => runtime.transaction(fn, SERVICE_PREAMBLES.embedded_idp));
}

/** KEY-5: the lookup of a presented API key by its hash (private.verify_api_key): role `key_verifier`, no claims. */
export function withKeyVerifier<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return withRuntime((runtime) => runtime.transaction(fn, SERVICE_PREAMBLES.key_verifier));
}

/**
 * The job queue's mechanics (lib/jobs): role `job_runner`, no claims, whose one privilege is executing the queue's
 * functions (claim, heartbeat, complete, fail, release, statistics). It reads no table.
 */
export function withJobRunner<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return withRuntime((runtime) => runtime.transaction(fn, SERVICE_PREAMBLES.job_runner));
}

/**
 * WH-2: the webhook receiver kernel (lib/webhooks): role `webhook_service`, no claims. It claims an event row and
 * enters the one org our records link the event to through SECURITY DEFINER functions (private.webhook_enter_org),
 * so the effect runs under RLS scoped to that org; the effect and the processed mark commit together.
 */
export function withWebhookService<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return withRuntime((runtime) => runtime.transaction(fn, SERVICE_PREAMBLES.webhook_service));
}

/**
 * AUD-4: audit retention (lib/audit/retention.ts): role `audit_maintenance`, no claims. It sees and deletes only audit
 * entries past their org's retention and not under legal hold, and writes the checkpoint of the cut.
 */
export function withAuditMaintenance<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return withRuntime((runtime) => runtime.transaction(fn, SERVICE_PREAMBLES.audit_maintenance));
}

/**
 * ENC-2: key rotation and the encryption checks (lib/crypto): role `key_rotation`, no claims. It reads and rewrites
 * wrapped data keys and ciphertexts of every org (no other table), and deletes nothing.
 */
export function withKeyRotation<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return withRuntime((runtime) => runtime.transaction(fn, SERVICE_PREAMBLES.key_rotation));
}

/** A claimed job, as its handler's principal is built from it (lib/jobs). */
export interface JobLease {
  jobId: string;
  kind: string;
  orgId: string;
  leaseToken: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * TEN-1 / TEN-2 for jobs: a job's handler runs as role `job_service` with the service claims of the job's org,
 * `{ sub: "service:jobs", o: { id, rol: "service" }, job: { id, kind } }`, never as the owner and never as
 * `authenticated` (so no request policy, admin or member, applies to it). In the same round trip the database checks
 * that a live lease on that very job of that org and kind backs the claims (private.assert_job_lease); a lease that
 * expired or was taken over fails the transaction before any of fn's statements runs.
 */
export function withJobPrincipal<T>(lease: JobLease, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  if (!UUID.test(lease.jobId) || !UUID.test(lease.leaseToken)) return Promise.reject(new Error("withJobPrincipal: malformed job lease"));
  const claims = JSON.stringify({ sub: "service:jobs", o: { id: lease.orgId, rol: "service" }, job: { id: lease.jobId, kind: lease.kind } });
  const preamble = [...claimsPreamble(claims, "job_service"), `select private.assert_job_lease('${lease.jobId}', '${lease.leaseToken}') as lease`];
  return withRuntime((runtime) => runtime.transaction(fn, preamble));
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

export interface RuntimeSession {
  /** The login the runtime connection authenticated as, and whether it is a superuser (TEN-1). */
  sessionUser: string;
  sessionUserIsSuperuser: boolean;
  /** Who statements run as between transactions, and the claims then in force (none: TEN-2). */
  currentUser: string;
  claims: string | null;
  /** VAL-2's limit is the transaction's: between transactions the server's own setting applies. */
  statementTimeout: string;
  backendPid: number;
}

/**
 * A runtime connection outside any request transaction (health status, tests): on PostgreSQL `app_runtime`, no
 * superuser, no claims. On PGlite the session user is always its superuser (PGlite cannot log in as another role),
 * so SQL that runs arbitrary statements could leave the request role: that is reported, not hidden.
 */
export async function runtimeSession(): Promise<RuntimeSession> {
  const { runtime } = await handles();
  const [row] = await runtime.query<{ session_user: string; superuser: boolean; current_user: string; claims: string | null; statement_timeout: string; pid: number }>(
    `select session_user::text as session_user,
            coalesce((select r.rolsuper from pg_catalog.pg_roles r where r.rolname = session_user), false) as superuser,
            current_user::text as current_user,
            nullif(current_setting('request.jwt.claims', true), '') as claims,
            current_setting('statement_timeout') as statement_timeout,
            pg_catalog.pg_backend_pid() as pid`,
  );
  return {
    sessionUser: row!.session_user,
    sessionUserIsSuperuser: row!.superuser,
    currentUser: row!.current_user,
    claims: row!.claims,
    statementTimeout: row!.statement_timeout,
    backendPid: row!.pid,
  };
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
