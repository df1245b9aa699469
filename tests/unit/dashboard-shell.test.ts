import { describe, expect, it } from "vitest";
import { z } from "zod";
import { formatDate, formatDateTime, formatTime } from "@/lib/format/date";
import { plainIssueMessage } from "@/lib/validation/messages";
import { currentHref } from "@/components/shell/sidebar";
import { navigationFor } from "@/components/shell/navigation";
import { fillDays } from "@/lib/overview/days";

const hrefs = (groups: ReturnType<typeof navigationFor>) => groups.flatMap((g) => g.items.map((i) => i.href));

describe("one date format", () => {
  it("a moment, a day and a time of day, in UTC whatever the server's zone", () => {
    const at = new Date("2026-12-01T17:06:59Z");
    expect(formatDateTime(at)).toBe("1 Dec 2026, 17:06 UTC");
    expect(formatDateTime("2026-12-01T23:30:00-02:00")).toBe("2 Dec 2026, 01:30 UTC");
    expect(formatDate(at)).toBe("1 Dec 2026");
    expect(formatTime(at)).toBe("17:06 UTC");
    expect(formatDateTime(null)).toBe("—");
    expect(formatDateTime("not a date", "?")).toBe("?");
  });
});

describe("VAL-1: validation messages in plain words", () => {
  const schema = z.object({
    note: z.string().max(1024),
    name: z.string().min(1),
    code: z.string().min(6),
    email: z.email(),
    count: z.number().int().max(5),
    tags: z.array(z.string()).max(3),
    own: z.string().max(2, "Two at most."),
  });
  const messages = (input: unknown) => {
    const parsed = schema.safeParse(input, { error: plainIssueMessage });
    if (parsed.success) throw new Error("expected a refusal");
    return Object.fromEntries(parsed.error.issues.map((i) => [i.path.join("."), i.message]));
  };

  it("zod's developer wording never reaches a form; a schema's own message wins", () => {
    expect(messages({ note: "x".repeat(1025), name: "", code: "abc", email: "nope", count: 9, tags: ["a", "b", "c", "d"], own: "abc" })).toEqual({
      note: "Use at most 1,024 characters.",
      name: "This field is required.",
      code: "Use at least 6 characters.",
      email: "Enter a valid email address.",
      count: "Enter 5 or less.",
      tags: "Choose at most 3.",
      own: "Two at most.",
    });
    expect(messages({ note: 1, name: "a", code: "abcdef", email: "a@b.co", count: "x", tags: [], own: "" })).toEqual({ note: "This value is not accepted here.", count: "Enter a number." });
  });
});

describe("the dashboard's navigation", () => {
  it("marks the deepest entry that contains the path as current", () => {
    const all = ["/overview", "/projects", "/settings", "/settings/api-keys", "/settings/flags"];
    expect(currentHref("/settings/api-keys", all)).toBe("/settings/api-keys");
    expect(currentHref("/settings", all)).toBe("/settings");
    expect(currentHref("/projects/3f1c/sharing", all)).toBe("/projects");
    expect(currentHref("/settings-other", all)).toBeNull();
    expect(currentHref("/account/profile", all)).toBeNull();
  });

  it("TEN-7: a guest has projects and its own account; a member no admin pages; owners and admins the org's pages", () => {
    expect(hrefs(navigationFor("guest", { supportSession: false }))).toEqual(["/projects", "/docs/api", "/account/profile", "/account/sessions", "/account/security"]);
    const member = hrefs(navigationFor("member", { supportSession: false }));
    expect(member).toEqual(["/overview", "/projects", "/docs/api", "/settings/members", "/account/profile", "/account/sessions", "/account/security", "/account/credentials"]);
    const admin = hrefs(navigationFor("admin", { supportSession: false }));
    for (const href of ["/settings/api-keys", "/settings/integrations", "/settings/billing", "/settings/webhooks", "/settings/jobs", "/settings/audit", "/settings", "/security", "/settings/flags"]) {
      expect(admin).toContain(href);
    }
    expect(admin).not.toContain("/settings/support-access");
    expect(hrefs(navigationFor("owner", { supportSession: false }))).toContain("/settings/support-access");
    expect(hrefs(navigationFor("owner", { supportSession: true }))).not.toContain("/settings/support-access");
  });
});

describe("the overview's activity window", () => {
  it("14 days ending today (UTC), oldest first, days without entries as 0", () => {
    const days = fillDays([{ day: "2026-12-01", entries: 3 }, { day: "2026-11-20", entries: 1 }, { day: "2026-11-01", entries: 9 }], new Date("2026-12-01T23:59:00Z"));
    expect(days).toHaveLength(14);
    expect(days[0]).toEqual({ day: "2026-11-18", entries: 0 });
    expect(days[2]).toEqual({ day: "2026-11-20", entries: 1 });
    expect(days[13]).toEqual({ day: "2026-12-01", entries: 3 });
    expect(days.reduce((n, d) => n + d.entries, 0)).toBe(4);
  });
});
