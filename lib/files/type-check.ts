import { fileTypeFromBuffer, fileTypeFromStream } from "file-type";
import { Readable } from "node:stream";
import { AppError } from "@/lib/errors";

/**
 * FILE-1: the upload allow-list, checked three ways. The declared MIME type, the file name's extension and the type
 * sniffed from the bytes must all name the same allowed kind; anything else is refused with a message naming what
 * was found. Client-provided types and names are never trusted on their own.
 */

export type FileKind = "pdf" | "png" | "jpeg" | "webp" | "text" | "csv" | "docx" | "xlsx";

interface KindSpec {
  label: string;
  /** The type a document of this kind is stored and served with. */
  mime: string;
  /** Declared types accepted for it (browsers and operating systems disagree on a few). */
  declared: readonly string[];
  extensions: readonly string[];
}

const DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

export const FILE_KINDS: Record<FileKind, KindSpec> = {
  pdf: { label: "PDF", mime: "application/pdf", declared: ["application/pdf"], extensions: ["pdf"] },
  png: { label: "PNG", mime: "image/png", declared: ["image/png"], extensions: ["png"] },
  jpeg: { label: "JPEG", mime: "image/jpeg", declared: ["image/jpeg", "image/pjpeg"], extensions: ["jpg", "jpeg"] },
  webp: { label: "WebP", mime: "image/webp", declared: ["image/webp"], extensions: ["webp"] },
  text: { label: "plain text", mime: "text/plain; charset=utf-8", declared: ["text/plain"], extensions: ["txt"] },
  // Windows browsers declare .csv as application/vnd.ms-excel; the content check still requires UTF-8 text.
  csv: {
    label: "CSV",
    mime: "text/csv; charset=utf-8",
    declared: ["text/csv", "application/csv", "text/x-csv", "application/vnd.ms-excel", "text/plain"],
    extensions: ["csv"],
  },
  docx: { label: "Word document (DOCX)", mime: DOCX, declared: [DOCX], extensions: ["docx"] },
  xlsx: { label: "Excel workbook (XLSX)", mime: XLSX, declared: [XLSX], extensions: ["xlsx"] },
};

/** How many leading bytes the checks read (the upload stream captures this much). */
export const SNIFF_BYTES = 64 * 1024;

/** Markup that makes a browser (or an old one's sniffer) render a file as a page: refused in every kind. */
const MARKUP = /<(?:html|!doctype\s+html|script|svg|body|iframe|object|embed)[\s>/]/i;
/** Text files may not start as markup of any kind, XML included (SVG is XML). */
const LEADING_MARKUP = /^(?:\xEF\xBB\xBF)?\s*<(?:html|!doctype|svg|script|\?xml|body|head|iframe)/i;
/** How far into a text file the markup check looks: what browsers' sniffers read (MIME Sniffing Standard: 1445 bytes). */
const TEXT_MARKUP_WINDOW = 2048;

const SNIFFED_LABEL: Record<string, string> = {
  zip: "a ZIP archive",
  html: "HTML",
  xml: "XML",
  svg: "SVG",
  gif: "GIF",
  exe: "a Windows program",
  elf: "a Linux program",
  doc: "a legacy Word document (DOC)",
  xls: "a legacy Excel workbook (XLS)",
  cfb: "a legacy Office document",
};

export type TypeRefusalReason = "empty" | "not_allowed" | "mismatch" | "active_content" | "not_text";

export class UnsupportedFileTypeError extends AppError {
  constructor(
    readonly reason: TypeRefusalReason,
    message: string,
    readonly found: { declared: string; extension: string | null; sniffed: string | null },
  ) {
    super("unsupported_media_type", message);
    this.name = "UnsupportedFileTypeError";
  }
}

