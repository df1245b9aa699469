import "server-only";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";

/** What a transaction (or a single connection) can do: run a parameterised statement and get rows back. */
export interface Queryable {
  query<T extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements in one string, no parameters (migrations only). */
  exec(sql: string): Promise<void>;
}

/** A database engine: PGlite in process, or a PostgreSQL pool. Only lib/db creates these. */
export interface Engine {
  readonly kind: "pglite" | "postgres";
  /**
   * Runs fn in one transaction; commits when it resolves, rolls back when it throws. `preamble` (statements
   * without parameters, values already quoted as literals) runs first, sent together with BEGIN in one round trip.
   * fn is called at once and receives the rows of the preamble's last statement as a promise: on PostgreSQL its
   * first statement is pipelined behind BEGIN and the preamble, so a request's transaction costs one round trip
   * less. No statement of fn ever runs, or answers, unless the preamble succeeded: PostgreSQL runs them in order,
   * a failed preamble aborts the transaction (every statement behind it fails), `tx.query` settles only after the
   * preamble has, and the transaction then fails with the preamble's own error.
   */
  transaction<T>(fn: (tx: Queryable, preambleRows: Promise<Record<string, unknown>[]>) => Promise<T>, preamble?: string, options?: TransactionOptions): Promise<T>;
  /** One statement outside an explicit transaction (migrations, health checks). */
  query<T extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements in one string, no parameters (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

export interface TransactionOptions {
  /**
   * fn reads with at most one statement. The transaction is READ ONLY and its COMMIT is written behind that
   * statement, in the same write: on PostgreSQL, BEGIN, the preamble, the statement and COMMIT are one round trip.
   * A second statement is refused (SingleStatementError) on every engine, so a handler that outgrows the
   * declaration fails in tests rather than running outside the transaction; a write fails with 25006.
   */
  singleStatement?: boolean;
}

/** A transaction opened with `singleStatement` was asked for a second statement: a programming error. */
export class SingleStatementError extends Error {
  constructor() {
    super("This transaction was opened for a single statement (singleStatement); a second one was refused.");
    this.name = "SingleStatementError";
  }
}

/** The database could not be reached: requests answer 503 and nothing is half-written. */
export class DatabaseUnavailableError extends Error {
  constructor(cause?: unknown) {
    super("The database is unavailable.", { cause });
    this.name = "DatabaseUnavailableError";
  }
}

const CONNECTION_ERROR_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH", "EPIPE", "57P01", "57P02", "57P03", "53300"]);

export function isConnectionError(error: unknown): boolean {
  if (!error || typeof error !== "object") return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (CONNECTION_ERROR_CODES.has(code) || code.startsWith("08"))) return true;
  const message = (error as { message?: unknown }).message;
  return typeof message === "string" && /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/i.test(message);
}

/** 42501: a grant or a row-level security policy refused the statement. */
export function isPermissionDenied(error: unknown): boolean {
  return Boolean(error && typeof error === "object" && (error as { code?: unknown }).code === "42501");
}

const INT8_OID = 20;

export async function openPglite(dataDir?: string): Promise<Engine> {
  // A fresh checkout has no .data/ yet: create the folder (PGlite itself creates only the last level).
  if (dataDir && !dataDir.includes("://")) await mkdir(path.resolve(/* turbopackIgnore: true */ dataDir), { recursive: true });
  const db = await PGlite.create(dataDir ? { dataDir, parsers: { [INT8_OID]: Number } } : { parsers: { [INT8_OID]: Number } });
  return {
    kind: "pglite",
    // PGlite is one session and runs transactions exclusively, so requests never see each other's SET LOCAL.
    transaction: (fn, preamble, options) =>
      db.transaction(async (tx) => {
        const single = options?.singleStatement === true;
        if (single) await tx.exec("set transaction read only");
        const results = preamble ? await tx.exec(preamble) : [];
        // The same contract as PostgreSQL's single-statement transactions, so tests on the embedded engine catch
        // a handler that issues more than its one statement.
        let statements = 0;
        const next = () => {
          if (single && statements++ > 0) throw new SingleStatementError();
        };
        return fn({
          query: async (sql, params) => {
            next();
            return (await tx.query(sql, params)).rows as never;
          },
          exec: async (sql) => {
            next();
            await tx.exec(sql);
          },
        }, Promise.resolve((results.at(-1)?.rows ?? []) as Record<string, unknown>[]));
      }),
    query: async (sql, params) => (await db.query(sql, params)).rows as never,
    exec: async (sql) => {
      await db.exec(sql);
    },
    close: () => db.close(),
  };
}

/** The socket under a pg client, to send several messages in one write (pg has no public handle for this). */
function socketOf(client: pg.PoolClient): { cork(): void; uncork(): void } | null {
  const stream = (client as unknown as { connection?: { stream?: { cork?: unknown; uncork?: unknown } } }).connection?.stream;
  return stream && typeof stream.cork === "function" && typeof stream.uncork === "function" ? (stream as { cork(): void; uncork(): void }) : null;
}

// Named (server-side prepared) statements: the text of each distinct statement a transaction runs gets a name, so
// each connection parses, analyses, rewrites (row-level security policies included) and plans it once, not on every
// request. Under RLS that is most of a small query's cost in PostgreSQL (docs/benchmarks.md). Bounded: texts beyond
// the first MAX_NAMED_STATEMENTS run unnamed, so SQL built at run time cannot grow the map or the server's memory.
const MAX_NAMED_STATEMENTS = 500;
const statementNames = new Map<string, string>();

function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    name = `tg_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * 0A000 "cached plan must not change result type": a migration changed what a prepared statement returns. The
 * statement stays broken on that connection, so the connection is discarded (the request answers 503 once).
 */
function isStalePreparedStatement(error: unknown): boolean {
  return codeOf(error) === "0A000" && /cached plan/i.test(String((error as { message?: unknown }).message));
}

/**
 * 26000 "prepared statement ... does not exist": the server session is not the one that prepared it, which is what a
 * pooler in transaction mode does (Supavisor on port 6543, PgBouncer before 1.21). Named statements are then turned
 * off for this engine and the connection discarded: one request answers 503, the rest run unnamed.
 */
const isMissingPreparedStatement = (error: unknown): boolean => codeOf(error) === "26000";

const codeOf = (error: unknown): unknown => (error && typeof error === "object" ? (error as { code?: unknown }).code : undefined);

export interface PostgresOptions {
  /** Name each statement (see statementName). Off behind a pooler in transaction mode (preparedStatementsByDefault). */
  preparedStatements: boolean;
}

/**
 * Prepared statements are on unless the connection string points at a transaction-mode pooler: Supabase's transaction
 * pooler listens on port 6543, and `pgbouncer=true` is the usual marker (Prisma's). DB_PREPARED_STATEMENTS overrides.
 */
export function preparedStatementsByDefault(connectionString: string): boolean {
  try {
    const url = new URL(connectionString);
    return url.port !== "6543" && url.searchParams.get("pgbouncer") !== "true";
  } catch {
    return true;
  }
}

export function openPostgres(connectionString: string, max: number, options: Partial<PostgresOptions> = {}): Engine {
  const settings = { preparedStatements: options.preparedStatements ?? preparedStatementsByDefault(connectionString) };
  pg.types.setTypeParser(INT8_OID, Number);
  // pipeline: a client sends a statement without waiting for the answer to the one before (pg >= 8.21). A client
  // is only ever used by the one transaction that checked it out, so this only pipelines what that transaction sends.
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000, pipeline: true });
  // A client that loses its connection (idle or not) must not crash the process: its queries fail, the
  // transaction maps that to DatabaseUnavailableError, and the next checkout reconnects.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));

  const connect = async () => {
    try {
      return await pool.connect();
    } catch (error) {
      throw isConnectionError(error) ? new DatabaseUnavailableError(error) : error;
    }
  };

  return {
    kind: "postgres",
    async transaction(fn, preamble, options) {
      const client = await connect();
      const single = options?.singleStatement === true;
      let broken: unknown;
      // One simple-protocol message: BEGIN and the preamble (claims, role, key check). It is not awaited: fn's
      // first statement is written behind it in the same write (the socket is corked until this tick's work is
      // done), and PostgreSQL runs them in order. If the preamble fails, the transaction is aborted, so whatever
      // was pipelined behind it fails with 25P02 without running; tx.query settles only after the preamble, so fn
      // sees the preamble's error, never a row; and the transaction fails with the preamble's error below.
      const socket = socketOf(client);
      socket?.cork();
      let preambleSucceeded = false;
      const begin = single ? "begin read only" : "begin";
      const started = client.query(preamble ? `${begin}; ${preamble}` : begin).then((r: pg.QueryResult | pg.QueryResult[]) => {
        preambleSucceeded = true;
        return Array.isArray(r) ? (r.at(-1)?.rows ?? []) : [];
      });
      started.catch(() => {}); // observed below; never an unhandled rejection
      process.nextTick(() => socket?.uncork());
      // A statement's outcome is handed to fn only once the preamble has succeeded; if the preamble failed, fn gets
      // the preamble's error instead (its statement failed only because of it). Few promises: see ratelimit/limiter.
      const afterPreamble = <R>(pending: Promise<R>): Promise<R> =>
        pending.then(
          (value) => (preambleSucceeded ? value : started.then(() => value)),
          (error: unknown) => started.then(() => Promise.reject(error instanceof Error ? error : new Error(String(error)))),
        );
      // singleStatement: COMMIT goes out in the same write as fn's one statement. PostgreSQL ends the transaction
      // either way: it commits, or, when the preamble or the statement failed, answers COMMIT with a rollback.
      let ended: Promise<unknown> | undefined;
      const statement = (text: string, values?: unknown[]): Promise<pg.QueryResult> =>
        client.query(settings.preparedStatements ? { name: statementName(text), text, values } : { text, values });
      // exec: several statements without parameters (migrations), in the simple protocol, never named.
      const send = (sql: string, params?: unknown[], exec = false): Promise<pg.QueryResult> => {
        if (!single) return afterPreamble(exec ? client.query(sql) : statement(sql, params));
        if (ended) return Promise.reject(new SingleStatementError());
        socket?.cork();
        const pending = exec ? client.query(sql) : statement(sql, params);
        ended = client.query("commit");
        ended.catch(() => {}); // observed below
        socket?.uncork();
        return afterPreamble(pending);
      };
      try {
        const result = await fn({
          query: (sql, params) => send(sql, params).then((r) => r.rows),
          exec: (sql) => send(sql, undefined, true).then(() => undefined),
        }, started);
        await started;
        await (ended ?? client.query("commit"));
        return result;
      } catch (thrown) {
        // A failed preamble is the cause of whatever fn saw (e.g. 25P02 on a statement pipelined behind it).
        const error = await started.then(() => thrown, (preambleError: unknown) => preambleError);
        if (isMissingPreparedStatement(error)) settings.preparedStatements = false;
        broken = isConnectionError(error) || isStalePreparedStatement(error) || isMissingPreparedStatement(error) ? error : undefined;
        // A COMMIT already sent has ended the transaction (a read-only one: nothing to undo); else roll back.
        await (ended ?? client.query("rollback")).catch((endError: unknown) => {
          if (!ended || isConnectionError(endError)) broken = endError;
        });
        throw broken ? new DatabaseUnavailableError(error) : error;
      } finally {
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
    async query(sql, params) {
      const client = await connect();
      let broken: Error | undefined;
      try {
        return (await client.query(settings.preparedStatements ? { name: statementName(sql), text: sql, values: params } : { text: sql, values: params })).rows;
      } catch (error) {
        if (isMissingPreparedStatement(error)) settings.preparedStatements = false;
        if (!isStalePreparedStatement(error) && !isMissingPreparedStatement(error)) throw error;
        broken = error as Error;
        throw new DatabaseUnavailableError(error);
      } finally {
        client.release(broken);
      }
    },
    async exec(sql) {
      const client = await connect();
      try {
        await client.query(sql);
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
