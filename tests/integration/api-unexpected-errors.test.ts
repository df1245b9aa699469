import { afterAll, describe, expect, it } from "vitest";
import { closeDb } from "@/lib/db";
import { withApiKey } from "@/lib/api/handler";
import { orgWithMembers } from "../helpers/tenants";
import { newKey } from "../helpers/api";

/**
 * VAL-3: a handler that fails unexpectedly answers a generic 500 problem with a request id, and nothing internal
 * (the error's message, stack, SQL, file paths, driver details) reaches the client. The routes below are built
 * with the real partner-API wrapper; their work fails the way a bug or a broken query would.
 */

afterAll(closeDb);

const SECRET_MESSAGE = "select api_secret from internal.credentials where org_id = 'org_x' failed at /srv/app/lib/internal/credentials.ts:42";

function fault(): Error {
  const error = new Error(SECRET_MESSAGE);
  error.stack = `Error: ${SECRET_MESSAGE}\n    at loadCredentials (/srv/app/lib/internal/credentials.ts:42:11)\n    at async handler (/srv/app/node_modules/next/dist/server.js:7:3)`;
  return error;
}

const failingRoutes = {
  "a thrown Error carrying SQL, a stack and a path (read route)": withApiKey(
    async () => {
      throw fault();
    },
    { permission: "read" },
  ),
  "a thrown Error carrying SQL, a stack and a path (write route)": withApiKey(
    async () => {
      throw fault();
    },
    { permission: "write" },
  ),
  "a real database error (a query on a table that does not exist)": withApiKey(
    async ({ tx }) => {
      await tx.query("select api_secret from public.no_such_credentials where org_id = $1", ["org_x"]);
      return { status: 200, body: {} };
    },
    { permission: "read" },
  ),
  "a real database error in a write transaction (division by zero)": withApiKey(
    async ({ tx }) => {
      await tx.query("select 1 / (select count(*) from public.projects where false)");
      return { status: 200, body: {} };
    },
    { permission: "write" },
  ),
  "a non-Error value thrown": withApiKey(
    async () => {
      throw { sql: "select * from public.api_keys", path: "/srv/app/lib/x.ts" };
    },
    { permission: "read" },
  ),
};

const INTERNALS = [/no_such_credentials|api_secret|internal\.credentials/, /\/srv\/app|node_modules|\.ts:\d+|\.js:\d+/, /\bat\s+\S+\s+\(/, /\bselect\b|\bfrom\b|division|relation|SQLSTATE|42P01|22012/i, /\bstack\b|Error:/];

describe("unexpected errors answer a generic problem and leak nothing (VAL-3)", () => {
  for (const [what, route] of Object.entries(failingRoutes)) {
    it(`${what}: 500 problem+json with a request id, no message, stack, SQL or path`, async () => {
      const a = await orgWithMembers("Acme");
      const key = await newKey(a.admin);
      const res = await route(
        new Request("http://localhost:3000/api/v1/failing", {
          method: "POST",
          headers: { authorization: `Bearer ${key.plaintext}`, "x-forwarded-for": "203.0.113.10", "x-request-id": "req-unexpected-0001" },
        }),
        { params: Promise.resolve({}) },
      );
      expect(res.status).toBe(500);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.headers.get("x-request-id")).toBe("req-unexpected-0001");
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({
        type: "https://tenantguard.dev/problems/internal",
        title: "Internal error",
        status: 500,
        code: "internal",
        detail: "Something went wrong. Nothing was changed.",
        requestId: "req-unexpected-0001",
      });
      for (const pattern of INTERNALS) expect(text).not.toMatch(pattern);
    });
  }
});
