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

describe("client IP from X-Forwarded-For", () => {
  it("takes the entry our nearest proxy added, not what the client wrote", async () => {
    const { clientIpFrom } = await import("@/lib/http/request-context");
    const h = (xff: string) => new Headers({ "x-forwarded-for": xff });
    expect(clientIpFrom(h("203.0.113.9"), 1)).toBe("203.0.113.9");
    expect(clientIpFrom(h("10.0.0.1, 203.0.113.9"), 1)).toBe("203.0.113.9"); // a client-forged 10.0.0.1 is ignored
    expect(clientIpFrom(h("10.0.0.1, 203.0.113.9, 192.0.2.1"), 2)).toBe("203.0.113.9");
    expect(clientIpFrom(new Headers({ "x-real-ip": "198.51.100.2" }), 1)).toBe("198.51.100.2");
    expect(clientIpFrom(new Headers(), 1)).toBeNull();
  });
});
