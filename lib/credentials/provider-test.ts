import "server-only";
import { env } from "@/lib/env";
import { OutboundRefusedError, outboundFetch } from "@/lib/http/outbound";
import { SERVICES, type Service } from "./services";

/**
 * "Test" on the integrations page: one authenticated read against the provider, through the one outbound client
 * (SSRF-2 timeouts, no retry of a refused credential). The result names the outcome, never the secret.
 */
export interface ProviderTestResult {
  ok: boolean;
  message: string;
}

const ENDPOINTS: Partial<Record<Service, () => string>> = {
  nylas: () => `${env.NYLAS_API_URL ?? "https://api.us.nylas.com"}/v3/grants?limit=1`,
  dub: () => `${env.DUB_API_URL ?? "https://api.dub.co"}/links?pageSize=1`,
};

export async function testProviderCredential(service: Service, secret: string): Promise<ProviderTestResult> {
  const label = SERVICES[service].label;
  const endpoint = ENDPOINTS[service];
  if (!endpoint) return { ok: true, message: `The ${SERVICES[service].what} is stored and decrypts. It is not sent anywhere to test it.` };
  try {
    const response = await outboundFetch(endpoint(), {
      headers: { authorization: `Bearer ${secret}`, accept: "application/json" },
      timeouts: { connectMs: 3_000, headersMs: 5_000, totalMs: 8_000 },
      retry: { retries: 0 },
    });
    await response.body?.cancel();
    if (response.ok) return { ok: true, message: `${label} accepted the credential.` };
    if (response.status === 401 || response.status === 403) return { ok: false, message: `${label} rejected the credential (HTTP ${response.status}).` };
    return { ok: false, message: `${label} answered HTTP ${response.status}; the credential could not be confirmed.` };
  } catch (error) {
    if (error instanceof OutboundRefusedError) {
      return { ok: false, message: `Could not reach ${label} (${error.reason === "timeout" ? "timed out" : "no connection"}). Nothing was changed.` };
    }
    throw error;
  }
}
