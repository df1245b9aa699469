import { PayloadTooLargeError, readBodyBytes } from "@/lib/http/body";

export { PayloadTooLargeError };

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * VAL-2 / WH-1: the raw body of a delivery, stopping as soon as it passes `limit` bytes, decoded as strict UTF-8 so
 * the string holds exactly the bytes the provider signed (invalid UTF-8 yields null: not a provider's JSON).
 */
export async function readRawBody(request: Request, limit: number, timeoutMs = 10_000): Promise<string | null> {
  const bytes = await readBodyBytes(request, limit, timeoutMs);
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return null;
  }
}
