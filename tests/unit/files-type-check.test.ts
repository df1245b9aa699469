import { describe, expect, it } from "vitest";
import { createReadStream, readFileSync } from "node:fs";
import path from "node:path";
import { checkFileType, createTextValidator, SNIFF_BYTES, UnsupportedFileTypeError, type TypeCheckInput } from "@/lib/files/type-check";

// FILE-1: declared type, extension and sniffed bytes must agree on an allowed kind; refusals name what was found.

const fixture = (name: string) => path.resolve(__dirname, "../fixtures/files", name);
const DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

const PNG = Buffer.concat([
  Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489", "hex"),
  Buffer.from("0000000d4944415478da63f8cfc0f01f0005000200d5a7b8f20000000049454e44ae426082", "hex"),
]);
const JPEG = Buffer.concat([Buffer.from("ffd8ffe000104a46494600010100000100010000", "hex"), Buffer.alloc(64, 0x20), Buffer.from("ffd9", "hex")]);
const WEBP = Buffer.concat([Buffer.from("RIFF"), Buffer.from([0x24, 0, 0, 0]), Buffer.from("WEBPVP8 "), Buffer.alloc(32, 1)]);
const PDF = Buffer.from("%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");

function input(declaredType: string, name: string, bytes: Buffer, extra: Partial<TypeCheckInput> = {}): TypeCheckInput {
  return { declaredType, name, head: bytes.subarray(0, SNIFF_BYTES), complete: bytes.byteLength <= SNIFF_BYTES, ...extra };
}

async function refusal(i: TypeCheckInput): Promise<UnsupportedFileTypeError> {
  try {
    await checkFileType(i);
  } catch (error) {
    expect(error).toBeInstanceOf(UnsupportedFileTypeError);
    return error as UnsupportedFileTypeError;
  }
  throw new Error(`accepted ${i.name} (${i.declaredType})`);
}

describe("allowed files pass all three checks", () => {
  it.each([
    ["application/pdf", "report.pdf", PDF, "pdf", "application/pdf"],
    ["image/png", "logo.PNG", PNG, "png", "image/png"],
    ["image/jpeg", "photo.jpg", JPEG, "jpeg", "image/jpeg"],
    ["image/jpeg", "photo.jpeg", JPEG, "jpeg", "image/jpeg"],
    ["image/webp", "photo.webp", WEBP, "webp", "image/webp"],
    ["text/plain; charset=utf-8", "notes.txt", Buffer.from("\uFEFFZürich notes\r\n\ttabbed ✓\n"), "text", "text/plain; charset=utf-8"],
    ["text/csv", "export.csv", Buffer.from("name,amount\nAcme,12\n"), "csv", "text/csv; charset=utf-8"],
    ["application/vnd.ms-excel", "windows.csv", Buffer.from("a;b\n1;2\n"), "csv", "text/csv; charset=utf-8"],
    [DOCX, "contract.docx", readFileSync(fixture("minimal.docx")), "docx", DOCX],
    [XLSX, "budget.xlsx", readFileSync(fixture("minimal.xlsx")), "xlsx", XLSX],
  ])("%s %s", async (declared, name, bytes, kind, mime) => {
    expect(await checkFileType(input(declared, name, bytes))).toEqual({ kind, mime, extension: name.split(".").pop()!.toLowerCase() });
  });

  it("a DOCX whose OOXML entries lie past the head is recognised by reading the file again", async () => {
    const bytes = readFileSync(fixture("late-entries.docx"));
    expect(bytes.byteLength).toBeGreaterThan(SNIFF_BYTES);
    // Without a way to read further, the head alone says ZIP: refused, never guessed.
    expect((await refusal(input(DOCX, "big.docx", bytes))).message).toMatch(/ZIP archive/);
    const reopened = await checkFileType(input(DOCX, "big.docx", bytes, { reopen: async () => createReadStream(fixture("late-entries.docx")) }));
    expect(reopened.kind).toBe("docx");
  });
});

