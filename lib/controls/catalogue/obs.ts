import { evidence, family } from "../types";

export const OBS = family("OBS", [
  {
    id: "OBS-1",
    title: "Sentry with a PII scrubber",
    description:
      "With a DSN configured, errors and traces go to Sentry; every event, breadcrumb, transaction and span passes through a scrubber first, which redacts credential headers, drops cookies and query strings and masks personal data. Without a DSN nothing is initialised.",
    status: "implemented",
    implementation: ["lib/observability/sentry-options.ts", "instrumentation.ts"],
    evidence: [
      evidence("tests/unit/observability-sentry.test.ts", "request: credential headers redacted, cookies and query string dropped, body masked"),
      evidence("tests/unit/observability-sentry.test.ts", "the envelope does not contain %s"),
      evidence("tests/unit/observability-instrumentation.test.ts", "initialises Sentry with the scrubbing options when SENTRY_DSN is set"),
    ],
  },
  {
    id: "OBS-2",
    title: "PII masking",
    description:
      "One masking library finds personal and secret data (email addresses, phone and card numbers, API keys and JWTs, query strings of URLs) in any string or nested value and masks it; the logger and error reporting both use it, and secret-named fields are redacted whatever their value.",
    status: "implemented",
    implementation: ["lib/observability/pii.ts", "lib/observability/pii-text.ts"],
    evidence: [
      evidence("tests/unit/observability-pii.property.test.ts", "maskString: no generated secret survives in any position of a string"),
      evidence("tests/unit/observability-pii.property.test.ts", "maskValue: no generated secret survives nested"),
      evidence("tests/unit/observability-logger.test.ts", "emails, cards and secret-named fields nested in data"),
    ],
  },
  {
    id: "OBS-3",
    title: "Structured logs with request ids",
    description:
      "Logs are structured JSON, each line stamped with the request id, organisation and route. A well-formed `X-Request-ID` from the caller is kept and returned, otherwise one is generated, so a partner's report can be matched to the app's log.",
    status: "implemented",
    implementation: ["lib/observability/logger.ts", "lib/http/request-id.ts", "proxy.ts", "lib/audit/alerts.ts"],
    evidence: [
      evidence("tests/unit/observability-logger.test.ts", "stamps every line with requestId, orgId and route, as JSON"),
      evidence("tests/unit/request-id.test.ts", "keeps a well-formed caller id"),
      // Security events: high and critical ones are one error-level line each, counted in security_alerts_total (lib/audit/alerts.ts).
      evidence("tests/integration/audit-checkpoints.test.ts", "every event has a severity; 20 failed key verifications from one address in a minute raise one high alert"),
    ],
  },
  {
    id: "OBS-4",
    title: "Health endpoints",
    description:
      "`/health/live` answers without touching dependencies; `/health/ready` turns 503 when the database is down or a configured virus scanner does not answer, and reports Redis outages as degraded and file storage that does not answer as down (not required); `/health/status` says which embedded defaults are in use, whether the database session is a superuser, whether file storage answers (S3 HeadBucket, or the local directory) and the virus scanner's state (off and why, its version, or down), without a single secret, path or address; `/health/metrics` serves Prometheus text behind a token. It also lists the scheduled maintenance tasks with their last status and next run. Live checks report the scanner, the storage, documents waiting for their scan and dead jobs.",
    status: "implemented",
    implementation: [
      "lib/health/index.ts",
      "lib/health/storage.ts",
      "app/health/live/route.ts",
      "app/health/ready/route.ts",
      "app/health/status/route.ts",
      "app/health/metrics/route.ts",
      "lib/observability/metrics.ts",
      "lib/controls/checks/documents.ts",
    ],
    evidence: [
      evidence("tests/integration/health-endpoints.test.ts", "/health/live answers without touching dependencies"),
      evidence("tests/integration/health-storage-scanner.test.ts", "clamd up: ok with its engine and signature version; stopped: /health/status says down and /health/ready answers 503 naming the scanner"),
      evidence("tests/integration/health-storage-scanner.test.ts", "S3: ok while the bucket answers a HeadBucket; down once the bucket is gone, with wrong credentials, or with the server stopped"),
      evidence("tests/integration/health-storage-scanner.test.ts", "local storage: ok when STORAGE_ROOT is a usable directory, down when it is not"),
      evidence("tests/integration/health-storage-scanner.test.ts", "Redis unreachable: readiness reports rate limiting degraded, not required"),
      evidence("tests/integration/health-storage-scanner.test.ts", "a clamd whose VERSION names its signature database: /health/status reports that version"),
      evidence("tests/integration/controls-checks-documents.test.ts", "virus-scanner passes while clamd answers, fails once the configured clamd is stopped"),
      evidence("tests/integration/controls-checks-documents.test.ts", "dead-jobs counts the dead-letter jobs by kind"),
      evidence("tests/integration/jobs-schedules.test.ts", "a failing task records its error (masked, first line, no stack)"),
      evidence("tests/integration/health-endpoints.test.ts", "/health/status reports version, uptime and embedded defaults, and no secrets"),
      evidence("tests/integration/health-endpoints.test.ts", "/health/status says whether the database session is a superuser"),
      evidence("tests/integration/health-ready.test.ts", "turns 503 when the database is unreachable, and recovers"),
      evidence("tests/integration/database-missing.test.ts", "/health/ready answers 503 and an action its 'unavailable' result"),
      evidence("tests/unit/observability-metrics.test.ts", "without METRICS_TOKEN: open outside production, closed in production"),
    ],
  },
]);
