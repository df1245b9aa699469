import { z } from "zod";
import { developmentKeyring, parseEncryptionKeys, type Keyring } from "./crypto/keyring";
import { resolveFlags, securityFlagsOff, type ResolvedFlags } from "./flags/parse";
import flagFile from "../config/feature-flags.json";

/**
 * ENC-3: every setting the app reads is parsed here, once, with Zod. Nothing else reads process.env.
 * Unsafe production settings stop start-up (and `next build`, which imports this file) with a clear message.
 */

const booleanFlag = z
  .enum(["true", "false", "1", "0", ""])
  .optional()
  .transform((v) => v === "true" || v === "1");

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== "" ? v.trim() : undefined));

/**
 * WH-1: a provider's active webhook signing secrets, separated by commas or whitespace. Several are accepted at once
 * so a secret can be rotated without losing deliveries (add the new one, switch the provider, remove the old one).
 */
const webhookSecrets = (shape: RegExp, what: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v ?? "").split(/[\s,]+/).filter(Boolean))
    .pipe(z.array(z.string().regex(shape, what)).max(10));

const schema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  APP_URL: z.url().default("http://localhost:3000"),

  // Database: PostgreSQL when set, embedded PGlite otherwise.
  DATABASE_URL: optionalString.pipe(z.url().optional()),
  MIGRATION_DATABASE_URL: optionalString.pipe(z.url().optional()),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  /** Server-side prepared statements per connection (lib/db/engine.ts); unset: on, unless DATABASE_URL looks like a transaction-mode pooler. */
  DB_PREPARED_STATEMENTS: z
    .enum(["true", "false", "1", "0", ""])
    .optional()
    .transform((v) => (v === undefined || v === "" ? undefined : v === "true" || v === "1")),
  /** KEY-2: how often each instance writes its buffered API-key verification log (milliseconds). */
  API_KEY_LOG_FLUSH_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  PGLITE_DATA_DIR: z.string().default(".data/pglite"),
  /**
   * Tests only (honoured when NODE_ENV=test, ignored otherwise): a migrated PGlite data directory, as PGlite's
   * dumpDataDir writes it, that an in-memory PGLITE_DATA_DIR (memory://) starts from instead of initdb; migrations
   * still run on open and apply whatever it lacks. The test suite's global setup makes it (tests/helpers/global-setup.ts).
   */
  PGLITE_SNAPSHOT: optionalString,
  /** lib/jobs: run the job worker inside the app's process. Unset: on with PGlite (one database per process) and in development. */
  JOBS_IN_PROCESS: z
    .enum(["true", "false", "1", "0", ""])
    .optional()
    .transform((v) => (v === undefined || v === "" ? undefined : v === "true" || v === "1")),
  JOBS_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
  JOBS_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  NEXT_PHASE: optionalString,

  // Rate limiting (RL-2): Upstash in production, a local Redis through REDIS_URL, in-memory otherwise.
  REDIS_URL: optionalString.pipe(z.url().optional()),
  UPSTASH_REDIS_REST_URL: optionalString.pipe(z.url().optional()),
  UPSTASH_REDIS_REST_TOKEN: optionalString,
  /** RL-2: namespace of every rate-limit key in Redis; instances that share limits share it. */
  RATE_LIMIT_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, "letters, digits and _ . : - only, at most 64 characters")
    .default("tg:rl"),

  // Where the client address comes from (lib/http/client-address.ts): key IP allow-lists, per-IP limits, audit IP.
  // Unset: `socket` in production (`vercel` on Vercel), `forwarded` in development and tests.
  CLIENT_IP_SOURCE: z.enum(["socket", "forwarded", "vercel"]).optional(),
  // CLIENT_IP_SOURCE=forwarded: how many proxies we run in front of the app append to X-Forwarded-For.
  TRUSTED_PROXY_HOPS: optionalString.pipe(z.coerce.number<string | undefined>().int().min(1).max(10).optional()),
  // Set to 1 by Vercel itself on its build and runtime hosts.
  VERCEL: optionalString,

  // Browser security (HDR-3): origins allowed to call cookie-authenticated routes cross-origin.
  CORS_ORIGINS: optionalString,

  // OPS-5: where vulnerabilities are reported, as /.well-known/security.txt Contact URIs (mailto:, https: or tel:),
  // separated by commas, most preferred first. Unset: mailto:security@ the host of APP_URL.
  SECURITY_CONTACT: z
    .string()
    .optional()
    .transform((v) => (v ?? "").split(",").map((c) => c.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^(mailto:[^\s@,]+@[^\s@,]+|https:\/\/[^\s,]+|tel:\+?[0-9][0-9 -]*)$/, "mailto:, https: or tel: URIs")).max(5)),

  // URL import (SSRF-1): ports a user-supplied URL may name, and (tests only, refused in production) exact loopback
  // "127.0.0.1:port" / "[::1]:port" pairs that may be fetched although they are not public.
  URL_IMPORT_ALLOWED_PORTS: z
    .string()
    .optional()
    .transform((v) => (v && v.trim() !== "" ? v : "80,443").split(",").map((p) => p.trim()))
    .pipe(z.array(z.coerce.number<string>().int().min(1).max(65_535)).min(1)),
  URL_IMPORT_ALLOW_HOSTS: z
    .string()
    .optional()
    .transform((v) => (v ?? "").split(",").map((h) => h.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^(127\.0\.0\.1|\[::1\]):\d{1,5}$/, "only loopback pairs like 127.0.0.1:8080 or [::1]:8080"))),

  // Observability (OBS-1..4).
  SENTRY_DSN: optionalString.pipe(z.url().optional()),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString.pipe(z.url().optional()),
  METRICS_TOKEN: optionalString,
  APP_VERSION: z.string().default("0.1.0"),

  // Embedded identity provider (IDN-2).
  IDP_PRIVATE_KEY: optionalString,
  IDP_KEY_FILE: z.string().default(".data/idp-key.json"),
  SESSION_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(28_800),
  // IDN-6: the session token's lifetime; a rotating refresh token (HttpOnly cookie) renews it until SESSION_TTL_SECONDS.
  SESSION_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3_600).default(600),
  // IDN-6: how long the immediate parent of the newest refresh token is still accepted (concurrent tabs).
  REFRESH_GRACE_SECONDS: z.coerce.number().int().min(0).max(60).default(10),
  // IDN-5: the longest progressive delay before a failed sign-in attempt is answered (0 turns it off).
  AUTH_FAILURE_DELAY_MAX_MS: z.coerce.number().int().min(0).max(10_000).default(2_000),
  ALLOW_EMBEDDED_IN_PRODUCTION: booleanFlag,

  // Clerk (IDN-1).
  NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: optionalString,
  CLERK_SECRET_KEY: optionalString,
  CLERK_JWT_KEY: optionalString,
  CLERK_AUTHORIZED_PARTIES: optionalString,
  // TEN-3: Clerk's Backend API origin (tests point it at a local stand-in), and how long member invites last.
  CLERK_API_URL: optionalString.pipe(z.url().optional()),
  MEMBER_INVITE_TTL_DAYS: z.coerce.number().int().min(1).max(30).default(7),

  // Webhooks (WH-1..3, lib/webhooks). A provider without a secret has no endpoint (404).
  CLERK_WEBHOOK_SECRET: webhookSecrets(/^whsec_[A-Za-z0-9+/]{16,}={0,2}$/, "a Svix signing secret: whsec_ followed by base64"),
  STRIPE_WEBHOOK_SECRET: webhookSecrets(/^whsec_[A-Za-z0-9]{16,}$/, "a Stripe endpoint secret: whsec_..."),
  MUX_WEBHOOK_SECRET: webhookSecrets(/^[A-Za-z0-9+/=_-]{16,}$/, "a Mux webhook signing secret (at least 16 characters)"),
  NYLAS_WEBHOOK_SECRET: webhookSecrets(/^[A-Za-z0-9+/=_-]{16,}$/, "a Nylas webhook secret (at least 16 characters)"),
  DUB_WEBHOOK_SECRET: webhookSecrets(/^[A-Za-z0-9+/=_-]{16,}$/, "a Dub webhook signing secret (at least 16 characters)"),
  /** WH-1: how far a signed timestamp may be from now, in either direction (Svix and Mux cap the past side at 300). */
  WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(1).max(300).default(300),
  /** VAL-2: the largest webhook body read (413 above it). */
  WEBHOOK_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(1024 * 1024).default(1024 * 1024),
  /** WH-2: days a delivery is kept for deduplication; longer than every provider's retry horizon (Stripe: 3 days). */
  WEBHOOK_RETENTION_DAYS: z.coerce.number().int().min(4).max(365).default(30),

  // Files (FILE-2, FILE-3): local storage under STORAGE_ROOT unless S3_BUCKET names an S3-compatible bucket.
  STORAGE_ROOT: z.string().default(".data/storage"),
  /** FILE-1: largest accepted upload or import, in bytes (413 above it). */
  MAX_UPLOAD_BYTES: z.coerce.number().int().min(1).max(5 * 1024 ** 3).default(25 * 1024 * 1024),
  /** FILE-3: bytes an organisation may store (pending, clean and failed-scan documents); 413 above it. */
  ORG_STORAGE_QUOTA_BYTES: z.coerce.number().int().min(0).max(2 ** 50).default(1024 ** 3),
  S3_ENDPOINT: optionalString.pipe(z.url().optional()),
  S3_REGION: z.string().default("us-east-1"),
  S3_BUCKET: optionalString,
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  /** Path-style addressing (bucket in the path): what Supabase Storage, MinIO and most S3-compatible services need. */
  S3_FORCE_PATH_STYLE: z
    .enum(["true", "false", "1", "0", ""])
    .optional()
    .transform((v) => v === undefined || v === "" || v === "true" || v === "1"),
  /** FILE-3: HMAC key of signed download URLs (at least 32 bytes); generated and kept in FILE_URL_KEY_FILE outside production. */
  FILE_URL_SECRET: optionalString,
  FILE_URL_KEY_FILE: z.string().default(".data/file-url-secret.json"),
  /** FILE-2: on unless set to false; with no scanner configured, uploads stay pending (never served). */
  ENABLE_VIRUS_SCAN: z
    .enum(["true", "false", "1", "0", ""])
    .optional()
    .transform((v) => v === undefined || v === "" || v === "true" || v === "1"),
  CLAMAV_HOST: optionalString,
  CLAMAV_PORT: z.coerce.number().int().min(1).max(65_535).default(3310),
  CLAMAV_SOCKET: optionalString,
  CLAMSCAN_PATH: optionalString,
  /** FILE-2: a scan with no progress for this long fails (and is retried), never passes. */
  CLAMAV_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(60_000),
  /** FILE-2: the scanner's stream limit (clamd StreamMaxLength); a larger file is a failed scan, never clean. */
  CLAMAV_MAX_BYTES: z.coerce.number().int().min(1).default(100 * 1024 * 1024),

  // Video (BIL-2): Mux. Without the API token pair the video pages say video is not configured.
  MUX_TOKEN_ID: optionalString,
  MUX_TOKEN_SECRET: optionalString,
  /** Signed playback: the signing key's id and its private key (the base64 PEM Mux shows once, or the PEM itself). */
  MUX_SIGNING_KEY_ID: optionalString,
  MUX_SIGNING_PRIVATE_KEY: optionalString,
  /** Mux's API origin; tests point it at a local stand-in. https in production. */
  MUX_API_URL: optionalString.pipe(z.url().optional()),
  MUX_API_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  // Billing (BIL-1): Stripe when STRIPE_SECRET_KEY is set; otherwise billing is "not configured" and the free plan applies.
  STRIPE_SECRET_KEY: optionalString.pipe(z.string().regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]{8,}$/, "a Stripe secret or restricted key (sk_… / rk_…)").optional()),
  /** Stripe price ids of the paid plans (lib/billing/plans.ts): checkout sells them, webhooks map them back to plans. */
  STRIPE_PRICE_PRO: optionalString.pipe(z.string().regex(/^price_[A-Za-z0-9]{1,250}$/, "a Stripe price id (price_…)").optional()),
  STRIPE_PRICE_BUSINESS: optionalString.pipe(z.string().regex(/^price_[A-Za-z0-9]{1,250}$/, "a Stripe price id (price_…)").optional()),
  /** Tests only, refused in production: a loopback server standing in for api.stripe.com (http://127.0.0.1:port). */
  STRIPE_API_URL: optionalString.pipe(z.url().optional()),

  // Audit (AUD-5): the Ed25519 key that signs chain checkpoints, `v<n>:<base64 PKCS#8 DER>`; never stored in the database.
  AUDIT_SIGNING_KEY: optionalString.pipe(z.string().regex(/^v[0-9]{1,6}:[A-Za-z0-9+/]{40,}={0,2}$/, "`v<n>:<base64 PKCS#8 DER of an Ed25519 private key>`").optional()),
  /** AUD-5: public keys of retired signing keys, `v<n>:<base64 SPKI DER>`, comma-separated: their checkpoints still verify. */
  AUDIT_RETIRED_PUBLIC_KEYS: optionalString,
  /** AUD-5: the external sink signed checkpoints are written to (one JSON file per checkpoint). */
  AUDIT_CHECKPOINT_DIR: z.string().default(".data/audit-checkpoints"),
  AUDIT_CHECKPOINT_INTERVAL_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
  // ENC-1 / ENC-2: key-encryption keys, `<id>:<base64 32 bytes>,...;active=<id>` (lib/crypto/keyring.ts, docs/encryption.md).
  // Unset outside production: a development key derived from a public label. Never stored in the database, never logged.
  ENCRYPTION_KEYS: optionalString,
  /** Tests only, refused in production: loopback stand-ins for the Nylas and Dub APIs (integration tests, lib/credentials). */
  NYLAS_API_URL: optionalString.pipe(z.url().optional()),
  DUB_API_URL: optionalString.pipe(z.url().optional()),

  // OPS-4 feature flags (lib/flags, config/feature-flags.json). Overrides are FLAG_<NAME>=off|everyone|orgs:<org>,...|
  // admins:<org>,... (read by lib/flags/parse.ts from the same source; an unknown FLAG_ name stops start-up).
  /** OPS-4: security flags allowed to be off in production, comma-separated; each such run is audited per org. */
  FEATURE_FLAGS_ACKNOWLEDGE_OFF: optionalString,
});

