import { describe, expect, it } from "vitest";
import { FileNameError, sanitizeFileName } from "@/lib/files/names";

// FILE-1 / VAL-1: uploaded names are display names only; paths, devices, hidden files and invisible characters are refused.

function refused(name: unknown): string {
  try {
    sanitizeFileName(name);
  } catch (error) {
    expect(error).toBeInstanceOf(FileNameError);
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(name)}`);
}

describe("file names", () => {
  it("keeps ordinary names, trimmed and NFC-normalised", () => {
    expect(sanitizeFileName("  Q3 report (final).pdf ")).toBe("Q3 report (final).pdf");
    expect(sanitizeFileName("Zu\u0308rich.csv")).toBe("Zürich.csv");
    expect(sanitizeFileName("项目计划.docx")).toBe("项目计划.docx");
    expect(sanitizeFileName("con-tract.pdf")).toBe("con-tract.pdf");
  });

  it("refuses path traversal and path separators", () => {
    for (const name of ["../../etc/passwd", "..\\..\\boot.ini", "a/b.pdf", "C:\\Users\\me\\x.pdf", "/etc/passwd", "..", ".", "..."]) {
      refused(name);
    }
    expect(refused("../x.pdf")).toMatch(/cannot contain \/ or \\/);
  });

  it("refuses NUL, control, bidi and invisible characters", () => {
    expect(refused("invoice\0.pdf.exe")).toMatch(/invisible|text-direction/);
    expect(refused("report\u202Efdp.exe")).toMatch(/invisible|text-direction/);
    expect(refused("a\u200Bb.pdf")).toMatch(/invisible/);
    expect(refused("line\nbreak.txt")).toMatch(/invisible/);
  });

  it("refuses hidden files, trailing dots or spaces, and reserved device names", () => {
    expect(refused(".htaccess")).toMatch(/start with a dot/);
    expect(refused("report.pdf.")).toMatch(/end with a dot/);
    for (const name of ["CON", "con.txt", "NUL.pdf", "com1.csv", "LPT9.docx", "aux"]) expect(refused(name)).toMatch(/reserved/);
  });

  it("refuses empty, too long and non-string names", () => {
    refused("");
    refused("   ");
    refused(`${"a".repeat(300)}.pdf`);
    refused(42);
    refused("\uD800.pdf");
  });
});
