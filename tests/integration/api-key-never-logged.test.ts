import { afterAll, describe, expect, it } from "vitest";
import { closeDb } from "@/lib/db";
import { hashApiKey } from "@/lib/api-keys/key-format";
import { flushKeyUses, revokeApiKey } from "@/lib/api-keys";
import { tapLogOutput } from "@/lib/observability/logger";
import { closeDefaultRateLimitStore, RATE_LIMIT_CLASSES } from "@/lib/ratelimit";
import { orgWithMembers, request } from "../helpers/tenants";
import { callApi, newKey } from "../helpers/api";

/**
 * KEY-5: no API key, nor anything derived from it that would let someone recognise or replay it, reaches the
 * process's output. What is captured is the real output: the pino logger's own stream (tapLogOutput: pino writes to
 * file descriptor 1 itself, past any console or process.stdout hook) plus everything written through
 * process.stdout, process.stderr and console. The traffic is real requests through the route handlers, with a
 * working key, an unknown key and a revoked key, including requests that the app does log (rate-limit refusals).
 */

afterAll(async () => {
  await closeDefaultRateLimitStore();
  await closeDb();
});

interface Captured {
  /** Lines from the process logger. */
  log: string[];
  /** Anything else written to stdout or stderr (console included). */
  other: string[];
}

async function capturingOutput(run: () => Promise<void>): Promise<Captured> {
  const captured: Captured = { log: [], other: [] };
  const untap = tapLogOutput((line) => void captured.log.push(line));
  const original = { out: process.stdout.write, err: process.stderr.write, console: { ...console } };
  const intercept = (chunk: unknown) => {
    captured.other.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
    return true;
  };
  process.stdout.write = intercept as typeof process.stdout.write;
  process.stderr.write = intercept as typeof process.stderr.write;
  for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
    console[method] = (...args: unknown[]) => void captured.other.push(args.map(String).join(" "));
  }
  try {
    await run();
    // The API-key verification log is buffered in the process; writing it is part of what a request causes.
    await flushKeyUses();
  } finally {
    untap();
    process.stdout.write = original.out;
    process.stderr.write = original.err;
    Object.assign(console, original.console);
  }
  return captured;
}

/** What must never be written: the key, its secret part, its SHA-256 (what the database stores) and the hash's tail. */
function forbiddenFor(plaintext: string): string[] {
  const hash = hashApiKey(plaintext);
  return [plaintext, plaintext.slice("tg_test_".length), hash, hash.slice(-16)];
}

describe("KEY-5: API keys never reach the process's output", () => {
  it("real, unknown and revoked keys through the API, including logged refusals: the output has the lines and no key material", async () => {
    const a = await orgWithMembers("Never logged");
    const good = await newKey(a.admin);
    const revoked = await newKey(a.admin);
    expect((await revokeApiKey(a.admin, { id: revoked.id }, request())).ok).toBe(true);
    const unknown = `tg_test_${"Q7".repeat(21)}x`;
    const badIp = `198.51.100.${20 + Math.floor(Math.random() * 200)}`;

    const statuses: Record<string, number[]> = { good: [], limited: [], unknown: [], revoked: [] };
    const captured = await capturingOutput(async () => {
      const created = await callApi("post", "/api/v1/projects", { key: good.plaintext, body: { name: "Logged?" } });
      statuses.good!.push(created.status);
      const id = (created.json as { id?: string } | null)?.id ?? "missing";
      statuses.good!.push((await callApi("get", `/api/v1/projects/${id}`, { key: good.plaintext })).status);
      statuses.good!.push((await callApi("get", "/api/v1/projects/not-a-uuid", { key: good.plaintext })).status);
      statuses.good!.push((await callApi("post", "/api/v1/projects", { key: good.plaintext, rawBody: "{not json" })).status);
      statuses.unknown!.push((await callApi("get", "/api/v1/projects", { key: unknown })).status);
      statuses.revoked!.push((await callApi("get", "/api/v1/projects", { key: revoked.plaintext })).status);
      // Logged events: the key runs past its own limit (RL-3 "rate limit hit", and the key's log records it) ...
      for (let i = 0; i < 2 * RATE_LIMIT_CLASSES.apiKey.limit && statuses.limited!.length < 3; i++) {
        const res = await callApi("get", "/api/v1/projects", { key: good.plaintext, query: "?limit=1000" });
        if (res.status === 429) statuses.limited!.push(res.status);
      }
      // ... and the revoked and unknown keys from one address run past the per-IP limit on bad keys.
      for (let i = 0; i < 2 * RATE_LIMIT_CLASSES.anonymousIp.limit && [...statuses.unknown!, ...statuses.revoked!].filter((s) => s === 429).length < 4; i++) {
        const key = i % 2 === 0 ? revoked.plaintext : unknown;
        statuses[i % 2 === 0 ? "revoked" : "unknown"]!.push((await callApi("get", "/api/v1/projects", { key, ip: badIp })).status);
      }
    });

    expect(statuses.good).toEqual([201, 200, 404, 422]);
    expect(statuses.limited).toEqual([429, 429, 429]);
    expect(new Set(statuses.unknown)).toEqual(new Set([401, 429]));
    expect(new Set(statuses.revoked)).toEqual(new Set([401, 429]));

    // The capture is not empty: it holds the app's own log lines for these requests.
    const lines = captured.log.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((l) => l.msg === "rate limit hit" && l.limiter === "apiKey").length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.msg === "rate limit hit" && l.limiter === "anonymousIp").length).toBeGreaterThan(0);

    const output = [...captured.log, ...captured.other].join("\n");
    for (const [name, plaintext] of [["good", good.plaintext], ["revoked", revoked.plaintext], ["unknown", unknown]] as const) {
      for (const secret of forbiddenFor(plaintext)) expect(output.includes(secret), `${name} key material (${secret.length} chars) in the output`).toBe(false);
    }
  });
});
