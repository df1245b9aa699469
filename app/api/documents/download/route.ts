import { serveDownload } from "@/lib/documents/download";

export const dynamic = "force-dynamic";

/**
 * FILE-3: serves a clean document to whoever holds a valid download token (no cookie: the token is the credential),
 * rate limited per client IP and per the token's organisation (RL-1: 429 with Retry-After). Every other refusal
 * (malformed, tampered, expired, another org's, deleted, not clean) is the same 404 (TEN-4).
 */
export const GET = serveDownload;
