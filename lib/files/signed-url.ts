import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { env } from "@/lib/env";
import { AppError } from "@/lib/errors";

/**
 * FILE-3: download tokens. An HMAC-SHA256 over (document, organisation, expiry) with FILE_URL_SECRET, five minutes
 * by default, verified in constant time. Whether the caller may read the document (RLS) and whether the file is
 * clean are the issuer's checks; this module only makes tokens that cannot be forged, stretched or moved.
 */

export const DEFAULT_DOWNLOAD_TTL_SECONDS = 300;
export const MAX_DOWNLOAD_TTL_SECONDS = 3600;
const VERSION = "v1";
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAC_BYTES = 32;

export type DownloadTokenRefusal = "malformed" | "tampered" | "expired" | "wrong_org" | "wrong_document";

export class DownloadTokenError extends AppError {
  constructor(readonly reason: DownloadTokenRefusal) {
    // One message for every reason: the caller learns nothing about which part failed.
    super("not_found", "This download link is invalid or has expired.");
    this.name = "DownloadTokenError";
  }
}

export interface DownloadGrant {
  documentId: string;
  orgId: string;
  expiresAt: Date;
}

function mac(secret: Uint8Array, documentId: string, orgId: string, expires: number): Buffer {
  return createHmac("sha256", secret).update(`tenantguard-download:${VERSION}\n${documentId}\n${orgId}\n${expires}`).digest();
}

/** Issues a token for one document of one organisation. */
export async function signDownloadToken(
  grant: { documentId: string; orgId: string },
  options: { ttlSeconds?: number; now?: Date; secret?: Uint8Array } = {},
): Promise<{ token: string; expiresAt: Date }> {
  if (!ID.test(grant.documentId) || !ID.test(grant.orgId)) throw new AppError("invalid_input", "Invalid document or organisation id.");
  const ttl = options.ttlSeconds ?? DEFAULT_DOWNLOAD_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_DOWNLOAD_TTL_SECONDS) throw new AppError("invalid_input", `A download link lasts 1 to ${MAX_DOWNLOAD_TTL_SECONDS} seconds.`);
  const secret = options.secret ?? (await downloadSecret());
  const expires = Math.floor((options.now ?? new Date()).getTime() / 1000) + ttl;
  const signature = mac(secret, grant.documentId, grant.orgId, expires).toString("base64url");
  return { token: `${VERSION}.${grant.documentId}.${grant.orgId}.${expires}.${signature}`, expiresAt: new Date(expires * 1000) };
}

/**
 * Verifies a token: its MAC (constant time, full length), then its expiry, then that it names the expected
 * organisation (the caller's) and document when given. Throws DownloadTokenError.
 */
export async function verifyDownloadToken(
  token: string,
  expected: { orgId?: string; documentId?: string } = {},
  options: { now?: Date; secret?: Uint8Array } = {},
): Promise<DownloadGrant> {
  const parts = typeof token === "string" && token.length <= 512 ? token.split(".") : [];
  const [version, documentId, orgId, expiresText, signatureText] = parts;
  if (parts.length !== 5 || version !== VERSION || !ID.test(documentId!) || !ID.test(orgId!) || !/^[0-9]{1,12}$/.test(expiresText!)) {
    throw new DownloadTokenError("malformed");
  }
  const signature = Buffer.from(signatureText!, "base64url");
  // base64url decoding skips stray characters: the text must be the canonical encoding of exactly 32 bytes.
  if (signature.byteLength !== MAC_BYTES || signature.toString("base64url") !== signatureText) throw new DownloadTokenError("malformed");
  const expires = Number(expiresText);
  const secret = options.secret ?? (await downloadSecret());
  if (!timingSafeEqual(signature, mac(secret, documentId!, orgId!, expires))) throw new DownloadTokenError("tampered");
  if (Math.floor((options.now ?? new Date()).getTime() / 1000) >= expires) throw new DownloadTokenError("expired");
  if (expected.orgId !== undefined && expected.orgId !== orgId) throw new DownloadTokenError("wrong_org");
  if (expected.documentId !== undefined && expected.documentId !== documentId) throw new DownloadTokenError("wrong_document");
  return { documentId: documentId!, orgId: orgId!, expiresAt: new Date(expires * 1000) };
}

/**
 * FILE_URL_SECRET when set (every instance must share it; required in production unless ALLOW_EMBEDDED_IN_PRODUCTION);
 * otherwise one generated on first use and kept in FILE_URL_KEY_FILE (git-ignored .data/, mode 0600).
 */
export async function loadDownloadSecret(file = env.FILE_URL_KEY_FILE): Promise<Buffer> {
  if (env.FILE_URL_SECRET) return Buffer.from(env.FILE_URL_SECRET, "utf8");
  if (env.NODE_ENV === "production" && !env.ALLOW_EMBEDDED_IN_PRODUCTION) {
    throw new AppError("unavailable", "FILE_URL_SECRET is required in production (at least 32 bytes, the same on every instance).");
  }
  const resolved = path.resolve(file);
  const read = async () => Buffer.from((JSON.parse(await readFile(resolved, "utf8")) as { secret: string }).secret, "base64url");
  try {
    return await read();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await mkdir(path.dirname(resolved), { recursive: true });
  // Written aside and linked into place: concurrent first starts agree on one secret.
  const temporary = `${resolved}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(temporary, JSON.stringify({ secret: randomBytes(48).toString("base64url") }), { mode: 0o600 });
  try {
    await link(temporary, resolved);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    await rm(temporary, { force: true });
  }
  return read();
}

const globalForSecret = globalThis as unknown as { __tenantguardFileUrlSecret?: Promise<Buffer> };

function downloadSecret(): Promise<Buffer> {
  globalForSecret.__tenantguardFileUrlSecret ??= loadDownloadSecret().catch((error: unknown) => {
    globalForSecret.__tenantguardFileUrlSecret = undefined;
    throw error;
  });
  return globalForSecret.__tenantguardFileUrlSecret;
}

/** RFC 5987 attr-char: everything else is percent-encoded (encodeURIComponent leaves ' ( ) * as they are). */
function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * FILE-3: headers for serving a stored file: always an attachment (RFC 6266, with an ASCII fallback name and the
 * exact UTF-8 name in filename*), the stored type with nosniff, a CSP that lets nothing run, never cached.
 */
export function downloadHeaders(contentType: string, name: string): Record<string, string> {
  if (!/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*(?:; ?charset=utf-8)?$/i.test(contentType)) {
    throw new AppError("internal", "Invalid stored content type.");
  }
  const clean = name.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, "").replace(/[/\\]/g, "_") || "download";
  const fallback = clean.normalize("NFKD").replace(/\p{M}/gu, "").replace(/[^\x20-\x7E]/g, "_").replace(/["\\%;]/g, "_");
  return {
    "Content-Type": contentType,
    "Content-Disposition": `attachment; filename="${fallback}"; filename*=UTF-8''${encodeRfc5987(clean)}`,
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Referrer-Policy": "no-referrer",
  };
}
