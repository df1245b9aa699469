import { z } from "zod";

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

  // How many proxies we run in front of the app append to X-Forwarded-For (client IP for allow-lists and limits).
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(1).max(10).default(1),

  // Browser security (HDR-3): origins allowed to call cookie-authenticated routes cross-origin.
  CORS_ORIGINS: optionalString,

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
  ALLOW_EMBEDDED_IN_PRODUCTION: booleanFlag,

  // Clerk (IDN-1).
  NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: optionalString,
  CLERK_SECRET_KEY: optionalString,
  CLERK_JWT_KEY: optionalString,
  CLERK_AUTHORIZED_PARTIES: optionalString,
});

export type Env = z.infer<typeof schema> & {
  identityProvider: "clerk" | "embedded";
  databaseEngine: "postgres" | "pglite";
  authorizedParties: string[];
  /** Origins allowed to make credentialed cross-origin requests to cookie-authenticated routes (HDR-3). */
  corsOrigins: string[];
};

export class ConfigurationError extends Error {
  constructor(problems: string[]) {
    super(`Refusing to start: unsafe or invalid configuration.\n- ${problems.join("\n- ")}`);
    this.name = "ConfigurationError";
  }
}

export function parseEnv(source: Record<string, string | undefined>): Env {
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

  if (production && !e.ALLOW_EMBEDDED_IN_PRODUCTION) {
    if (identityProvider === "embedded") {
      problems.push(
        "IDN-2: the embedded identity provider is for development, tests and demos. Configure Clerk, or set ALLOW_EMBEDDED_IN_PRODUCTION=true for a demo deployment.",
      );
    }
    if (databaseEngine === "pglite") {
      problems.push("DATABASE_URL is required in production (PGlite is a single-process embedded database).");
    }
  }
  if (production && e.DATABASE_URL && !e.ALLOW_EMBEDDED_IN_PRODUCTION && !/[?&]sslmode=(require|verify-ca|verify-full)\b/.test(e.DATABASE_URL)) {
    problems.push("ENC-4: DATABASE_URL must use sslmode=require (or verify-ca/verify-full) in production.");
  }
  if (production && e.REDIS_URL && !e.REDIS_URL.startsWith("rediss://") && !e.ALLOW_EMBEDDED_IN_PRODUCTION) {
    problems.push("ENC-4: REDIS_URL must use TLS (rediss://) in production.");
  }
  if (production && new URL(e.APP_URL).protocol !== "https:" && !e.ALLOW_EMBEDDED_IN_PRODUCTION) {
    problems.push("APP_URL must be https in production.");
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
  if (production && e.METRICS_TOKEN !== undefined && e.METRICS_TOKEN.length < 16) {
    problems.push("METRICS_TOKEN must be at least 16 characters.");
  }
  if ((e.UPSTASH_REDIS_REST_URL === undefined) !== (e.UPSTASH_REDIS_REST_TOKEN === undefined)) {
    problems.push("Set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN together.");
  }
  if (problems.length > 0) throw new ConfigurationError(problems);

  const appOrigin = new URL(e.APP_URL).origin;
  const authorizedParties = e.CLERK_AUTHORIZED_PARTIES
    ? e.CLERK_AUTHORIZED_PARTIES.split(",").map((p) => p.trim()).filter(Boolean)
    : [appOrigin];

  return { ...e, identityProvider, databaseEngine, authorizedParties, corsOrigins };
}

export const env: Env = parseEnv(process.env);
