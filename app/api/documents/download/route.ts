import { Readable } from "node:stream";
import { openDownload } from "@/lib/documents/pipeline";
import { problem } from "@/lib/http/problem";
import { AppError } from "@/lib/errors";

export const dynamic = "force-dynamic";

/**
 * FILE-3: serves a clean document to whoever holds a valid download token (no cookie: the token is the credential).
 * Every refusal (malformed, tampered, expired, another org's, deleted, not clean) is the same 404 (TEN-4).
 */
export async function GET(request: Request): Promise<Response> {
  const token = new URL(request.url).searchParams.get("token") ?? "";
  try {
    const { headers, body } = await openDownload(token);
    return new Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, { status: 200, headers });
  } catch (error) {
    if (error instanceof AppError && error.code === "not_found") return problem("not_found", error.message);
    return problem("internal", "The file could not be served.");
  }
}
