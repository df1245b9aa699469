import { describe, expect, it } from "vitest";
import { generateInviteToken, inviteTokenHash } from "@/lib/members/tokens";
import { maskString } from "@/lib/observability/pii-text";

describe("TEN-3 invite tokens", () => {
  it("are 256 random bits, never repeat, and hash only when well-formed", () => {
    const tokens = new Set(Array.from({ length: 200 }, generateInviteToken));
    expect(tokens.size).toBe(200);
    for (const t of tokens) {
      expect(t).toMatch(/^tgi_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(t.slice(4), "base64url")).toHaveLength(32);
      expect(inviteTokenHash(t)).toHaveLength(32);
    }
    const one = [...tokens][0]!;
    for (const bad of ["", "tgi_", one.slice(0, -1), `${one}x`, one.replace("tgi_", "tgx_"), `${one.slice(0, -1)}!`]) expect(inviteTokenHash(bad)).toBeNull();
  });

  it("are masked wherever a log line or error report carries an invite link", () => {
    const token = generateInviteToken();
    const masked = maskString(`GET https://app.example.com/invite/${token} 200`);
    expect(masked).not.toContain(token.slice(4));
  });
});
