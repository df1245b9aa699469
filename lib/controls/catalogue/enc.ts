import { evidence, family } from "../types";

const ENV = "tests/unit/env.test.ts";

export const ENC = family("ENC", [
  {
    id: "ENC-1",
    title: "Envelope encryption of integration credentials",
    description:
      "Third-party credentials an organisation stores are encrypted at rest with AES-256-GCM under a per-organisation data key, which is itself wrapped by a versioned key-encryption key from the environment. Key ids are stored with each ciphertext, and associated data binds it to its organisation and record.",
    status: "planned",
    issue: 17,
    implementation: [],
    evidence: [],
  },
  {
    id: "ENC-2",
    title: "Online key rotation",
    description:
      "A command re-wraps data keys under a new key-encryption key, or re-encrypts records under fresh data keys, in resumable batches while the app keeps serving; old keys keep decrypting until a check proves nothing uses them.",
    status: "planned",
    issue: 17,
    implementation: [],
    evidence: [],
  },
  {
    id: "ENC-3",
    title: "Validated configuration; unsafe production refused",
    description:
      "Every setting is read from the environment and parsed once, with Zod, in `lib/env.ts`; nothing else reads `process.env`. A bad value stops the build and the start, and so does an unsafe production configuration (embedded components, rate limits in memory, a spoofable client address, non-https origins, wildcard credentialed CORS). A demo deployment says at start exactly what its flag permits. Secrets are never logged.",
    status: "implemented",
    implementation: ["lib/env.ts", "next.config.ts", "lib/observability/logger.ts"],
    evidence: [
      evidence(ENV, "accepts a safe production configuration"),
      evidence(ENV, "refuses %s in production"),
      evidence(ENV, "rejects malformed values"),
      evidence(ENV, "a demo start says plainly what the flag permits"),
      evidence("tests/unit/observability-logger.test.ts", "secrets never reach the log output"),
      evidence("tests/integration/controls-checks.test.ts", "embedded-in-production fails for a production configuration that uses embedded components"),
    ],
  },
  {
    id: "ENC-4",
    title: "TLS to the database and services in production",
    description:
      "In production TenantGuard connects to PostgreSQL only with `sslmode=require` or stricter, to Redis only over `rediss://`, and to Upstash, Sentry and the OTLP collector only over https, and refuses to start otherwise. Marking a deployment as a demo permits its embedded components and nothing else: a real database or Redis still needs TLS.",
    status: "implemented",
    implementation: ["lib/env.ts"],
    evidence: [
      evidence(ENV, "refuses %s in production"),
      evidence(ENV, "the demo flag still refuses %s"),
      evidence(ENV, "services on this machine (loopback) need no TLS"),
    ],
    limitations: ["Services on the loopback interface are exempt (their traffic never leaves the host); certificate verification depends on the sslmode chosen (`require` encrypts without verifying the server)."],
  },
  {
    id: "ENC-5",
    title: "Personal credentials visible only to their owner",
    description:
      "A user's own third-party tokens are encrypted like organisation credentials and are readable and usable only by that user: row-level security keys them on the user id, so not even the organisation's admins can read them.",
    status: "planned",
    issue: 17,
    implementation: [],
    evidence: [],
  },
]);
