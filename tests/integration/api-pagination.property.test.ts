import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb } from "@/lib/db";
import { createOrg, createUser, signIn } from "../helpers/tenants";
import { callApi, newKey } from "../helpers/api";

/**
 * Keyset pagination is exact (lib/pagination/keyset): paging with any limit returns every row exactly once, in
 * (created_at desc, id desc) order, when many rows share one created_at (inserted by one statement, so one
 * now()), when rows differ by single microseconds, and while newer rows are inserted between pages.
 */

afterAll(closeDb);

type Listing = "projects" | "documents" | "projectDocuments";

async function tenant() {
  const org = await createOrg("Pages");
  const adminId = await createUser([{ orgId: org.id, role: "admin" }]);
  const { session } = await signIn(adminId, { ...org, role: "admin" });
  const key = (await newKey(session, { permissions: "read" })).plaintext;
  const [project] = await (await ownerDb()).query<{ id: string }>(
    "insert into public.projects (org_id, name, created_by, created_at) values ($1, 'Holder', 'user_seed', now() - interval '1 day') returning id",
    [org.id],
  );
  return { orgId: org.id, key, holder: project!.id };
}

/**
 * One statement inserting `size` rows: with `spreadMicros` null they share the transaction's now(); otherwise row
 * g is `1 + spreadMicros * g` microseconds into now()'s millisecond (rows inside one millisecond; with 0, rows
 * sharing one timestamp that a millisecond cannot express, whatever the engine's clock resolution).
 */
async function insertRows(listing: Listing, t: { orgId: string; holder: string }, size: number, spreadMicros: number | null): Promise<string[]> {
  const at = `case when $3::int < 0 then now() else date_trunc('milliseconds', now()) + (1 + g * $3::int) * interval '1 microsecond' end`;
  const spread = spreadMicros ?? -1;
  const db = await ownerDb();
  const rows =
    listing === "projects"
      ? await db.query<{ id: string }>(
          `insert into public.projects (org_id, name, created_by, created_at)
           select $1, 'Row ' || g, 'user_seed', ${at} from generate_series(1, $2::int) g returning id`,
          [t.orgId, size, spread],
        )
      : await db.query<{ id: string }>(
          `insert into public.documents (org_id, project_id, name, mime_type, size_bytes, created_by, created_at)
           select $1, $4::uuid, 'doc-' || g || '.pdf', 'application/pdf', 10, 'user_seed', ${at} from generate_series(1, $2::int) g returning id`,
          [t.orgId, size, spread, t.holder],
        );
  return rows.map((r) => r.id);
}

const pathOf = (listing: Listing, holder: string) =>
  listing === "projects" ? "/api/v1/projects" : listing === "documents" ? "/api/v1/documents" : `/api/v1/projects/${holder}/documents`;

async function pageThrough(listing: Listing, t: { key: string; holder: string }, limit: number, between: (page: number) => Promise<void>) {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; ; page++) {
    const res = await callApi("get", pathOf(listing, t.holder), { key: t.key, query: `?limit=${limit}${cursor ? `&cursor=${cursor}` : ""}` });
    expect(res.status, res.text).toBe(200);
    const data = res.json!.data as { id: string }[];
    expect(data.length).toBeLessThanOrEqual(limit);
    seen.push(...data.map((r) => r.id));
    cursor = res.json!.nextCursor as string | null;
    if (!cursor) return seen;
    expect(page, "pagination does not end").toBeLessThan(500);
    await between(page);
  }
}

async function dbOrder(listing: Listing, ids: string[]) {
  const table = listing === "projects" ? "public.projects" : "public.documents";
  const rows = await (await ownerDb()).query<{ id: string }>(`select id from ${table} where id = any($1::uuid[]) order by created_at desc, id desc`, [ids]);
  return rows.map((r) => r.id);
}

describe("cursor pagination returns every row exactly once (API contract)", () => {
  it("two documents created in one transaction: ?limit=1 returns both, one per page", async () => {
    const t = await tenant();
    const ids = await insertRows("documents", t, 2, 0);
    for (const listing of ["documents", "projectDocuments"] as const) {
      const seen = await pageThrough(listing, t, 1, async () => {});
      expect(seen.sort()).toEqual([...ids].sort());
    }
  });

  for (const listing of ["projects", "documents", "projectDocuments"] as const) {
    it(`${listing}: any limit, rows sharing a timestamp or a millisecond, newer rows inserted between pages`, async () => {
      const group = fc.record({ size: fc.integer({ min: 1, max: 6 }), spreadMicros: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }) });
      await fc.assert(
        fc.asyncProperty(
          fc.array(group, { minLength: 1, maxLength: 5 }),
          fc.integer({ min: 1, max: 8 }),
          fc.array(fc.record({ afterPage: fc.nat({ max: 6 }), size: fc.integer({ min: 1, max: 3 }) }), { maxLength: 3 }),
          async (groups, limit, during) => {
            const t = await tenant();
            const existing: string[] = [];
            for (const g of groups) existing.push(...(await insertRows(listing, t, g.size, g.spreadMicros)));
            // The holder project is a row of the projects listing too.
            if (listing === "projects") existing.push(t.holder);
            const added: string[] = [];
            const seen = await pageThrough(listing, t, limit, async (page) => {
              for (const d of during.filter((x) => x.afterPage === page)) added.push(...(await insertRows(listing, t, d.size, null)));
            });
            // Every row that existed before paging began: exactly once, in the database's order; nothing twice.
            const older = seen.filter((id) => !added.includes(id));
            expect(older).toEqual(await dbOrder(listing, existing));
            expect(new Set(seen).size).toBe(seen.length);
          },
        ),
        { numRuns: 20 },
      );
    }, 240_000);
  }
});
