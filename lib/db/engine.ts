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
   * Runs fn in one transaction; commits when it resolves, rolls back when it throws. `preamble` (statements, one
   * per element, without parameters: values already quoted as literals) runs first, sent with BEGIN in one message.
   * fn is called at once and receives the rows of the preamble's last statement as a promise: on PostgreSQL its
   * first statement is pipelined behind BEGIN and the preamble, so a request's transaction costs one round trip
   * less. No statement of fn ever runs, or answers, unless the preamble succeeded: PostgreSQL runs them in order,
   * a failed preamble aborts the transaction (every statement behind it fails), `tx.query` settles only after the
   * preamble has, and the transaction then fails with the preamble's own error.
   */
  transaction<T>(fn: (tx: Queryable, preambleRows: Promise<Record<string, unknown>[]>) => Promise<T>, preamble?: readonly string[], options?: TransactionOptions): Promise<T>;
  /** One statement outside an explicit transaction (migrations, health checks). */
  query<T extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements in one string, no parameters (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
  /** PGlite only: its data directory as an uncompressed tarball, for PgliteOptions.loadDataDir (the tests' template). */
  dumpDataDir?(): Promise<Blob>;
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

/**
 * A transaction whose function resolved although one of its statements had failed (the caller caught the error and
 * went on): nothing it wrote was committed. PGlite raises this itself (SQLSTATE 25P02); PostgreSQL answers such a
 * COMMIT with ROLLBACK and no error, so the engine raises it there, and the caller is never told its writes landed.
 */
export class TransactionRolledBackError extends Error {
  readonly code = "25P02";
  constructor() {
    super("Transaction was rolled back instead of committed");
    this.name = "TransactionRolledBackError";
  }
}

/** The database could not be reached: requests answer 503 and nothing is half-written. */
export class DatabaseUnavailableError extends Error {
  constructor(cause?: unknown) {
    super("The database is unavailable.", { cause });
    this.name = "DatabaseUnavailableError";
  }
}

// The one place that decides whether an error means "the database cannot serve right now" (503, retry later) rather
// than "this statement is wrong". SQLSTATE classes: 08 connection exception, 3D invalid catalog name (the database
// does not exist, e.g. not created yet or dropped), 53 insufficient resources (too many connections, disk full, out
// of memory), 57P operator intervention (shutdown, crash, starting up, database dropped). Not the rest of class 57:
// 57014 is a cancelled statement (VAL-2's time limit), a property of the request, not of the database.
const UNAVAILABLE_SQLSTATE = /^(08|3D|53|57P)[0-9A-Z]{2,3}$/;
// Node socket and DNS errors: nothing listens, the connection was cut, the name does not resolve (yet).
const UNAVAILABLE_SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ECONNABORTED", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "EPIPE"]);
// What pg and its pool say without a code: the server closed the socket, a checkout waited past
// connectionTimeoutMillis, a client already broken by an earlier error.
const UNAVAILABLE_MESSAGE = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is closed|Cannot use a pool after calling end|PGlite is closed/i;

/**
 * True when `error` (or what it wraps: `cause`, an AggregateError's `errors`, as Node reports a connection refused
 * on every address of a name) says the database is unreachable or cannot serve now. DatabaseUnavailableError
 * itself counts, so wrapping twice changes nothing.
 */
export function isConnectionError(error: unknown): boolean {
  return isUnavailable(error, 0);
}

function isUnavailable(error: unknown, depth: number): boolean {
  if (!error || typeof error !== "object" || depth > 4) return false;
  if (error instanceof DatabaseUnavailableError) return true;
  const { code, message, cause, errors } = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === "string" && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_SOCKET_CODES.has(code))) return true;
  if (typeof message === "string" && UNAVAILABLE_MESSAGE.test(message)) return true;
  if (Array.isArray(errors) && errors.some((e) => isUnavailable(e, depth + 1))) return true;
  return isUnavailable(cause, depth + 1);
}

/** An error as the caller should see it: DatabaseUnavailableError when it means the database cannot serve. */
export function asUnavailable(error: unknown): unknown {
  return !(error instanceof DatabaseUnavailableError) && isConnectionError(error) ? new DatabaseUnavailableError(error) : error;
}

/** 42501: a grant or a row-level security policy refused the statement. */
export function isPermissionDenied(error: unknown): boolean {
  return Boolean(error && typeof error === "object" && (error as { code?: unknown }).code === "42501");
}

const INT8_OID = 20;

export interface PgliteOptions {
  /**
   * A data directory dumped by PGlite's dumpDataDir (an uncompressed tarball) to start from instead of running initdb:
   * the test suite's migrated template (tests/helpers/global-setup.ts). Only for a new, empty data directory.
   */
  loadDataDir?: Blob;
}

export async function openPglite(dataDir?: string, options: PgliteOptions = {}): Promise<Engine> {
  // A fresh checkout has no .data/ yet: create the folder (PGlite itself creates only the last level).
  let db: PGlite;
  try {
    // A data directory that cannot be created or read (a file in the way, no permission, a full disk).
    if (dataDir && !dataDir.includes("://")) await mkdir(path.resolve(/* turbopackIgnore: true */ dataDir), { recursive: true });
    db = await PGlite.create({
      ...(dataDir ? { dataDir } : {}),
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
      parsers: { [INT8_OID]: Number },
    });
  } catch (error) {
    throw new DatabaseUnavailableError(error);
  }
  const unavailable = (error: unknown) => Promise.reject(asUnavailable(error));
  return {
    kind: "pglite",
    // PGlite is one session and runs transactions exclusively, so requests never see each other's SET LOCAL.
    transaction: (fn, preamble, options) =>
      db.transaction(async (tx) => {
        const single = options?.singleStatement === true;
        if (single) await tx.exec("set transaction read only");
        const results = preamble?.length ? await tx.exec(preamble.join(";\n")) : [];
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
      }).catch(unavailable),
    query: (sql, params) => db.query(sql, params).then((r) => r.rows as never, unavailable),
    exec: (sql) => db.exec(sql).then(() => undefined, unavailable),
    close: () => db.close(),
    dumpDataDir: () => db.dumpDataDir("none"),
  };
}

