import { maskString } from "@/lib/observability/pii";

const MAX_ERROR_LENGTH = 300;

/**
 * What is kept of a failure (the job's last_error, the log line): the error's name and the first line of its
 * message, masked (OBS-2) and bounded. Never a stack, never the payload, never a cause chain (a driver's cause can
 * carry a connection string).
 */
export function describeFailure(error: unknown): string {
  const name = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? error.message : typeof error === "string" ? error : "non-error thrown";
  const firstLine = message.split(/\r?\n/, 1)[0] ?? "";
  // Credentials inside URLs (postgres://user:pass@host) are cut whatever the masker recognises.
  const withoutUrlCredentials = firstLine.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, "$1***@");
  return `${name}: ${maskString(withoutUrlCredentials)}`.slice(0, MAX_ERROR_LENGTH);
}