export interface TypeCheckInput {
  /** The MIME type the client declared (Content-Type of the part or request). */
  declaredType: string;
  /** The file name as the client sent it (sanitise it with lib/files/names.ts first). */
  name: string;
  /** The first bytes of the file: SNIFF_BYTES, or all of it when smaller. */
  head: Uint8Array;
  /** Whether `head` is the whole file. */
  complete: boolean;
  /**
   * Opens the whole file again (e.g. from quarantine): used only when the head holds a ZIP whose OOXML entries lie
   * beyond it, so a large DOCX/XLSX can still be recognised. Without it such a file is refused.
   */
  reopen?: () => Promise<Readable | ReadableStream<Uint8Array>>;
}

export interface TypeCheckResult {
  kind: FileKind;
  /** The type to store and serve the file with (never the declared one). */
  mime: string;
  extension: string;
}

function normaliseMime(value: string): string {
  return value.split(";")[0]!.trim().toLowerCase();
}

export function extensionOf(name: string): string | null {
  const dot = name.lastIndexOf(".");
  if (dot <= 0 || dot === name.length - 1) return null;
  return name.slice(dot + 1).toLowerCase();
}

function kindByExtension(extension: string | null): FileKind | null {
  if (!extension) return null;
  for (const [kind, spec] of Object.entries(FILE_KINDS) as [FileKind, KindSpec][]) {
    if (spec.extensions.includes(extension)) return kind;
  }
  return null;
}