export type ClientIpSource = "socket" | "forwarded" | "vercel";

export type Env = Omit<z.infer<typeof schema>, "ENCRYPTION_KEYS"> & {
  /** ENC-1: the parsed key-encryption keys (ids visible, material private); the raw setting is not kept. */
  encryptionKeys: Keyring;
  identityProvider: "clerk" | "embedded";
  databaseEngine: "postgres" | "pglite";
  /** lib/jobs: this process runs the job worker itself (JOBS_IN_PROCESS, or its default). */
  jobsInProcess: boolean;
  clientIpSource: ClientIpSource;
  /** In-process rate limits only (no Redis, no Upstash): each instance counts on its own. */
  rateLimitsInMemory: boolean;
  /** Whether the app is served over https (APP_URL): session cookies are Secure then (IDN-4). */
  servedOverHttps: boolean;
  authorizedParties: string[];
  /** Origins allowed to make credentialed cross-origin requests to cookie-authenticated routes (HDR-3). */
  corsOrigins: string[];
  /** BIL-2: Mux is configured (API token pair); signed playback too when its signing key is set. */
  muxConfigured: boolean;
  muxSignedPlayback: boolean;
  /** OPS-4: every flag's resolved rollout and where it came from (lib/flags reads it). */
  flags: ResolvedFlags;
};

