import { AppError } from "@/lib/errors";

export class PayloadTooLargeError extends AppError {
  constructor(readonly limit: number) {
    super("payload_too_large", `The request body is larger than ${limit} bytes.`);
  }
}

/**
 * VAL-2: the bytes of a request body, stopping as soon as they pass `limit` (a missing or false Content-Length
 * cannot make us buffer more), giving up after `timeoutMs`. The one capped reader: readBody and the webhook routes'
 * readRawBody (lib/webhooks/raw-body.ts) decode what it returns.
 */
export async function readBodyBytes(request: Request, limit: number, timeoutMs = 10_000): Promise<Buffer> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > limit) throw new PayloadTooLargeError(limit);
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const timer = setTimeout(() => void reader.cancel(new Error("body read timed out")), timeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw new PayloadTooLargeError(limit);
      }
      chunks.push(value);
    }
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks);
}

/** VAL-2: a request body as text (readBodyBytes, decoded as UTF-8). */
export async function readBody(request: Request, limit: number, timeoutMs = 10_000): Promise<string> {
  return (await readBodyBytes(request, limit, timeoutMs)).toString("utf8");
}

export class UnsupportedMediaTypeError extends AppError {
  constructor() {
    super("unsupported_media_type", "Send the body as application/json (UTF-8).");
  }
}

/**
 * VAL-1: a body is JSON only when it says so: `application/json` or a `+json` type, with no charset but UTF-8
 * (RFC 8259). A body sent as text/plain, a form or with no Content-Type is refused (415), not guessed at.
 */
export function isJsonMediaType(contentType: string | null): boolean {
  if (!contentType) return false;
  const [essence = "", ...params] = contentType.split(";").map((p) => p.trim().toLowerCase());
  if (!/^application\/(?:[a-z0-9.!#$&^_-]+\+)?json$/.test(essence)) return false;
  const charset = params.find((p) => p.startsWith("charset="))?.slice("charset=".length).replace(/^"|"$/g, "");
  return charset === undefined || charset === "utf-8" || charset === "utf8";
}
