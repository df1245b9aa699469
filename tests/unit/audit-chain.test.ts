import { describe, expect, it } from "vitest";
import { canonicalJson, entryHash, findChainBreak, GENESIS_HASH, type AuditRecord, type StoredAuditRow } from "@/lib/audit/chain";

/**
 * AUD-2: the hash covers every field of an entry. A known-answer vector pins the hash of a fixed entry (computed
 * from the canonical form documented in lib/audit/chain.ts, and independently with Python's hashlib), and every
 * field of a stored entry is tampered with in turn.
 */

const RECORD: AuditRecord = {
  org_id: "org_2kat",
  seq: 1,
  actor_type: "api_key",
  actor_id: "6f1c2a9e-0b7d-4e15-9a3c-2d8e4f6a1b70",
  action: "project.renamed",
  target_type: "project",
  target_id: "0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a",
  ip: "203.0.113.7",
  user_agent: "partner-sdk/1.2 (+https://partner.example)",
  request_id: "req-0123456789abcdef",
  changes: { name: { from: "Alpha", to: "Alpha 2" }, archived: false },
  created_at: "2026-11-24T09:30:15.123Z",
};

const CANONICAL =
  '{"action":"project.renamed","actor_id":"6f1c2a9e-0b7d-4e15-9a3c-2d8e4f6a1b70","actor_type":"api_key",' +
  '"changes":{"archived":false,"name":{"from":"Alpha","to":"Alpha 2"}},"created_at":"2026-11-24T09:30:15.123Z",' +
  '"ip":"203.0.113.7","org_id":"org_2kat","request_id":"req-0123456789abcdef","seq":1,' +
  '"target_id":"0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a","target_type":"project","user_agent":"partner-sdk/1.2 (+https://partner.example)"}';

// sha256("0" x 64 + "\n" + CANONICAL), and the next entry's hash chained onto it.
const HASH_1 = "21f767cbfa787155f9477dee8c912acf7aa34de16d88c44d85f212962db7dd1a";
const HASH_2 = "ca7a3242a547e169499780d81ee98c0482a812f28e2e2e2feccfa6f1c0a4d10f";

const SECOND: AuditRecord = {
  ...RECORD,
  seq: 2,
  actor_type: "user",
  actor_id: "user_kat",
  action: "security.cross_tenant_access",
  target_type: null,
  target_id: null,
  ip: null,
  user_agent: null,
  request_id: null,
  changes: {},
  created_at: "2026-11-24T09:30:16.000Z",
};

describe("AUD-2: known-answer vector for the entry hash", () => {
  it("the canonical form of a fixed entry and its hash are exactly the pinned values", () => {
    expect(canonicalJson(RECORD)).toBe(CANONICAL);
    expect(entryHash(GENESIS_HASH, RECORD)).toBe(HASH_1);
    expect(entryHash(HASH_1, SECOND)).toBe(HASH_2);
  });

  it("the same entry hashes the same whatever the order of its keys, at every depth", () => {
    const reordered = Object.fromEntries(Object.entries(RECORD).reverse()) as unknown as AuditRecord;
    expect(entryHash(GENESIS_HASH, { ...reordered, changes: { archived: false, name: { to: "Alpha 2", from: "Alpha" } } })).toBe(HASH_1);
  });
});

/** Three stored entries, chained by the writer's own function (so these tests stand apart from the vector above). */
function storedChain(): StoredAuditRow[] {
  const third: AuditRecord = { ...RECORD, seq: 3, action: "project.deleted", created_at: "2026-11-24T09:31:00.500Z" };
  let prev = GENESIS_HASH;
  return [RECORD, SECOND, third].map((record, i) => {
    const hash = entryHash(prev, record);
    const row = { ...record, id: 11 + i, prev_hash: prev, hash };
    prev = hash;
    return row;
  });
}

// Every column of public.audit_logs but `id`, with a tampered value for the first entry.
const TAMPERED: [keyof StoredAuditRow, unknown][] = [
  ["org_id", "org_2other"],
  ["seq", 2],
  ["actor_type", "user"],
  ["actor_id", "6f1c2a9e-0b7d-4e15-9a3c-2d8e4f6a1b71"],
  ["actor_id", null],
  ["action", "project.created"],
  ["target_type", "document"],
  ["target_type", null],
  ["target_id", "0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6b"],
  ["target_id", null],
  ["ip", "198.51.100.9"],
  ["ip", null],
  ["user_agent", "curl/8.0"],
  ["user_agent", null],
  ["request_id", "req-forged"],
  ["request_id", null],
  ["changes", { name: { from: "Alpha", to: "Beta" }, archived: false }],
  ["changes", {}],
  ["created_at", "2026-11-24T09:30:15.124Z"],
  ["created_at", "2026-11-24T09:30:15.123001Z"],
  ["prev_hash", "f".repeat(64)],
  ["hash", "e".repeat(64)],
];

describe("AUD-2: tampering with any field of an entry is detected", () => {
  it("the untouched chain verifies, with the time as a Date or as text with microseconds", () => {
    expect(findChainBreak(storedChain())).toBeNull();
    expect(findChainBreak(storedChain().map((r) => ({ ...r, created_at: new Date(r.created_at) })))).toBeNull();
    expect(findChainBreak(storedChain().map((r) => ({ ...r, created_at: `${String(r.created_at).slice(0, -1)}000Z` })))).toBeNull();
  });

  it.each(TAMPERED)("a changed %s (%j) breaks the chain at that entry", (field, value) => {
    const rows = storedChain();
    rows[0] = { ...rows[0]!, [field]: value };
    const found = findChainBreak(rows);
    expect(found).not.toBeNull();
    expect(found).toMatchObject({ id: 11, seq: rows[0].seq });
  });

  it("a changed field of a later entry is found at that entry, not before", () => {
    for (const [field, tampered] of TAMPERED) {
      const rows = storedChain();
      const value = JSON.stringify(tampered) === JSON.stringify(rows[1]![field]) ? (field === "seq" ? 7 : "tampered") : tampered;
      rows[1] = { ...rows[1]!, [field]: value };
      expect(findChainBreak(rows), `${field} = ${JSON.stringify(value)}`).toMatchObject({ id: 12 });
    }
  });

  it("the hashed record names exactly the entry's columns (but id, prev_hash and hash)", () => {
    expect(Object.keys(JSON.parse(canonicalJson(RECORD)) as object).sort()).toEqual(
      ["action", "actor_id", "actor_type", "changes", "created_at", "ip", "org_id", "request_id", "seq", "target_id", "target_type", "user_agent"],
    );
  });
});