export class ConfigurationError extends Error {
  constructor(problems: string[]) {
    super(`Refusing to start: unsafe or invalid configuration.\n- ${problems.join("\n- ")}`);
    this.name = "ConfigurationError";
  }
}

export function parseEnv(source: Record<string, string | undefined>, options: { flagFile?: unknown } = {}): Env {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigurationError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const production = e.NODE_ENV === "production";

  const clerkKeys = [e.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY, e.CLERK_SECRET_KEY, e.CLERK_JWT_KEY];
  const clerkSet = clerkKeys.filter(Boolean).length;
  if (clerkSet > 0 && clerkSet < clerkKeys.length) {
    problems.push(
      "Clerk is partly configured: set NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY, CLERK_SECRET_KEY and CLERK_JWT_KEY together (or none of them to use the embedded identity provider).",
    );
  }
  const identityProvider = clerkSet === clerkKeys.length ? "clerk" : "embedded";
  const databaseEngine = e.DATABASE_URL ? "postgres" : "pglite";

  const rateLimitsInMemory = !e.REDIS_URL && !(e.UPSTASH_REDIS_REST_URL && e.UPSTASH_REDIS_REST_TOKEN);

  // ALLOW_EMBEDDED_IN_PRODUCTION permits exactly the embedded components it names (a demo); nothing else below.
  if (production && !e.ALLOW_EMBEDDED_IN_PRODUCTION) {
    if (identityProvider === "embedded") {
      problems.push(
        "IDN-2: the embedded identity provider is for development, tests and demos. Configure Clerk, or set ALLOW_EMBEDDED_IN_PRODUCTION=true for a demo deployment.",
      );
    }
    if (databaseEngine === "pglite") {
      problems.push("DATABASE_URL is required in production (PGlite is a single-process embedded database).");
    }
    if (rateLimitsInMemory) {
      problems.push("RL-2: rate limits must be shared by every instance in production: set REDIS_URL (rediss://) or UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN.");
    }
  }
  // ENC-4: TLS to every service the app talks to in production. Loopback traffic never leaves the host.
  if (production && e.DATABASE_URL && !isLoopback(e.DATABASE_URL) && !/[?&]sslmode=(require|verify-ca|verify-full)(&|$)/.test(e.DATABASE_URL)) {
    problems.push("ENC-4: DATABASE_URL must use sslmode=require (or verify-ca/verify-full) in production.");
  }
  if (production && e.REDIS_URL && !isLoopback(e.REDIS_URL) && new URL(e.REDIS_URL).protocol !== "rediss:") {
    problems.push("ENC-4: REDIS_URL must use TLS (rediss://) in production.");
  }
  for (const name of ["UPSTASH_REDIS_REST_URL", "SENTRY_DSN", "OTEL_EXPORTER_OTLP_ENDPOINT"] as const) {
    const url = e[name];
    if (production && url && !isLoopback(url) && new URL(url).protocol !== "https:") problems.push(`ENC-4: ${name} must be https in production.`);
  }
  const servedOverHttps = new URL(e.APP_URL).protocol === "https:";
  // A demo may be served over plain http on this machine only (its session cookie is then not Secure).
  if (production && !servedOverHttps && !(e.ALLOW_EMBEDDED_IN_PRODUCTION && isLoopback(e.APP_URL))) {
    problems.push("APP_URL must be https in production (a demo with ALLOW_EMBEDDED_IN_PRODUCTION=true may use http://localhost).");
  }

  const clientIpSource: ClientIpSource = e.CLIENT_IP_SOURCE ?? (production ? (e.VERCEL === "1" ? "vercel" : "socket") : "forwarded");
  if (production && clientIpSource === "vercel" && e.VERCEL !== "1") {
    problems.push("CLIENT_IP_SOURCE=vercel trusts X-Vercel-Forwarded-For, which only Vercel sets; off Vercel any client can write it.");
  }
  if (production && clientIpSource === "forwarded" && e.TRUSTED_PROXY_HOPS === undefined) {
    problems.push("CLIENT_IP_SOURCE=forwarded needs TRUSTED_PROXY_HOPS: the number of proxies in front of the app that append to X-Forwarded-For.");
  }
  const corsOrigins = (e.CORS_ORIGINS ?? "").split(",").map((o) => o.trim()).filter(Boolean);
  for (const origin of corsOrigins) {
    // Cookie-authenticated routes are always credentialed, so a wildcard here would be wildcard-with-credentials.
    if (origin === "*" || origin.includes("*")) {
      problems.push("HDR-3: CORS_ORIGINS applies to cookie-authenticated (credentialed) routes; a wildcard with credentials is refused. List exact origins.");
    } else if (!URL.canParse(origin) || new URL(origin).origin !== origin) {
      problems.push(`CORS_ORIGINS: "${origin}" is not an origin like https://app.example.com.`);
    }
  }
  if (production && e.URL_IMPORT_ALLOW_HOSTS.length > 0) {
    problems.push("SSRF-1: URL_IMPORT_ALLOW_HOSTS lets URL import reach this machine; it is for tests only and refused in production.");
  }
  if (e.STRIPE_API_URL !== undefined && (production || !isLoopback(e.STRIPE_API_URL))) {
    problems.push("BIL-1: STRIPE_API_URL points the Stripe SDK at a stand-in server; it is for tests only, must be a loopback address, and is refused in production.");
  }
  if (production && e.STRIPE_SECRET_KEY && !e.STRIPE_PRICE_PRO && !e.STRIPE_PRICE_BUSINESS) {
    problems.push("BIL-1: STRIPE_SECRET_KEY is set but no plan has a price: set STRIPE_PRICE_PRO and/or STRIPE_PRICE_BUSINESS.");
  }
  if (production && !e.ALLOW_EMBEDDED_IN_PRODUCTION && e.AUDIT_SIGNING_KEY === undefined) {
    problems.push("AUD-5: AUDIT_SIGNING_KEY is required in production (`v1:` + base64 PKCS#8 of an Ed25519 key: `openssl genpkey -algorithm ed25519 -outform DER | base64 -w0`).");
  }
    if (production && e.METRICS_TOKEN !== undefined && e.METRICS_TOKEN.length < 16) {
    problems.push("METRICS_TOKEN must be at least 16 characters.");
  }
  // FILE-3: S3-compatible storage needs every setting; its endpoint is https in production (ENC-4).
  const s3Settings = [e.S3_BUCKET, e.S3_ACCESS_KEY_ID, e.S3_SECRET_ACCESS_KEY];
  if (s3Settings.some(Boolean) && !s3Settings.every(Boolean)) {
    problems.push("FILE-3: S3 storage is partly configured: set S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY together (S3_ENDPOINT and S3_REGION as the service needs).");
  }
  if (production && e.S3_ENDPOINT && !isLoopback(e.S3_ENDPOINT) && new URL(e.S3_ENDPOINT).protocol !== "https:") {
    problems.push("ENC-4: S3_ENDPOINT must be https in production.");
  }
  if (e.FILE_URL_SECRET !== undefined && Buffer.byteLength(e.FILE_URL_SECRET, "utf8") < 32) {
    problems.push("FILE-3: FILE_URL_SECRET must be at least 32 bytes (e.g. `openssl rand -base64 48`).");
  }
  if (e.CLAMAV_HOST && e.CLAMAV_SOCKET) {
    problems.push("FILE-2: set CLAMAV_HOST (with CLAMAV_PORT) or CLAMAV_SOCKET, not both.");
  }
  if ((e.UPSTASH_REDIS_REST_URL === undefined) !== (e.UPSTASH_REDIS_REST_TOKEN === undefined)) {
    problems.push("Set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN together.");
  }
  // BIL-2: the Mux API token pair together; a signing key (id and private key together) only with it.
  if ((e.MUX_TOKEN_ID === undefined) !== (e.MUX_TOKEN_SECRET === undefined)) {
    problems.push("BIL-2: set MUX_TOKEN_ID and MUX_TOKEN_SECRET together (or neither: video is then not configured).");
  }
  if ((e.MUX_SIGNING_KEY_ID === undefined) !== (e.MUX_SIGNING_PRIVATE_KEY === undefined)) {
    problems.push("BIL-2: set MUX_SIGNING_KEY_ID and MUX_SIGNING_PRIVATE_KEY together.");
  } else if (e.MUX_SIGNING_KEY_ID !== undefined && e.MUX_TOKEN_ID === undefined) {
    problems.push("BIL-2: a Mux signing key needs MUX_TOKEN_ID and MUX_TOKEN_SECRET too.");
  }
  if (e.MUX_SIGNING_PRIVATE_KEY !== undefined && !isPemPrivateKey(e.MUX_SIGNING_PRIVATE_KEY)) {
    problems.push("BIL-2: MUX_SIGNING_PRIVATE_KEY must be the RSA private key Mux gave (base64 of a PEM, or the PEM itself).");
  }
  if (production && e.CLERK_API_URL && !isLoopback(e.CLERK_API_URL) && new URL(e.CLERK_API_URL).protocol !== "https:") {
    problems.push("ENC-4: CLERK_API_URL must be https in production.");
  }
  if (production && e.MUX_API_URL && !isLoopback(e.MUX_API_URL) && new URL(e.MUX_API_URL).protocol !== "https:") {
    problems.push("ENC-4: MUX_API_URL must be https in production.");
  }
  const muxConfigured = e.MUX_TOKEN_ID !== undefined && e.MUX_TOKEN_SECRET !== undefined;
  const muxSignedPlayback = muxConfigured && e.MUX_SIGNING_KEY_ID !== undefined && e.MUX_SIGNING_PRIVATE_KEY !== undefined;
  // lib/jobs: on PGlite no other process can reach the database, so only the app's own process can run its jobs.
  const jobsInProcess = e.JOBS_IN_PROCESS ?? (databaseEngine === "pglite" || !production);
  if (databaseEngine === "pglite" && e.JOBS_IN_PROCESS === false) {
    problems.push("JOBS_IN_PROCESS=false with the embedded database: no other process can reach PGlite, so no job would ever run.");
  }
  // ENC-1: production needs its own KEKs (a demo may run on the development key, and says so at start).
  let encryptionKeys = developmentKeyring();
  if (e.ENCRYPTION_KEYS !== undefined) {
    const keys = parseEncryptionKeys(e.ENCRYPTION_KEYS);
    problems.push(...keys.problems);
    if (keys.keyring) encryptionKeys = keys.keyring;
    const dev = developmentKeyring().material("dev")!;
    if (production && keys.keyring?.ids.some((id) => keys.keyring!.material(id)!.equals(dev))) {
      problems.push("ENC-1: ENCRYPTION_KEYS contains the public development key; generate real keys (`openssl rand -base64 32`).");
    }
  } else if (production && !e.ALLOW_EMBEDDED_IN_PRODUCTION) {
    problems.push("ENC-1: ENCRYPTION_KEYS is required in production: `<id>:<base64 of 32 random bytes>` (see docs/encryption.md).");
  }
  for (const name of ["NYLAS_API_URL", "DUB_API_URL"] as const) {
    const url = e[name];
    if (url !== undefined && (production || !isLoopback(url))) {
      problems.push(`ENC-1: ${name} points integration tests at a stand-in server; it is for tests only, must be a loopback address, and is refused in production.`);
    }
  }
  // OPS-4: the flag file and its overrides; a security flag off in production needs its acknowledgement.
  const resolvedFlags = resolveFlags(options.flagFile ?? flagFile, source, { production });
  problems.push(...resolvedFlags.problems);
  if (problems.length > 0) throw new ConfigurationError(problems);
  const flags = resolvedFlags.flags!;

  const appOrigin = new URL(e.APP_URL).origin;
  const authorizedParties = e.CLERK_AUTHORIZED_PARTIES
    ? e.CLERK_AUTHORIZED_PARTIES.split(",").map((p) => p.trim()).filter(Boolean)
    : [appOrigin];

  const { ENCRYPTION_KEYS: _raw, ...settings } = e;
  void _raw;
  return { ...settings, encryptionKeys, identityProvider, databaseEngine, jobsInProcess, clientIpSource, rateLimitsInMemory, servedOverHttps, authorizedParties, corsOrigins, muxConfigured, muxSignedPlayback, flags };
}

