export const REQUEST_ID_HEADER = "x-request-id";
const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** OBS-3: a caller's request id is kept only when well-formed (no log injection); otherwise we make one. */
export function acceptRequestId(candidate: string | null): string {
  return candidate && REQUEST_ID.test(candidate) ? candidate : crypto.randomUUID();
}
