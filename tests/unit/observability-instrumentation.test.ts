import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

/**
 * OBS-1: instrumentation.ts initialises Sentry only when SENTRY_DSN is set, and OpenTelemetry only when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set, on the Node.js runtime only. The two SDKs are replaced by recorders (they
 * are third-party modules); our env parsing and sentryOptions() run for real.
 */

const sdk = vi.hoisted(() => ({
  init: vi.fn(),
  captureRequestError: vi.fn(),
  registerOTel: vi.fn(),
  contextManagers: [] as unknown[],
}));

vi.mock("@sentry/nextjs", () => ({
  init: sdk.init,
  captureRequestError: sdk.captureRequestError,
  SentryContextManager: class {
    constructor() {
      sdk.contextManagers.push(this);
    }
  },
}));
vi.mock("@vercel/otel", () => ({ registerOTel: sdk.registerOTel }));

const DSN = "https://public@o0.ingest.sentry.io/0";
const OTLP = "http://collector.internal:4318";

async function registerWith(variables: Record<string, string>) {
  for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
  vi.resetModules(); // lib/env.ts parses the environment when it is first imported
  const instrumentation = await import("@/instrumentation");
  await instrumentation.register();
  return instrumentation;
}

beforeEach(() => {
  sdk.init.mockReset();
  sdk.registerOTel.mockReset();
  sdk.contextManagers.length = 0;
  vi.stubEnv("SENTRY_DSN", "");
  vi.stubEnv("OTEL_EXPORTER_OTLP_ENDPOINT", "");
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("register() (OBS-1)", () => {
  it("initialises nothing when neither SENTRY_DSN nor an OTLP endpoint is configured", async () => {
    await registerWith({ NEXT_RUNTIME: "nodejs" });
    expect(sdk.init).not.toHaveBeenCalled();
    expect(sdk.registerOTel).not.toHaveBeenCalled();
  });

  it("initialises Sentry with the scrubbing options when SENTRY_DSN is set", async () => {
    await registerWith({ NEXT_RUNTIME: "nodejs", SENTRY_DSN: DSN });
    expect(sdk.init).toHaveBeenCalledTimes(1);
    const options = sdk.init.mock.calls[0]![0];
    expect(options).toMatchObject({ dsn: DSN, sendDefaultPii: false, skipOpenTelemetrySetup: false });
    // The scrubber is wired in: an email in an exception does not survive beforeSend.
    const event = options.beforeSend({ exception: { values: [{ type: "Error", value: "failed for alice@acme.test" }] } }, {});
    expect(event.exception.values[0].value).toBe("failed for [EMAIL]");
    expect(sdk.registerOTel).not.toHaveBeenCalled();
  });

  it("registers OpenTelemetry only when an OTLP endpoint is set", async () => {
    await registerWith({ NEXT_RUNTIME: "nodejs", OTEL_EXPORTER_OTLP_ENDPOINT: OTLP });
    expect(sdk.registerOTel).toHaveBeenCalledWith({ serviceName: "tenantguard" });
    expect(sdk.init).not.toHaveBeenCalled();
  });

  it("with both, @vercel/otel owns the tracer provider and Sentry's scopes ride on its context", async () => {
    await registerWith({ NEXT_RUNTIME: "nodejs", SENTRY_DSN: DSN, OTEL_EXPORTER_OTLP_ENDPOINT: OTLP });
    expect(sdk.init.mock.calls[0]![0]).toMatchObject({ dsn: DSN, skipOpenTelemetrySetup: true });
    expect(sdk.registerOTel).toHaveBeenCalledWith({ serviceName: "tenantguard", contextManager: sdk.contextManagers[0] });
  });

  it("does nothing on the edge runtime", async () => {
    await registerWith({ NEXT_RUNTIME: "edge", SENTRY_DSN: DSN, OTEL_EXPORTER_OTLP_ENDPOINT: OTLP });
    expect(sdk.init).not.toHaveBeenCalled();
    expect(sdk.registerOTel).not.toHaveBeenCalled();
  });

  it("reports request errors through Sentry's captureRequestError", async () => {
    const instrumentation = await registerWith({ NEXT_RUNTIME: "nodejs" });
    expect(instrumentation.onRequestError).toBe(sdk.captureRequestError);
  });
});
