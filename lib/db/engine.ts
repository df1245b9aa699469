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
   * without parameters, values already quoted as literals) runs first, sent together with BEGIN in one round trip;
   * fn receives the rows of its last statement.
   */
  transaction<T>(fn: (tx: Queryable, preambleRows: Record<string, unknown>[]) => Promise<T>, preamble?: string): Promise<T>;
  /** One statement outside an explicit transaction (migrations, health checks). */
  query<T extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements in one string, no parameters (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
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
    transaction: (fn, preamble) =>
      db.transaction(async (tx) => {
        const results = preamble ? await tx.exec(preamble) : [];
        return fn({
          query: async (sql, params) => (await tx.query(sql, params)).rows as never,
          exec: async (sql) => {
            await tx.exec(sql);
          },
        }, (results.at(-1)?.rows ?? []) as Record<string, unknown>[]);
      }),
    query: async (sql, params) => (await db.query(sql, params)).rows as never,
    exec: async (sql) => {
      await db.exec(sql);
    },
    close: () => db.close(),
  };
}

export function openPostgres(connectionString: string, max: number): Engine {
  pg.types.setTypeParser(INT8_OID, Number);
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 });
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
    async transaction(fn, preamble) {
      const client = await connect();
      let broken: unknown;
      try {
        // One simple-protocol message: BEGIN and the preamble (claims, role, key check) cost one round trip.
        const started: pg.QueryResult | pg.QueryResult[] = await client.query(preamble ? `begin; ${preamble}` : "begin");
        const preambleRows = Array.isArray(started) ? (started.at(-1)?.rows ?? []) : [];
        const result = await fn({
          query: async (sql, params) => (await client.query(sql, params)).rows,
          exec: async (sql) => {
            await client.query(sql);
          },
        }, preambleRows);
        await client.query("commit");
        return result;
      } catch (error) {
        broken = isConnectionError(error) ? error : undefined;
        await client.query("rollback").catch((rollbackError: unknown) => {
          broken = rollbackError;
        });
        throw broken ? new DatabaseUnavailableError(error) : error;
      } finally {
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
    async query(sql, params) {
      const client = await connect();
      try {
        return (await client.query(sql, params)).rows;
      } finally {
        client.release();
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
