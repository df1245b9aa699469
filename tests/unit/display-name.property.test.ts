import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { INVISIBLE_CHARACTERS_MESSAGE, displayName } from "@/lib/validation/text";
import { projectName } from "@/lib/projects/schemas";
import { apiKeyName } from "@/lib/api-keys/schemas";

// VAL-1: names people read (projects, API keys, ...) cannot hide text-direction tricks or invisible characters.

const BIDI = ["\u202A", "\u202B", "\u202C", "\u202D", "\u202E", "\u2066", "\u2067", "\u2068", "\u2069", "\u200E", "\u200F", "\u061C"];
const ZERO_WIDTH = ["\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF"];
// Other control (Cc) and format (Cf) characters: C0, DEL, C1, soft hyphen, invisible operators, a tag character.
const OTHER_CONTROLS = ["\u0000", "\u0009", "\u000A", "\u001F", "\u007F", "\u0085", "\u009F", "\u00AD", "\u2061", "\u2064", "\u{E0041}", "\u2028", "\u2029"];
const INVISIBLE = [...BIDI, ...ZERO_WIDTH, ...OTHER_CONTROLS];

const SCHEMAS = [
  ["displayName", displayName({ max: 100, empty: "Enter a name." })],
  ["projectName", projectName],
  ["apiKeyName", apiKeyName],
] as const;

// Ordinary names in many scripts, emoji included (a ZWJ sequence too: it is one pictograph).
const SCRIPTS = [
  "Café Müller", "Ærøskøbing", "Žluťoučký kůň", "東京オフィス", "北京项目", "서울 팀", "مشروع الشركة", "פרויקט חדש",
  "Проект Альфа", "Ελληνικά", "हिन्दी परियोजना", "ภาษาไทย", "Launch 🚀", "Team 👩‍💻", "Family 👨‍👩‍👧", "🏳️‍🌈 Pride", "gnp.exe", "v2.0 (beta)",
];

const ordinary = fc.oneof(
  fc.constantFrom(...SCRIPTS),
  fc
    .string({ unit: "grapheme", minLength: 1, maxLength: 30 })
    .filter((s) => !/[\p{Cc}\p{Cf}\u2028\u2029]/u.test(s) && s.trim().length > 0),
);

describe("displayName (VAL-1)", () => {
  it.each(SCHEMAS)("%s refuses any name holding a bidi control, zero-width or other control character, with the message", (_name, schema) => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.constantFrom(...INVISIBLE), fc.string({ maxLength: 20 }), fc.constantFrom("", "a", "gnp.exe"), (before, hidden, after, core) => {
        const result = schema.safeParse(`${before}${core}${hidden}${after}`);
        expect(result.success).toBe(false);
        if (!result.success) expect(result.error.issues.map((i) => i.message)).toContain(INVISIBLE_CHARACTERS_MESSAGE);
      }),
      { numRuns: 300 },
    );
  });

  it("U+202E cannot make gnp.exe read as exe.png, at either end or inside", () => {
    for (const name of ["\u202Egnp.exe", "report\u202Egnp.exe", "gnp.exe\u202E", "\uFEFFname", "name\u200B"]) {
      const result = projectName.safeParse(name);
      expect(result.success, JSON.stringify(name)).toBe(false);
    }
  });

  it.each(SCHEMAS)("%s accepts ordinary names in many scripts, NFC-normalised and trimmed", (_name, schema) => {
    fc.assert(
      fc.property(ordinary, fc.constantFrom("", " ", "  "), (name, pad) => {
        fc.pre(name.trim().length <= 64);
        const result = schema.safeParse(`${pad}${name}${pad}`);
        expect(result.success, JSON.stringify(name)).toBe(true);
        if (result.success) expect(result.data).toBe(name.trim().normalize("NFC"));
      }),
      { numRuns: 300 },
    );
  });

  it("a decomposed and a composed spelling are the same name", () => {
    expect(projectName.parse("Cafe\u0301")).toBe(projectName.parse("Caf\u00E9"));
  });

  it("a joiner is accepted only between two pictographs", () => {
    expect(projectName.safeParse("Team 👩‍💻").success).toBe(true);
    expect(projectName.safeParse("a\u200Db").success).toBe(false);
    expect(projectName.safeParse("👩\u200D").success).toBe(false);
  });

  it("empty, blank and over-long names keep their messages", () => {
    expect(projectName.safeParse("   ").error?.issues[0]?.message).toBe("Enter a project name.");
    expect(apiKeyName.safeParse("x".repeat(65)).error?.issues[0]?.message).toBe("Use at most 64 characters.");
    expect(projectName.safeParse("\uD800").error?.issues[0]?.message).toBe("The name is not valid Unicode.");
  });
});
