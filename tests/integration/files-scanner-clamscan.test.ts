import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { clamscanScanner, scannerCheck } from "@/lib/files/scanner";
import { CLAMSCAN_BINARY, EICAR, TEST_SIGNATURES } from "@/tests/helpers/clamd";

// FILE-2: the clamscan fallback, with Debian's clamscan and the project's test signature database.

const options = { path: CLAMSCAN_BINARY, database: TEST_SIGNATURES, timeoutMs: 60_000, maxBytes: 1024 * 1024 };

describe("clamscan fallback", () => {
  it("EICAR is infected (exit 1), with the signature's name", async () => {
    expect(await clamscanScanner(options).scan([EICAR])).toMatchObject({ verdict: "infected", signature: "TenantGuard.Test.EICAR.UNOFFICIAL" });
  });

  it("a clean file is clean (exit 0)", async () => {
    expect(await clamscanScanner(options).scan([Buffer.from("minutes of the meeting\n")])).toMatchObject({ verdict: "clean" });
  });

  it("a missing binary is scan_failed, and the health check says down", async () => {
    const missing = clamscanScanner({ ...options, path: "/nonexistent/clamscan" });
    expect(await missing.scan([EICAR])).toMatchObject({ verdict: "scan_failed" });
    expect(await scannerCheck(missing)).toMatchObject({ status: "down" });
  });

  it("a broken signature database (exit 2) is scan_failed", async () => {
    expect(await clamscanScanner({ ...options, database: "/nonexistent/db.hdb" }).scan([Buffer.from("hello")])).toMatchObject({ verdict: "scan_failed" });
  });

  it("a file over the limit is scan_failed, never clean", async () => {
    expect(await clamscanScanner({ ...options, maxBytes: 1000 }).scan([randomBytes(5000)])).toMatchObject({ verdict: "scan_failed" });
  });

  it("a scan that does not finish in time is scan_failed", async () => {
    const hanging = (async function* () {
      yield Buffer.from("start");
      await new Promise((r) => setTimeout(r, 5_000));
    })();
    expect(await clamscanScanner({ ...options, timeoutMs: 300 }).scan(hanging)).toMatchObject({ verdict: "scan_failed", reason: expect.stringMatching(/did not finish/) });
  });

  it("the health check reports the engine", async () => {
    expect(await scannerCheck(clamscanScanner(options))).toMatchObject({ status: "ok", detail: expect.stringMatching(/ClamAV \d/) });
  });
});
