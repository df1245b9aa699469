import { describe, expect, it } from "vitest";
import { populationHash, stableJson, uuidV5 } from "@/lib/evidence/format";
import { normaliseDetail } from "@/lib/evidence/normalise";
import { controlResult, renderFiles, type EvidenceState } from "@/lib/evidence/render";
import { oscalProblem } from "@/lib/evidence/verify";

describe("evidence pack format (OPS-3)", () => {
  it("stableJson sorts keys at every depth, so key order never changes the bytes", () => {
    expect(stableJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe(stableJson({ a: { c: null, d: [{ y: 2, z: 1 }] }, b: 1 }));
    expect(stableJson({ b: 1, a: 2 })).toBe('{\n  "a": 2,\n  "b": 1\n}\n');
  });

  it("the population hash ignores row order and key order, and changes with any row", () => {
    const rows = [{ id: "a", n: 1 }, { id: "b", n: 2 }];
    expect(populationHash(rows)).toBe(populationHash([{ n: 2, id: "b" }, { n: 1, id: "a" }]));
    expect(populationHash(rows)).not.toBe(populationHash([{ id: "a", n: 1 }]));
    expect(populationHash(rows)).not.toBe(populationHash([{ id: "a", n: 1 }, { id: "b", n: 3 }]));
    expect(populationHash([])).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("uuidV5 is RFC 4122 version 5 (the DNS-namespace example) and stable", () => {
    expect(uuidV5("www.example.com", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).toBe("2ed6657d-e927-568b-95e1-2665a8aea6a2");
    expect(uuidV5("finding:x")).toBe(uuidV5("finding:x"));
    expect(uuidV5("finding:x")).not.toBe(uuidV5("finding:y"));
  });

  it("normalises what varies from run to run, and keeps what belongs to the state", () => {
    expect(normaliseDetail("Every chain of org org_a is covered by a signed checkpoint (latest 12 min old).")).toBe("Every chain of org org_a is covered by a signed checkpoint.");
    expect(normaliseDetail("answered in 3.5 ms")).toBe("answered in <duration>");
    expect(normaliseDetail("script-src 'nonce-abc123+/=' 'strict-dynamic'")).toBe("script-src 'nonce-<per-response>' 'strict-dynamic'");
    const stateful = "2 video(s) in 1 organisation(s) still wait (oldest 2026-11-30T10:00:00.000Z).";
    expect(normaliseDetail(stateful)).toBe(stateful);
  });

  it("a control's result is its worst check", () => {
    expect(controlResult([])).toBe("not_checked");
    expect(controlResult(["pass", "warn"])).toBe("warn");
    expect(controlResult(["pass", "fail", "warn"])).toBe("fail");
    expect(controlResult(["not_applicable", "pass"])).toBe("pass");
    expect(controlResult(["not_applicable"])).toBe("not_applicable");
  });
});

describe("an organisation's pack names no other organisation (TEN-4)", () => {
  it("withholds open support sessions' operators and organisations, key ids and other orgs' ids; keeps the counts and this org's id", () => {
    const support = "Every support action in the audit log lies inside a live consent of its operator. 2 support session(s) open: ops@example.test in Globex (read-only, until 2026-12-01T18:00:00.000Z); ops2@example.test in Initech (read-write, until 2026-12-01T19:00:00.000Z).";
    const out = normaliseDetail(support, "org_mine");
    expect(out).toBe("Every support action in the audit log lies inside a live consent of its operator. 2 support session(s) open (operators and organisations withheld from an organisation's pack).");
    expect(normaliseDetail("3 key(s) past their expiry are still accepted: 1f0c, 2a9b, 77de.", "org_mine")).toBe("3 key(s) past their expiry are still accepted (key ids withheld from an organisation's pack).");
    expect(normaliseDetail("2 org(s) with a latest checkpoint that does not verify: org_mine, org_other.", "org_mine")).toBe("2 org(s) with a latest checkpoint that does not verify: org_mine, another organisation.");
  });
});

describe("the pack's files are a function of the state", () => {
  const state = (sbom: { sha256: string; bytes: number } | null): EvidenceState => ({
    orgId: "org_unit",
    asOf: "2026-12-01T10:00:00.000Z",
    appVersion: "1.2.3",
    sbom,
    checkpoint: null,
    publicKey: { key_id: "dev", alg: "Ed25519", pem: "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n", jwk: { kty: "OKP", crv: "Ed25519", x: "x" } },
    checks: [{ id: "audit-chain", title: "Audit chain", controls: ["AUD-2"], status: "fail", detail: "1 broken chain(s)." }],
    controls: [{ id: "AUD-2", family: "AUD", title: "Hash chain", registry_status: "implemented", checks: ["audit-chain"], result: "fail" }],
    populations: [],
  });

  it("records the SBOM's hash, or states that the build has none", () => {
    const withSbom = JSON.parse(renderFiles(state({ sha256: "a".repeat(64), bytes: 10 }))["build.json"]!) as { sbom: { sha256: string }; sbom_note: string | null };
    expect(withSbom).toMatchObject({ sbom: { sha256: "a".repeat(64) }, sbom_note: null });
    const files = renderFiles(state(null));
    expect(JSON.parse(files["build.json"]!)).toMatchObject({ app_version: "1.2.3", sbom: null, sbom_note: expect.stringMatching(/no SBOM file/) });
    expect(files["summary.md"]).toContain("SBOM: none in this build");
  });

  it("the OSCAL document passes the verifier's shape check, and a failing control is not-satisfied", () => {
    const text = renderFiles(state(null))["oscal/assessment-results.json"]!;
    expect(oscalProblem(text)).toBeNull();
    expect(text).toContain('"state": "not-satisfied"');
    expect(renderFiles(state(null))).toEqual(renderFiles(state(null)));
    const doc = JSON.parse(text) as { "assessment-results": { metadata: Record<string, unknown> } };
    delete doc["assessment-results"].metadata["oscal-version"];
    expect(oscalProblem(JSON.stringify(doc))).toMatch(/oscal-version/);
  });
});

describe("the population hash is reproducible by hand", () => {
  it("is SHA-256 of the canonical rows, sorted bytewise (UTF-8) and joined by newlines", async () => {
    const { createHash } = await import("node:crypto");
    const rows = [{ name: "é" }, { name: "z" }, { b: 2, a: 1 }];
    const byHand = ['{"a":1,"b":2}', '{"name":"z"}', '{"name":"é"}'].join("\n");
    expect(populationHash(rows)).toBe(createHash("sha256").update(byHand, "utf8").digest("hex"));
  });
});
