import { describe, expect, it } from "vitest";
import { DatabaseUnavailableError, isConnectionError } from "@/lib/db/engine";

/**
 * One classifier decides whether a database error means "unavailable" (503 + Retry-After, try again) or "this
 * statement is wrong" (a 4xx or 500 decided by the caller). Table-driven over SQLSTATEs and error shapes.
 */
const withCode = (code: string, message = "x") => Object.assign(new Error(message), { code });

const unavailable: [string, unknown][] = [
  // Class 08: connection exception.
  ["08000 connection_exception", withCode("08000")],
  ["08003 connection_does_not_exist", withCode("08003")],
  ["08006 connection_failure", withCode("08006")],
  ["08001 sqlclient_unable_to_establish_sqlconnection", withCode("08001")],
  ["08004 sqlserver_rejected_establishment_of_sqlconnection", withCode("08004")],
  ["08P01 protocol_violation", withCode("08P01")],
  // Class 3D: the database does not exist (not created yet, dropped, a typo in DATABASE_URL).
  ["3D000 invalid_catalog_name", withCode("3D000", 'database "nope" does not exist')],
  // Class 53: insufficient resources.
  ["53000 insufficient_resources", withCode("53000")],
  ["53100 disk_full", withCode("53100")],
  ["53200 out_of_memory", withCode("53200")],
  ["53300 too_many_connections", withCode("53300", "sorry, too many clients already")],
  ["53400 configuration_limit_exceeded", withCode("53400")],
  // Class 57P: operator intervention.
  ["57P01 admin_shutdown", withCode("57P01")],
  ["57P02 crash_shutdown", withCode("57P02")],
  ["57P03 cannot_connect_now", withCode("57P03", "the database system is starting up")],
  ["57P04 database_dropped", withCode("57P04")],
  ["57P05 idle_session_timeout", withCode("57P05")],
  // Node sockets and DNS.
  ["ECONNREFUSED", withCode("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:9")],
  ["ECONNRESET", withCode("ECONNRESET", "read ECONNRESET")],
  ["ETIMEDOUT", withCode("ETIMEDOUT")],
  ["ENOTFOUND", withCode("ENOTFOUND", "getaddrinfo ENOTFOUND db.internal")],
  ["EAI_AGAIN", withCode("EAI_AGAIN", "getaddrinfo EAI_AGAIN db.internal")],
  ["EHOSTUNREACH", withCode("EHOSTUNREACH")],
  ["ENETUNREACH", withCode("ENETUNREACH")],
  ["EPIPE", withCode("EPIPE")],
  // pg and its pool, without a code.
  ["Connection terminated unexpectedly", new Error("Connection terminated unexpectedly")],
  ["Connection terminated due to connection timeout", new Error("Connection terminated due to connection timeout")],
  ["pool checkout timeout", new Error("timeout exceeded when trying to connect")],
  ["a client broken by an earlier error", new Error("Client has encountered a connection error and is not queryable")],
  ["a pool already ended", new Error("Cannot use a pool after calling end on the pool")],
  ["a closed PGlite", new Error("PGlite is closed")],
  // Wrapped: Node reports a refused connection to every address of a name as an AggregateError.
  ["AggregateError of ECONNREFUSED", new AggregateError([withCode("ECONNREFUSED"), withCode("ECONNREFUSED")], "")],
  ["a cause chain", new Error("outer", { cause: new Error("middle", { cause: withCode("57P01") }) })],
  ["DatabaseUnavailableError itself", new DatabaseUnavailableError(withCode("ECONNREFUSED"))],
];

const notUnavailable: [string, unknown][] = [
  ["42501 insufficient_privilege (RLS, grants)", withCode("42501")],
  ["28000 a key check that refused", withCode("28000")],
  ["28P01 invalid_password (a refused login is handled where connections are opened)", withCode("28P01")],
  ["57014 query_canceled (statement_timeout, VAL-2)", withCode("57014")],
  ["23505 unique_violation", withCode("23505")],
  ["22P02 invalid_text_representation", withCode("22P02")],
  ["25P02 in_failed_sql_transaction", withCode("25P02")],
  ["25006 read_only_sql_transaction", withCode("25006")],
  ["0A000 feature_not_supported", withCode("0A000")],
  ["3F000 invalid_schema_name (class 3F, not 3D)", withCode("3F000")],
  ["a 5-character code that only starts like a class", withCode("080")],
  ["an application error", new Error("Project not found")],
  ["a string", "ECONNREFUSED"],
  ["null", null],
  ["undefined", undefined],
  ["a number code", Object.assign(new Error("x"), { code: 8000 })],
  ["a cause chain of ordinary errors", new Error("outer", { cause: withCode("23505") })],
];

describe("isConnectionError: the one classifier of database outages", () => {
  it.each(unavailable)("%s means unavailable", (_, error) => {
    expect(isConnectionError(error)).toBe(true);
  });

  it.each(notUnavailable)("%s does not", (_, error) => {
    expect(isConnectionError(error)).toBe(false);
  });

  it("does not loop on a cause cycle", () => {
    const a = new Error("a") as Error & { cause?: unknown };
    const b = new Error("b", { cause: a });
    a.cause = b;
    expect(isConnectionError(a)).toBe(false);
  });
});
