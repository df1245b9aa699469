import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { closeDb, ownerDb } from "@/lib/db";
import { LocalStorage, signDownloadToken } from "@/lib/files";
import { RATE_LIMIT_CLASSES } from "@/lib/ratelimit";
import { useDocumentServices } from "@/lib/documents/services";
import { GET as download } from "@/app/api/documents/download/route";
import { createOrg } from "../helpers/tenants";
import { awayFromWindowEdge } from "../helpers/rate-limit-window";

// RL-1 / RL-3 for FILE-3's signed downloads: the `download` class per client IP (before the token is verified) and
// `downloadOrg` per the verified token's org; 429 problem+json with Retry-After. Through the real route handler,
// with the configured limiter backend (memory, or Redis with REDIS_URL).

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "tg-download-limits-"));
  useDocumentServices({ storage: new LocalStorage(root) });
  // Opening (and on PGlite migrating) the database is start-up, not part of the counted window.
  await cleanDocument((await createOrg("DownloadWarm")).id);
  // Both tests count exactly within one fixed window (see the helper): they start with enough of it left.
  await awayFromWindowEdge(60_000, 45_000);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await closeDb();
});

const fetchAs = (ip: string, token: string) =>
  download(new Request(`http://localhost:3000/api/documents/download?token=${encodeURIComponent(token)}`, { headers: { "x-forwarded-for": ip } }));

async function cleanDocument(orgId: string): Promise<string> {
  const db = await ownerDb();
  const [project] = await db.query<{ id: string }>("insert into public.projects (org_id, name, created_by) values ($1, 'P', 'user_x') returning id", [orgId]);
  const id = randomUUID();
  await db.query(
    "insert into public.documents (id, org_id, project_id, name, mime_type, size_bytes, created_by, status, storage_key) values ($1, $2, $3, 'a.txt', 'text/plain', 6, 'user_x', 'clean', $4)",
    [id, orgId, project!.id, `files/${orgId}/${id}`],
  );
  await new LocalStorage(root).put(`files/${orgId}/${id}`, Readable.from([Buffer.from("hello\n")]), { contentType: "text/plain" });
  return id;
}

const { download: perIp, downloadOrg: perOrg } = RATE_LIMIT_CLASSES;

describe("download rate limits (RL-1, RL-3)", () => {
  it("one client address gets the download class's budget, then 429 problem+json with Retry-After, whatever the token; other addresses are unaffected", async () => {
    const ip = "198.51.100.7";
    for (let i = 0; i < perIp.limit; i++) expect((await fetchAs(ip, `bogus-${i}`)).status).toBe(404);
    const refused = await fetchAs(ip, "bogus-again");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get("ratelimit-limit")).toBe(String(perIp.limit));
    expect(refused.headers.get("x-request-id")).toBeTruthy();
    expect(await refused.json()).toMatchObject({ status: 429, code: "rate_limited" });
    // Even a valid token for a clean document waits: the address is limited before the token is looked at.
    const org = await createOrg("DownloadIp");
    const id = await cleanDocument(org.id);
    const { token } = await signDownloadToken({ documentId: id, orgId: org.id });
    expect((await fetchAs(ip, token)).status).toBe(429);
    const elsewhere = await fetchAs("198.51.100.8", token);
    expect(elsewhere.status).toBe(200);
    expect(await elsewhere.text()).toBe("hello\n");
  });

  it("an org's verified tokens share the downloadOrg budget across addresses; another org's and forged tokens do not count against it", async () => {
    const org = await createOrg("DownloadOrg");
    const other = await createOrg("DownloadOther");
    const otherId = await cleanDocument(other.id);
    // Tokens with a valid MAC for documents that do not exist: counted for the org, answered 404 (nothing served).
    const token = async () => (await signDownloadToken({ documentId: randomUUID(), orgId: org.id })).token;
    const addresses = Math.ceil(perOrg.limit / (perIp.limit - 10));
    let sent = 0;
    for (let a = 0; sent < perOrg.limit; a++) {
      const ip = `203.0.113.${100 + (a % addresses)}`;
      for (let i = 0; i < perIp.limit - 10 && sent < perOrg.limit; i++, sent++) expect((await fetchAs(ip, await token())).status).toBe(404);
    }
    const fresh = "192.0.2.55";
    const refused = await fetchAs(fresh, await token());
    expect(refused.status).toBe(429);
    expect(refused.headers.get("ratelimit-limit")).toBe(String(perOrg.limit));
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Another org's link from the same fresh address is served; a forged "token" naming the org is not counted as it.
    const { token: otherToken } = await signDownloadToken({ documentId: otherId, orgId: other.id });
    expect((await fetchAs(fresh, otherToken)).status).toBe(200);
    expect((await fetchAs("192.0.2.56", `v1.${randomUUID()}.${org.id}.9999999999.AAAA`)).status).toBe(404);
  });
});