function kindBySniff(mime: string): FileKind | null {
  for (const [kind, spec] of Object.entries(FILE_KINDS) as [FileKind, KindSpec][]) {
    if (spec.mime === mime) return kind;
  }
  return null;
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/**
 * FILE-1: decides a file's kind from its declared type, name and first bytes. Throws UnsupportedFileTypeError
 * naming what was found when they disagree or name something outside the allow-list.
 */
export async function checkFileType(input: TypeCheckInput): Promise<TypeCheckResult> {
  const declared = normaliseMime(input.declaredType);
  const extension = extensionOf(input.name);
  const found = { declared, extension, sniffed: null as string | null };
  const refuse = (reason: TypeRefusalReason, message: string): never => {
    throw new UnsupportedFileTypeError(reason, message, found);
  };

  if (input.head.byteLength === 0) refuse("empty", "The file is empty.");

  if (declared === "image/svg+xml" || extension === "svg" || extension === "svgz") {
    refuse("not_allowed", "SVG images are not accepted: they can carry scripts. Convert it to PNG or PDF.");
  }
  const byExtension = kindByExtension(extension);
  if (!byExtension) {
    refuse("not_allowed", extension ? `Files ending in .${extension} are not accepted. ${allowedSentence()}` : `The file name has no extension. ${allowedSentence()}`);
  }
  const kind = byExtension!;
  const spec = FILE_KINDS[kind];
  if (!spec.declared.includes(declared)) {
    const declaredKind = (Object.keys(FILE_KINDS) as FileKind[]).find((k) => FILE_KINDS[k].declared.includes(declared) && k !== "csv");
    refuse(
      declaredKind ? "mismatch" : "not_allowed",
      declaredKind
        ? `This file was sent as ${FILE_KINDS[declaredKind].label} (${declared}), but its name says .${extension}.`
        : `This file was sent as ${declared || "no type"}, which is not accepted for .${extension} files. ${allowedSentence()}`,
    );
  }

  let sniffed = await fileTypeFromBuffer(input.head);
  if (sniffed?.ext === "zip" && (kind === "docx" || kind === "xlsx") && !input.complete && input.reopen) {
    // OOXML is recognised from the ZIP's entries; in a large file they may lie past the head.
    const opened = await input.reopen();
    // As a web stream: file-type's Node entry and its core entry (which a bundler may pick) both take one.
    const stream = opened instanceof Readable ? (Readable.toWeb(opened) as ReadableStream<Uint8Array>) : opened;
    try {
      sniffed = await fileTypeFromStream(stream as Parameters<typeof fileTypeFromStream>[0]);
    } finally {
      await stream.cancel().catch(() => undefined);
      if (opened instanceof Readable) opened.destroy();
    }
  }
  found.sniffed = sniffed?.mime ?? null;

  if (kind === "text" || kind === "csv") {
    const markup = looksLikeMarkup(input.head);
    if (markup === "SVG" || markup === "HTML" || markup === "XML") {
      refuse("active_content", `This file's contents are ${markup}, which is not accepted as text.`);
    }
    if (sniffed) {
      refuse("mismatch", `This file's contents are ${sniffedLabel(sniffed.ext, sniffed.mime)}, but its name says .${extension}.`);
    }
    checkTextHead(input.head, input.complete, refuse);
    return { kind, mime: spec.mime, extension: extension! };
  }

  if (!sniffed) {
    const text = looksLikeMarkup(input.head);
    refuse("mismatch", `This file's contents are ${text ?? "not a recognised file type"}, but its name says .${extension}.`);
  }
  const sniffedKind = kindBySniff(sniffed!.mime);
  if (sniffedKind !== kind) {
    refuse("mismatch", `This file's contents are ${sniffedLabel(sniffed!.ext, sniffed!.mime)}, but its name says .${extension}.`);
  }
  // Polyglots: a valid PDF (or image, or OOXML) whose first bytes also hold a page. Their binary structure never
  // needs these tags, so markup anywhere in the head means the file was built to be read two ways: refused.
  if (MARKUP.test(latin1(input.head))) {
    refuse("active_content", `This ${spec.label} also contains web page markup (HTML or script), so it is refused.`);
  }
  return { kind, mime: spec.mime, extension: extension! };
}

function sniffedLabel(ext: string, mime: string): string {
  const kind = kindBySniff(mime);
  if (kind) return FILE_KINDS[kind].label;
  return SNIFFED_LABEL[ext] ?? `${ext.toUpperCase()} (${mime})`;
}

function looksLikeMarkup(head: Uint8Array): string | null {
  const start = latin1(head.subarray(0, TEXT_MARKUP_WINDOW));
  if (/^(?:\xEF\xBB\xBF)?\s*<svg|<svg[\s>/]/i.test(start)) return "SVG";
  if (MARKUP.test(start) || LEADING_MARKUP.test(start)) return "HTML";
  if (/^(?:\xEF\xBB\xBF)?\s*<\?xml/i.test(start)) return "XML";
  return isText(head) ? "plain text" : null;
}

function isText(head: Uint8Array): boolean {
  try {
    const validator = createTextValidator();
    validator.update(head);
    return true;
  } catch {
    return false;
  }
}

function checkTextHead(head: Uint8Array, complete: boolean, refuse: (reason: TypeRefusalReason, message: string) => never): void {
  const validator = createTextValidator();
  try {
    validator.update(head);
    if (complete) validator.end();
  } catch (error) {
    if (error instanceof UnsupportedFileTypeError) refuse(error.reason, error.message);
    throw error;
  }
}

/**
 * FILE-1: text and CSV have no magic bytes, so their content is the check: valid UTF-8 with no control characters
 * but tab, CR and LF (no NUL). Feed every chunk of the upload through `update` (it keeps multi-byte sequences split
 * between chunks) and call `end` after the last one; either throws UnsupportedFileTypeError.
 */
export interface TextValidator {
  update(chunk: Uint8Array): void;
  end(): void;
}

export function createTextValidator(): TextValidator {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  // C0 controls except \t \n \r, DEL, C1 controls; U+FFFE/U+FFFF noncharacters.
  const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]/;
  const wrap = (fn: () => string) => {
    let text: string;
    try {
      text = fn();
    } catch {
      throw new UnsupportedFileTypeError("not_text", "This file is not valid UTF-8 text.", { declared: "", extension: null, sniffed: null });
    }
    if (CONTROL.test(text)) {
      throw new UnsupportedFileTypeError("not_text", "This file contains control characters (such as NUL), so it is not plain text.", {
        declared: "",
        extension: null,
        sniffed: null,
      });
    }
  };
  return {
    update: (chunk) => wrap(() => decoder.decode(chunk, { stream: true })),
    end: () => wrap(() => decoder.decode()),
  };
}

function allowedSentence(): string {
  return "Accepted: PDF, PNG, JPEG, WebP, plain text (.txt), CSV, Word (.docx) and Excel (.xlsx).";
}