/** BIL-2: Mux shows a signing key's private key as base64 of a PEM; a PEM pasted as it is works too. */
function isPemPrivateKey(value: string): boolean {
  const pem = value.startsWith("-----BEGIN") ? value : Buffer.from(value, "base64").toString("utf8");
  return /^-----BEGIN (RSA )?PRIVATE KEY-----/.test(pem.trim());
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * What a production start must say plainly: what ALLOW_EMBEDDED_IN_PRODUCTION permits in this process, and that on
 * the embedded database the session is its superuser. Logged once at start (instrumentation.ts).
 */
export function startupWarnings(e: Env): string[] {
  // OPS-4: a security flag that is off is said at every start, in every environment.
  const flagWarnings = securityFlagsOff(e.flags).map(
    (f) => `OPS-4: the security flag "${f.name}" is off (${f.setBy})${f.acknowledgedOff ? ", acknowledged" : ""}: ${f.description}`,
  );
  if (e.NODE_ENV !== "production" || !e.ALLOW_EMBEDDED_IN_PRODUCTION) return flagWarnings;
  const permitted = [
    e.identityProvider === "embedded" ? "the embedded identity provider (demo users, a local signing key)" : null,
    e.databaseEngine === "pglite" ? "the embedded PGlite database (one process, no replication)" : null,
    e.rateLimitsInMemory ? "in-memory rate limits (counted per instance, not shared)" : null,
    e.servedOverHttps ? null : "plain http on this machine (the session cookie is not Secure)",
    e.FILE_URL_SECRET ? null : "a download-URL key generated on this machine (FILE_URL_KEY_FILE)",
    e.AUDIT_SIGNING_KEY ? null : "audit checkpoints signed with the development key (AUDIT_SIGNING_KEY unset)",
    e.encryptionKeys.development ? "the public development key-encryption key (ENCRYPTION_KEYS unset): stored credentials are not protected" : null,
  ].filter(Boolean);
  const warnings = [
    `ALLOW_EMBEDDED_IN_PRODUCTION=true: a demo deployment, never for real tenants. It permits ${permitted.length > 0 ? permitted.join("; ") : "nothing beyond production's rules in this configuration"}.`,
  ];
  if (e.databaseEngine === "pglite") {
    warnings.push(
      "TEN-1: on the embedded database every request runs in a session of PGlite's superuser. Row-level security holds for the app's own queries, but SQL that resets the role (RESET ROLE, SET SESSION AUTHORIZATION) would read every organisation; only PostgreSQL enforces a non-superuser login.",
    );
  }
  return [...warnings, ...flagWarnings];
}

export const env: Env = parseEnv(process.env);
