import { describe, expect, it } from "vitest";
import { acceptRequestId } from "@/lib/http/request-id";

describe("X-Request-ID (OBS-3)", () => {
  it("keeps a well-formed caller id", () => {
    expect(acceptRequestId("req-0123456789abcdef")).toBe("req-0123456789abcdef");
  });

  it.each([null, "", "short", "has spaces in it", "line\nbreak-injection", "x".repeat(129), "<script>alert(1)</script>"])(
    "replaces %j with a generated uuid",
    (candidate) => {
      expect(acceptRequestId(candidate)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    },
  );
});
