import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { ANONYMOUS_PREAMBLE, bindTenantCheck, tenantPreamble, type TenantClaims } from "@/lib/db";

/**
 * TEN-2 / KEY-2: what every tenant transaction sends first (lib/db tenantPreamble): the claims, role and time limit
 * for the transaction only, then the check bound to the claims. lib/db knows no identity provider: the caller binds
 * the check; claims the policies treat as a key principal without one are refused.
 */
const claims = (extra: object = {}) => ({ sub: "user_a", o: { id: "org_a", rol: "admin" }, ...extra }) as unknown as TenantClaims;

describe("tenantPreamble", () => {
  it("sets claims, role and time limit with is_local = true, the claims as one quoted literal", () => {
    const c = claims({ name: "it's \\ a 'test'" });
    const [statement, ...rest] = tenantPreamble(c);
    expect(rest).toEqual([]);
    // pg's escapeLiteral: quotes doubled, and an E'' literal with doubled backslashes when there are any.
    expect(statement).toBe(
      `select set_config('request.jwt.claims', ${pg.escapeLiteral(JSON.stringify(c))}, true) as claims, set_config('role', 'authenticated', true) as role, set_config('statement_timeout', '10s', true) as statement_timeout`,
    );
    expect(statement).toContain(String.raw`E'{"sub":"user_a","o":{"id":"org_a","rol":"admin"},"name":"it''s \\\\ a ''test''"}'`);
    expect(ANONYMOUS_PREAMBLE).toEqual([
      "select set_config('request.jwt.claims', '', true) as claims, set_config('role', 'anon', true) as role, set_config('statement_timeout', '10s', true) as statement_timeout",
    ]);
  });

  it("appends the bound check, built once per claims object (the same frozen array every time)", () => {
    const c = bindTenantCheck(claims({ key: { id: "k" } }), "select private.check_me() as secret");
    const first = tenantPreamble(c);
    expect(first.at(-1)).toBe("select private.check_me() as secret");
    expect(first).toHaveLength(2);
    expect(tenantPreamble(c)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it("refuses claims naming a key principal without a bound check (fail closed)", () => {
    expect(() => tenantPreamble(claims({ key: { id: "k", permissions: ["read"] } }))).toThrow(/without a bound check/);
    expect(() => tenantPreamble(claims({ key: null }))).toThrow(/without a bound check/);
  });
});

describe("bindTenantCheck", () => {
  it("freezes the claims, deeply, so the preamble built for them cannot drift from them", () => {
    const c = bindTenantCheck(claims({ key: { id: "k", permissions: ["read"] } }), "select 1");
    const raw = c as unknown as { key: { permissions: string[] } };
    expect(Object.isFrozen(c) && Object.isFrozen(raw.key) && Object.isFrozen(raw.key.permissions)).toBe(true);
    expect(() => raw.key.permissions.push("write")).toThrow();
  });

  it("refuses a second, different check for the same claims (the same one again is fine)", () => {
    const c = bindTenantCheck(claims(), "select 1");
    expect(bindTenantCheck(c, "select 1")).toBe(c);
    expect(() => bindTenantCheck(c, "select 2")).toThrow(/another check/);
  });
});

describe("lib/db knows no identity", () => {
  it("imports nothing from lib/auth or lib/api-keys: callers bind what their claims need checked", () => {
    const dir = path.join(process.cwd(), "lib", "db");
    const offending = readdirSync(dir)
      .filter((file) => file.endsWith(".ts"))
      .flatMap((file) =>
        [...readFileSync(path.join(dir, file), "utf8").matchAll(/(?:from|import\()\s*["']([^"']+)["']/g)]
          .map((m) => m[1]!)
          .filter((target) => /^@\/lib\/(auth|api-keys)(\/|$)|^\.\.\/(auth|api-keys)(\/|$)/.test(target))
          .map((target) => `${file}: ${target}`),
      );
    expect(offending).toEqual([]);
  });
});