/**
 * The socket under a pg client, to send several messages in one write (pg has no public handle for this): pg's
 * Connection keeps it as `connection.stream`. Without it (another pg version), the messages still go out in order,
 * only as several writes; tests/unit/pg-driver-internals.test.ts fails if the installed pg no longer has it.
 */
export function socketOf(client: pg.ClientBase): { cork(): void; uncork(): void } | null {
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

type Rows = Record<string, unknown>[];

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

  // The name a statement runs under on this engine, or undefined (unnamed) when prepared statements are off.
  const nameOf = (text: string): string | undefined => (settings.preparedStatements ? statementName(text) : undefined);
  // A prepared statement the connection can no longer use (0A000, 26000): the connection is discarded; on 26000
  // (a transaction-mode pooler) this engine also stops naming statements.
  const losesPreparedStatement = (error: unknown): boolean => {
    if (isMissingPreparedStatement(error)) settings.preparedStatements = false;
    return isStalePreparedStatement(error) || isMissingPreparedStatement(error);
  };

  // Whatever stops a checkout (refused, reset, timed out, a database that does not exist, too many connections, the
  // server starting up or shutting down, a login refused) means the request cannot be served now: 503, never 500.
  const connect = async () => {
    try {
      return await pool.connect();
    } catch (error) {
      throw error instanceof DatabaseUnavailableError ? error : new DatabaseUnavailableError(error);
    }
  };

  return {
    kind: "postgres",
    async transaction(fn, preamble = [], options) {
      const client = await connect();
      const single = options?.singleStatement === true;
      let broken: unknown;
      const socket = socketOf(client);
      // The head: BEGIN and the preamble (claims, role, key check), one simple-protocol message. fn's first statement
      // (a prepared statement: Bind and Execute once the connection has parsed it) and, for a single-statement read,
      // COMMIT are written behind it in the same write (the socket is corked until this tick's work is done), and
      // PostgreSQL runs them in order. If the preamble fails, the transaction is aborted, so whatever was pipelined
      // behind it fails with 25P02 without running; tx.query settles only after the preamble, so fn sees the
      // preamble's error, never a row; and the transaction fails with the preamble's error below.
      const head = [single ? "begin read only" : "begin", ...preamble];
      let preambleSucceeded = false;
      let resolveHead!: (rows: Rows) => void;
      let rejectHead!: (error: unknown) => void;
      const started = new Promise<Rows>((resolve, reject) => {
        resolveHead = (rows) => {
          preambleSucceeded = true;
          resolve(rows);
        };
        rejectHead = reject;
      });
      started.catch(() => {}); // observed below; never an unhandled rejection
      socket?.cork();
      client.query(head.join("; ")).then((r: pg.QueryResult | pg.QueryResult[]) => resolveHead(Array.isArray(r) ? (r.at(-1)?.rows ?? []) : []), rejectHead);
      process.nextTick(() => socket?.uncork());
      // A statement's outcome is handed to fn only once the preamble has succeeded; if the preamble failed, fn gets
      // the preamble's error instead (its statement failed only because of it). Few promises: see ratelimit/limiter.
      const afterPreamble = <R>(pending: Promise<R>): Promise<R> =>
        pending.then(
          (value) => (preambleSucceeded ? value : started.then(() => value)),
          (error: unknown) => started.then(() => Promise.reject(error instanceof Error ? error : new Error(String(error)))),
        );
      const statement = (text: string, values?: unknown[]): Promise<pg.QueryResult> => {
        const name = nameOf(text);
        return name === undefined ? client.query({ text, values }) : client.query({ name, text, values });
      };
      // singleStatement: COMMIT goes out with fn's one statement. PostgreSQL ends the transaction either way: it
      // commits, or, when the preamble or the statement failed, answers COMMIT with a rollback.
      let ended: Promise<unknown> | undefined;
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
        const end = (await (ended ?? client.query("commit"))) as pg.QueryResult | undefined;
        if (end?.command === "ROLLBACK") throw new TransactionRolledBackError();
        return result;
      } catch (thrown) {
        // A failed preamble is the cause of whatever fn saw (e.g. 25P02 on a statement pipelined behind it).
        const error = await started.then(() => thrown, (preambleError: unknown) => preambleError);
        broken = isConnectionError(error) || losesPreparedStatement(error) ? error : undefined;
        // A COMMIT already sent has ended the transaction (a read-only one: nothing to undo); else roll back.
        await (ended ?? client.query("rollback")).catch((endError: unknown) => {
          if (!ended || isConnectionError(endError)) broken = endError;
        });
        throw broken ? (error instanceof DatabaseUnavailableError ? error : new DatabaseUnavailableError(error)) : error;
      } finally {
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
    async query(sql, params) {
      const client = await connect();
      let broken: Error | undefined;
      try {
        return (await client.query({ name: nameOf(sql), text: sql, values: params })).rows;
      } catch (error) {
        if (!losesPreparedStatement(error) && !isConnectionError(error)) throw error;
        broken = error as Error;
        throw new DatabaseUnavailableError(error);
      } finally {
        client.release(broken);
      }
    },
    async exec(sql) {
      const client = await connect();
      let broken: Error | undefined;
      try {
        await client.query(sql);
      } catch (error) {
        if (!isConnectionError(error)) throw error;
        broken = error as Error;
        throw new DatabaseUnavailableError(error);
      } finally {
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
