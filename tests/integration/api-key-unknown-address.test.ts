import { afterAll, describe, expect, it } from "vitest";
import * as projectsRoute from "@/app/api/v1/projects/route";
import { closeDb } from "@/lib/db";
import { orgWithMembers } from "../helpers/tenants";
import { callApi, newKey } from "../helpers/api";

afterAll(closeDb);

/** A partner-API request that carries no client address the deployment's source can read (here: no X-Forwarded-For). */
async function withoutAddress(key: string): Promise<number> {
  const res = await projectsRoute.GET(new Request("http://localhost:3000/api/v1/projects", { headers: { authorization: `Bearer ${key}` } }), {
    params: Promise.resolve({}),
  });
  return res.status;
}

describe("IP allow-listed keys when the client address is unknown (KEY-2)", () => {
  it("an allow-listed key is refused, on first use and once its facts are cached; a key without a list still works", async () => {
    const a = await orgWithMembers("Acme");
    const listed = await newKey(a.admin, { ipAllowlist: "0.0.0.0/0\n::/0" });
    expect(await withoutAddress(listed.plaintext)).toBe(401); // first use: looked up in the database
    expect((await callApi("get", "/api/v1/projects", { key: listed.plaintext, ip: "203.0.113.5" })).status).toBe(200);
    expect(await withoutAddress(listed.plaintext)).toBe(401); // now from the per-process cache

    const unlisted = await newKey(a.admin);
    expect(await withoutAddress(unlisted.plaintext)).toBe(200);
  });
});
