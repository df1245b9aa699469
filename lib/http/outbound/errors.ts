/**
 * SSRF-1/SSRF-2: why an outbound request was refused or failed. Every message is safe to show the user who typed the
 * URL: it may repeat the host name they gave, never an address it resolved to.
 */
export type OutboundRefusalReason =
  | "invalid_url"
  | "scheme"
  | "credentials"
  | "port"
  | "blocked_host"
  | "private_address"
  | "dns"
  | "too_many_redirects"
  | "too_large"
  | "timeout"
  | "content_type"
  | "http_status"
  | "connection";

export class OutboundRefusedError extends Error {
  readonly reason: OutboundRefusalReason;
  /** The remote's HTTP status, for `http_status`. */
  readonly httpStatus?: number;

  constructor(reason: OutboundRefusalReason, message: string, options?: { httpStatus?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "OutboundRefusedError";
    this.reason = reason;
    if (options?.httpStatus !== undefined) this.httpStatus = options.httpStatus;
  }
}

/** A programming or configuration mistake in how the client was called (never caused by the remote or the URL). */
export class OutboundConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutboundConfigurationError";
  }
}
