import { evidence, family } from "../types";

const SSRF_TESTS = "tests/integration/outbound-ssrf.test.ts";
const FETCH_TESTS = "tests/integration/outbound-fetch.test.ts";
const ORACLE = "tests/unit/outbound-address-policy.property.test.ts";

export const SSRF = family("SSRF", [
  {
    id: "SSRF-1",
    title: "SSRF-safe URL import",
    description:
      "URL import fetches only http and https URLs whose every resolved address is plain public unicast: loopback, private, link-local, CGNAT, unique-local, IPv4-mapped forms and cloud metadata addresses are refused. The connection goes to the address that was checked (no DNS rebinding), every redirect is checked again, and size, time and content type are capped.",
    status: "implemented",
    implementation: [
      "lib/http/outbound/public-fetch.ts",
      "lib/http/outbound/url-policy.ts",
      "lib/http/outbound/address-policy.ts",
      "lib/http/outbound/resolver.ts",
      "lib/http/outbound/live-check.ts",
      "lib/env.ts",
      "lib/documents/pipeline.ts",
      "app/api/v1/projects/[id]/documents/imports/route.ts",
      "lib/documents/index.ts",
      "app/(dashboard)/projects/[id]/document-actions.ts",
    ],
    evidence: [
      evidence(SSRF_TESTS, "user-supplied URLs that would reach this machine are refused before connecting"),
      evidence(SSRF_TESTS, "private, reserved and metadata addresses are refused by the per-hop check"),
      evidence(SSRF_TESTS, "the table covers at least 40 URLs"),
      evidence(SSRF_TESTS, "a local test server is importable only when explicitly allow-listed"),
      evidence(SSRF_TESTS, "every redirect is checked from scratch"),
      evidence(SSRF_TESTS, "a name whose second resolution would differ is fetched from the first, checked answer only"),
      evidence(SSRF_TESTS, "a name whose second resolution differs is refused at the hop that resolves it again"),
      evidence(ORACLE, "the address policy agrees with the RFC-range oracle"),
      evidence(FETCH_TESTS, "the size cap holds while streaming"),
      evidence(FETCH_TESTS, "the content-type allow-list and the status"),
      evidence(FETCH_TESTS, "hands the body over as it arrives"),
      evidence(FETCH_TESTS, "a server that stalls times out"),
      evidence("tests/unit/outbound-env.test.ts", "refuses any allow-listed host in production"),
      evidence("tests/unit/outbound-live-check.test.ts", "SSRF-1 live check: URL import policy"),
      evidence("tests/integration/documents-pipeline.test.ts", "an allow-listed local server is imported: pending, then clean"),
      evidence("tests/integration/documents-pipeline.test.ts", "a private address (this same server, not allow-listed) is refused with 422 before any connection"),
      evidence("tests/integration/documents-import-action.test.ts", "a private address is refused before any connection: the reason is shown on the field and the typed URL is kept"),
      evidence("tests/integration/documents-import-action.test.ts", "is refused with its reason, nothing stored"),
      evidence("tests/integration/documents-import-action.test.ts", "the import class limits a user's imports (RL-1)"),
      evidence("tests/e2e/documents.e2e.ts", "URL import refuses a private address with its reason and keeps the typed URL"),
    ],
    limitations: [
      "Of several resolved addresses the first is connected to (all are checked); there is no fallback to the next one when it is unreachable.",
    ],
  },
  {
    id: "SSRF-2",
    title: "Timeouts and bounded retries on outbound calls",
    description:
      "Every outbound call TenantGuard makes goes through one client with a timeout and a bounded number of retries, so a slow or failing service cannot hold requests or workers.",
    status: "implemented",
    implementation: ["lib/http/outbound/client.ts", "lib/http/outbound/retry.ts", "lib/controls/checks/headers.ts"],
    evidence: [
      evidence(FETCH_TESTS, "a flaky server (503, then a dropped connection) is retried until the document comes"),
      evidence(FETCH_TESTS, "a server that keeps failing is tried 1 + retries times, then the fetch fails"),
      evidence(FETCH_TESTS, "Retry-After is waited for when it is within the cap"),
      evidence(FETCH_TESTS, "a Retry-After beyond the cap is not waited for"),
      evidence(FETCH_TESTS, "no retry is scheduled past the total deadline"),
      evidence(FETCH_TESTS, "a POST is not retried unless the caller says it is idempotent"),
      evidence(FETCH_TESTS, "outboundFetch times out a server that never answers"),
    ],
    limitations: [
      "SDKs make their own calls with their own timeouts and retries: Sentry (@sentry/nextjs), the OpenTelemetry OTLP exporter and Upstash Redis over REST (@upstash/redis).",
    ],
  },
]);
