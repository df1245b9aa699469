import "server-only";
import Mux, { APIConnectionError, APIConnectionTimeoutError, APIError } from "@mux/mux-node";
import { env } from "@/lib/env";
import { AppError } from "@/lib/errors";

/**
 * BIL-2: the Mux SDK client, built once from lib/env (never from the SDK's own reading of process.env: every option is
 * passed, absent ones as null). SSRF-2: a time limit per request and one retry (the SDK retries timeouts, 408/409/429
 * and 5xx). Null when Mux is not configured: callers then say video is not configured.
 */
const globalForMux = globalThis as unknown as { __tenantguardMux?: Mux };

export const MUX_API_ORIGIN = "https://api.mux.com";
/** Requests one upload creation may send: the first and one retry. */
export const MUX_MAX_RETRIES = 1;

export function muxClient(): Mux | null {
  if (!env.muxConfigured) return null;
  globalForMux.__tenantguardMux ??= new Mux({
    tokenId: env.MUX_TOKEN_ID!,
    tokenSecret: env.MUX_TOKEN_SECRET!,
    authorizationToken: null,
    webhookSecret: null,
    jwtSigningKey: env.muxSignedPlayback ? env.MUX_SIGNING_KEY_ID! : null,
    jwtPrivateKey: env.muxSignedPlayback ? env.MUX_SIGNING_PRIVATE_KEY! : null,
    baseURL: env.MUX_API_URL ?? MUX_API_ORIGIN,
    timeout: env.MUX_API_TIMEOUT_MS,
    maxRetries: MUX_MAX_RETRIES,
    logLevel: "off",
  });
  return globalForMux.__tenantguardMux;
}

/** Why Mux refused or failed, for logs: the kind and the HTTP status, never a body (it can echo what we sent). */
export function muxFailureKind(error: unknown): string {
  if (error instanceof APIConnectionTimeoutError) return "timeout";
  if (error instanceof APIConnectionError) return "connection";
  if (error instanceof APIError) return `http_${error.status ?? "unknown"}`;
  return error instanceof Error ? error.name : "unknown";
}

/** VAL-3: a Mux failure as a message for the person who asked, saying that nothing was saved. */
export function muxFailure(error: unknown): AppError {
  if (error instanceof APIConnectionTimeoutError) {
    return new AppError("unavailable", "Mux did not answer in time, so no upload was started and nothing was saved. Please try again.");
  }
  if (error instanceof APIConnectionError) {
    return new AppError("unavailable", "Mux could not be reached, so no upload was started and nothing was saved. Please try again.");
  }
  if (error instanceof APIError && (error.status === 401 || error.status === 403)) {
    return new AppError(
      "unavailable",
      "Mux refused this deployment's API credentials, so no upload was started and nothing was saved. An administrator must check MUX_TOKEN_ID and MUX_TOKEN_SECRET.",
    );
  }
  if (error instanceof APIError && error.status === 429) {
    return new AppError("rate_limited", "Mux is limiting requests right now, so no upload was started and nothing was saved. Please try again in a minute.");
  }
  return new AppError("unavailable", "Mux could not create the upload, so nothing was saved. Please try again.");
}
