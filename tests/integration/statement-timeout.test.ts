import { afterAll, describe, expect, it } from "vitest";
import { closeDb, withAnonymous } from "@/lib/db";

afterAll(closeDb);

describe("request transactions have a time limit (VAL-2)", () => {
  it("sets statement_timeout for the transaction only", async () => {
    const [row] = await withAnonymous((tx) => tx.query<{ timeout: string }>("select current_setting('statement_timeout') as timeout"));
    expect(row!.timeout).toBe("10s");
  });
});
