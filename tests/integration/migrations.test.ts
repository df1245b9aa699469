import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// This file's embedded database runs initdb and every migration itself: it never starts from the suite's migrated
// template (tests/helpers/global-setup.ts). Before any app module reads the configuration.
delete process.env.PGLITE_SNAPSHOT;

const { closeDb, migrate, ownerDb } = await import("@/lib/db");
const { uid } = await import("../helpers/tenants");

afterAll(closeDb);

describe("migration runner", () => {
  it("applies the project's migrations once: a second run applies nothing", async () => {
    expect(await migrate(await ownerDb())).toEqual([]);
  });

  it("applies a new file once, and refuses to go on when an applied file was edited", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "migrations-"));
    const file = `29990101000000_probe_${uid()}.sql`;
    writeFileSync(path.join(dir, file), "select 1;");
    const db = await ownerDb();
    expect(await migrate(db, dir)).toEqual([file]);
    expect(await migrate(db, dir)).toEqual([]);
    writeFileSync(path.join(dir, file), "select 2;");
    await expect(migrate(db, dir)).rejects.toThrow(`Migration ${file} was changed after it was applied`);
  });
});
