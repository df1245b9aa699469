import { evidence, family } from "../types";

const ENV = "tests/unit/env.test.ts";
const ENCRYPTION = "tests/integration/encryption.test.ts";
const CREDENTIALS = "tests/integration/credentials.test.ts";

export const ENC = family("ENC", [
  {
    id: "ENC-1",
    title: "Envelope encryption of integration credentials",
    description:
      "Third-party credentials an organisation stores are encrypted at rest with AES-256-GCM under a per-organisation data key, which is itself wrapped by a versioned key-encryption key from the environment (ENCRYPTION_KEYS, never stored in the database or logged). Every ciphertext names its format version, data key and key-encryption key, has its own random IV and a key commitment, and its associated data binds it to its organisation, table, column and row, so a value copied anywhere else fails to decrypt. Admins store, replace, test and delete them write-only: the browser sees the last 4 characters, who set them and when. A missing or wrong key-encryption key stops the app at start, naming the key.",
    status: "implemented",
    implementation: ["lib/crypto/index.ts", "lib/crypto/envelope.ts", "lib/crypto/provider.ts", "lib/crypto/keyring.ts", "lib/crypto/key-check.ts", "lib/credentials/manage.ts", "supabase/migrations/20261203030000_encryption.sql", "docs/encryption.md"],
    evidence: [
      evidence(ENCRYPTION, "round trip"),
      evidence(ENCRYPTION, "a tampered %s fails to decrypt"),
      evidence(ENCRYPTION, "the same plaintext twice gives different ciphertexts"),
      evidence(ENCRYPTION, "associated data: a ciphertext moved to another row, another column or another org's row fails"),
      evidence(ENCRYPTION, "a missing KEK is a clear refusal naming the key id"),
      evidence(ENCRYPTION, "a KEK with the right id but the wrong material is a clear refusal naming the key id"),
      evidence("tests/unit/encryption-keys.test.ts", "production refuses to start without ENCRYPTION_KEYS"),
      evidence("tests/unit/encryption-keys.test.ts", "parses versioned keys and the active one, and never shows key material"),
      evidence(CREDENTIALS, "store, replace, test and delete"),
      evidence(CREDENTIALS, "the plaintext appears in no log line"),
    ],
    limitations: ["The environment-key provider is the tested one; a cloud KMS fits the KeyProvider interface (lib/crypto/provider.ts) but no KMS provider ships."],
  },
  {
    id: "ENC-2",
    title: "Online key rotation",
    description:
      "`npm run keys:rotate` re-wraps every data key under the active key-encryption key, and `--reencrypt` re-encrypts every value under fresh data keys, both in short batches that lock only their own rows, so the app keeps serving; a run stopped at any point resumes where it left off. Old keys keep decrypting until a query proves no data key uses them; `npm run keys:retire` refuses before that. Decryption failures are errors, never a fallback.",
    status: "implemented",
    implementation: ["lib/crypto/rotation.ts", "scripts/keys.ts", "lib/crypto/live-check.ts"],
    evidence: [
      evidence(ENCRYPTION, "rotation killed half-way then resumed"),
      evidence(ENCRYPTION, "keys:retire refuses while any data key still references the KEK"),
    ],
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
      "A user's own third-party tokens are encrypted like organisation credentials and are readable and usable only by that user: row-level security keys them on the user id and the organisation, so not even the organisation's admins can read, change or delete them. One function resolves which credential a call uses: the caller's own, then the organisation's, then none.",
    status: "implemented",
    implementation: ["lib/credentials/resolve.ts", "lib/credentials/store.ts", "supabase/migrations/20261203030000_encryption.sql"],
    evidence: [
      evidence(CREDENTIALS, "A's token is invisible to B and to A's org admins"),
      evidence(CREDENTIALS, "resolution order: personal, then org, then none"),
    ],
  },
]);
