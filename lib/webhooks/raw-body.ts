import { PayloadTooLargeError } from "@/lib/http/body";

export { PayloadTooLargeError };

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * VAL-2 / WH-1: the raw body of a delivery, stopping as soon as it passes `limit` bytes, decoded as strict UTF-8 so
 * the string holds exactly the bytes the provider signed (invalid UTF-8 yields null: not a provider's JSON).
 */
export async function readRawBody(request: Request, limit: number, timeoutMs = 10_000): Promise<string | null> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > limit) throw new PayloadTooLargeError(limit);
  if (!request.body) return "";
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
  try {
    return STRICT_UTF8.decode(Buffer.concat(chunks));
  } catch {
    return null;
  }
}