describe("mislabelled and dangerous files are refused, naming what was found", () => {
  it("a PNG named .pdf (declared application/pdf)", async () => {
    const error = await refusal(input("application/pdf", "invoice.pdf", PNG));
    expect(error.message).toBe("This file's contents are PNG, but its name says .pdf.");
    expect(error.reason).toBe("mismatch");
    expect(error.found).toMatchObject({ declared: "application/pdf", extension: "pdf", sniffed: "image/png" });
  });

  it("a PNG named .png but declared application/pdf", async () => {
    expect((await refusal(input("application/pdf", "image.png", PNG))).message).toBe("This file was sent as PDF (application/pdf), but its name says .png.");
  });

  it("HTML declared as image/png", async () => {
    const error = await refusal(input("image/png", "cat.png", Buffer.from("<!DOCTYPE html><html><script>alert(document.cookie)</script></html>")));
    expect(error.message).toBe("This file's contents are HTML, but its name says .png.");
  });

  it("HTML named .txt, with a BOM and leading whitespace, in any case", async () => {
    for (const body of ["\uFEFF  \n<HTML><body>hi</body></HTML>", "<!doctype html>", "<script>alert(1)</script>", "<?xml version='1.0'?><x/>", "\t<sCrIpT src=//evil>"]) {
      const error = await refusal(input("text/plain", "readme.txt", Buffer.from(body)));
      expect(error.reason, body).toBe("active_content");
    }
  });

  it("markup further into a text file's first KB is refused too (what old browsers sniffed)", async () => {
    expect((await refusal(input("text/csv", "x.csv", Buffer.from(`a,b\n${"1,2\n".repeat(100)}<script>alert(1)</script>\n`)))).reason).toBe("active_content");
  });

  it("a PDF/HTML polyglot: a real PDF header with a page in its first bytes", async () => {
    const polyglot = Buffer.from("%PDF-1.4\n%<html><body><script>fetch('/api/v1/projects')</script></body></html>\n1 0 obj << >> endobj\n%%EOF");
    const error = await refusal(input("application/pdf", "statement.pdf", polyglot));
    expect(error.reason).toBe("active_content");
    expect(error.message).toMatch(/PDF also contains web page markup/);
  });

  it("a PNG with a script appended is refused the same way", async () => {
    expect((await refusal(input("image/png", "a.png", Buffer.concat([PNG, Buffer.from("<script>alert(1)</script>")])))).reason).toBe("active_content");
  });

  it("SVG, by type, by name or by content", async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
    expect((await refusal(input("image/svg+xml", "logo.svg", svg))).message).toMatch(/SVG images are not accepted/);
    expect((await refusal(input("image/png", "logo.svg", svg))).message).toMatch(/SVG/);
    expect((await refusal(input("image/svg+xml", "logo.png", PNG))).message).toMatch(/SVG/);
    expect((await refusal(input("image/png", "logo.png", svg))).message).toBe("This file's contents are SVG, but its name says .png.");
    expect((await refusal(input("text/plain", "logo.txt", Buffer.from(`<?xml version="1.0"?>${svg}`)))).reason).toBe("active_content");
  });

  it("a ZIP renamed .docx that is not OOXML", async () => {
    const error = await refusal(input(DOCX, "contract.docx", readFileSync(fixture("plain.zip"))));
    expect(error.message).toBe("This file's contents are a ZIP archive, but its name says .docx.");
  });

  it("a DOCX renamed .xlsx", async () => {
    expect((await refusal(input(XLSX, "sheet.xlsx", readFileSync(fixture("minimal.docx"))))).message).toBe(
      "This file's contents are Word document (DOCX), but its name says .xlsx.",
    );
  });

  it("a PDF named .txt", async () => {
    expect((await refusal(input("text/plain", "notes.txt", PDF))).message).toBe("This file's contents are PDF, but its name says .txt.");
  });

  it("an empty file", async () => {
    const error = await refusal(input("application/pdf", "empty.pdf", Buffer.alloc(0)));
    expect(error).toMatchObject({ reason: "empty", message: "The file is empty.", code: "unsupported_media_type" });
  });

  it("types and extensions outside the allow-list, and names without an extension", async () => {
    expect((await refusal(input("application/zip", "archive.zip", readFileSync(fixture("plain.zip"))))).message).toMatch(/\.zip are not accepted/);
    expect((await refusal(input("application/x-msdownload", "setup.exe", Buffer.from("MZ\x90\x00")))).message).toMatch(/\.exe are not accepted/);
    expect((await refusal(input("text/html", "page.html", Buffer.from("<p>")))).message).toMatch(/\.html are not accepted/);
    expect((await refusal(input("application/pdf", "README", PDF))).message).toMatch(/no extension/);
    expect((await refusal(input("application/octet-stream", "report.pdf", PDF))).message).toMatch(/sent as application\/octet-stream, which is not accepted/);
  });

  it("text that is not UTF-8 text: invalid bytes, NUL, other control characters", async () => {
    expect((await refusal(input("text/plain", "a.txt", Buffer.from([0x61, 0xff, 0xfe, 0x62])))).reason).toBe("not_text");
    expect((await refusal(input("text/plain", "a.txt", Buffer.from("abc\0def")))).message).toMatch(/control characters/);
    expect((await refusal(input("text/csv", "a.csv", Buffer.from("a,b\x1b[31m\n")))).reason).toBe("not_text");
    expect((await refusal(input("text/plain", "a.txt", Buffer.from("a\u0085b")))).reason).toBe("not_text");
  });

  it("a multi-byte character cut at the end of a partial head is fine; cut at the end of the file is not", async () => {
    const bytes = Buffer.from("é".repeat(SNIFF_BYTES)); // 2 bytes each: the head ends inside nothing, then mid-file
    const head = Buffer.concat([Buffer.from("a"), bytes]).subarray(0, SNIFF_BYTES); // ends with a lone lead byte
    expect((await checkFileType({ declaredType: "text/plain", name: "a.txt", head, complete: false })).kind).toBe("text");
    expect((await refusal({ declaredType: "text/plain", name: "a.txt", head, complete: true })).reason).toBe("not_text");
  });
});

describe("the streaming text validator", () => {
  it("checks every chunk, keeping characters split across chunks", () => {
    const validator = createTextValidator();
    const bytes = Buffer.from("ünïcödé");
    validator.update(bytes.subarray(0, 1));
    validator.update(bytes.subarray(1));
    validator.end();
    const bad = createTextValidator();
    bad.update(Buffer.from("fine so far\n"));
    expect(() => bad.update(Buffer.from("then a NUL\0"))).toThrow(UnsupportedFileTypeError);
  });
});
