import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * OBS-4: /health/ready answers 503 while the database is unreachable and 200 again once it is back.
 * Against PostgreSQL the app connects through a TCP relay this test can cut and restore.
 */
const realUrl = process.env.DATABASE_URL;
const sockets = new Set<net.Socket>();
let relay: net.Server | undefined;
let relayPort = 0;

function startRelay(target: URL, port = 0): Promise<number> {
  relay = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve) => relay!.listen(port, "127.0.0.1", () => resolve((relay!.address() as net.AddressInfo).port)));
}

function cutRelay(): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => relay!.close(() => resolve()));
}

if (realUrl) {
  const target = new URL(realUrl);
  relayPort = await startRelay(target);
  const through = new URL(realUrl);
  through.port = String(relayPort);
  process.env.DATABASE_URL = through.toString();
}

const { GET } = await import("@/app/health/ready/route");
const { closeDb, pingDatabase } = await import("@/lib/db");

// Opening the embedded database (and migrating it) is start-up, not readiness: do it before the checks.
beforeAll(() => pingDatabase());

afterAll(async () => {
  await closeDb();
  if (relay?.listening) await cutRelay();
});

async function ready() {
  const res = await GET();
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, { status: string }> } };
}

describe("/health/ready", () => {
  it("is ready when the database answers, and checks only dependencies that exist", async () => {
    const { status, body } = await ready();
    expect(status).toBe(200);
    expect(body.status).toBe("ready");
    expect(body.checks.database!.status).toBe("ok");
    // File storage is always there (local by default); the scanner only when one is configured.
    expect(Object.keys(body.checks).sort()).toEqual(["database", "encryption", "rateLimiting", "storage"]);
    expect(body.checks.storage!.status).toBe("ok");
  });

  it.skipIf(!realUrl)("turns 503 when the database is unreachable, and recovers", async () => {
    expect((await ready()).status).toBe(200);
    await cutRelay();
    const down = await ready();
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: "unavailable", checks: { database: { status: "down" } } });
    expect(JSON.stringify(down.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres:/);

    await startRelay(new URL(realUrl!), relayPort);
    let recovered = await ready();
    for (let i = 0; i < 10 && recovered.status !== 200; i++) recovered = await ready();
    expect(recovered.status).toBe(200);
  });
});
