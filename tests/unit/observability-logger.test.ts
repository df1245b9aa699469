import pino, { type DestinationStream } from "pino";
import { describe, expect, it } from "vitest";
import { createLogger, logger, loggerOptions, requestLogger, tapLogOutput } from "@/lib/observability/logger";

/**
 * OBS-3 structured logs with request context; OBS-2 / KEY-5 / ENC-3: credentials and personal data never
 * reach the log output, whether they come as headers, fields, nested data, the message or an error.
 */

const TOKEN = "tg_live_9fJ2kLmN4pQrS7tUvWxYz0aBcDeFgHiJ";
const JWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyXzEiLCJvIjp7ImlkIjoib3JnXzEifX0.c2lnbmF0dXJlLWJ5dGVz";
const SESSION = "s3ss10n-c00k1e-v4lu3-0f-our-own-shape";
const EMAIL = "alice@acme.test";
const CARD = "4242 4242 4242 4242";
const PASSWORD = "correct horse battery staple";

function capture() {
  const chunks: string[] = [];
  const destination: DestinationStream = { write: (chunk: string) => void chunks.push(chunk) };
  return {
    destination,
    text: () => chunks.join(""),
    lines: () => chunks.join("").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

const CONTEXT = { requestId: "req-7f3a9c2e41d84b60", orgId: "org_2abcDEF", route: "/api/v1/projects/[id]" };

describe("request logger (OBS-3)", () => {
  it("stamps every line with requestId, orgId and route, as JSON", () => {
    const out = capture();
    const log = requestLogger(CONTEXT, createLogger(out.destination, "info"));
    log.info({ status: 200, durationMs: 12 }, "request finished");
    log.warn("slow query");

    const lines = out.lines();
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatchObject({ ...CONTEXT, service: "tenantguard" });
    expect(lines[0]).toMatchObject({ level: "info", msg: "request finished", status: 200, durationMs: 12 });
    expect(lines[1]).toMatchObject({ level: "warn", msg: "slow query" });
  });

  it("writes nothing below the configured level", () => {
    const out = capture();
    const log = createLogger(out.destination, "warn");
    log.info("not written");
    log.debug("not written either");
    log.error("written");
    expect(out.lines().map((l) => l.msg)).toEqual(["written"]);
  });
});

describe("secrets never reach the log output (OBS-2)", () => {
  it("authorization, cookie, set-cookie and API-key headers", () => {
    const out = capture();
    const log = requestLogger(CONTEXT, createLogger(out.destination, "info"));
    log.info(
      {
        req: {
          method: "POST",
          url: "/api/v1/projects",
          headers: { authorization: `Bearer ${TOKEN}`, cookie: `tg_session=${SESSION}; theme=dark`, "x-api-key": TOKEN, "user-agent": "curl/8" },
        },
        res: { statusCode: 201, headers: { "set-cookie": `tg_session=${SESSION}; HttpOnly; Secure` } },
      },
      "request finished",
    );

    const text = out.text();
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(SESSION);
    const [line] = out.lines();
    expect(line).toMatchObject({
      ...CONTEXT,
      req: { method: "POST", headers: { authorization: "[REDACTED]", cookie: "[REDACTED]", "x-api-key": "[REDACTED]", "user-agent": "curl/8" } },
      res: { statusCode: 201, headers: { "set-cookie": "[REDACTED]" } },
    });
  });

  it("a bearer token, JWT or email inside the message and its format arguments", () => {
    const out = capture();
    const log = requestLogger(CONTEXT, createLogger(out.destination, "info"));
    log.warn(`upstream refused Authorization: Bearer ${TOKEN}`);
    log.warn("session %s for %s", JWT, EMAIL);
    log.info({ attempt: 2 }, `retrying with bearer ${TOKEN} for ${EMAIL}`);

    const text = out.text();
    for (const secret of [TOKEN, JWT, EMAIL]) expect(text).not.toContain(secret);
    expect(out.lines().map((l) => l.msg)).toEqual([
      "upstream refused Authorization: [REDACTED]",
      "session [JWT] for [EMAIL]",
      "retrying with bearer [KEY] for [EMAIL]",
    ]);
    for (const line of out.lines()) expect(line.requestId).toBe(CONTEXT.requestId);
  });

  it("emails, cards and secret-named fields nested in data", () => {
    const out = capture();
    const log = createLogger(out.destination, "info");
    log.info(
      {
        import: { rows: [{ contact: { email: EMAIL, phone: "+44 20 7946 0958" } }, { note: `paid with ${CARD}` }] },
        user: { password: PASSWORD, profile: { apiKey: "anything-at-all" } },
        callback: "https://partner.example/hook?signature=abc&email=alice%40acme.test",
      },
      "import done",
    );

    const text = out.text();
    for (const secret of [EMAIL, CARD, PASSWORD, "+44 20 7946 0958", "anything-at-all", "signature=abc"]) expect(text).not.toContain(secret);
    expect(out.lines()[0]).toMatchObject({
      import: { rows: [{ contact: { email: "[EMAIL]", phone: "[PHONE]" } }, { note: "paid with [CARD]" }] },
      user: { password: "[REDACTED]", profile: { apiKey: "[REDACTED]" } },
      callback: "https://partner.example/hook?[REDACTED]",
    });
  });

  it("errors: message, stack and cause", () => {
    const out = capture();
    const log = createLogger(out.destination, "info");
    const error = new Error(`charge failed for ${EMAIL}`, { cause: new Error(`card ${CARD} declined`) });
    log.error(error);
    log.error({ err: error }, "payment step failed");

    const text = out.text();
    expect(text).not.toContain(EMAIL);
    expect(text).not.toContain(CARD);
    const [first, second] = out.lines();
    expect(first).toMatchObject({ msg: "charge failed for [EMAIL]", err: { type: "Error", message: "charge failed for [EMAIL]" } });
    expect(String((first!.err as { stack: string }).stack)).toContain("charge failed for [EMAIL]");
    expect(second).toMatchObject({ msg: "payment step failed", err: { cause: { message: "card [CARD] declined" } } });
  });

  it("child bindings are masked too, at any depth", () => {
    const out = capture();
    const log = requestLogger({ requestId: "req-0000000000000001", orgId: "org_1", route: `/reset?email=${EMAIL}` }, createLogger(out.destination, "info"));
    log.info("bound");
    log.child({ user: { email: EMAIL } }).child({ auth: { token: TOKEN } }).info("grandchild");

    const text = out.text();
    expect(text).not.toContain(EMAIL);
    expect(text).not.toContain(TOKEN);
    const [first, second] = out.lines();
    expect(first).toMatchObject({ requestId: "req-0000000000000001", route: "/reset?[REDACTED]" });
    expect(second).toMatchObject({ requestId: "req-0000000000000001", user: { email: "[EMAIL]" }, auth: { token: "[REDACTED]" }, msg: "grandchild" });
  });

  it("the redact paths alone censor credential headers (defence in depth behind the formatter)", () => {
    const out = capture();
    const { formatters, ...options } = loggerOptions("info");
    const withoutMasking = pino({ ...options, formatters: { level: formatters!.level } }, out.destination);
    withoutMasking.info({
      req: { headers: { authorization: `Bearer ${TOKEN}`, cookie: `tg_session=${SESSION}`, "x-api-key": TOKEN } },
      res: { headers: { "set-cookie": `tg_session=${SESSION}` } },
      user: { password: PASSWORD, token: TOKEN, apiKey: TOKEN, secret: SESSION },
    });
    const text = out.text();
    for (const secret of [TOKEN, SESSION, PASSWORD]) expect(text).not.toContain(secret);
  });
});

describe("the process logger's output can be tapped (OBS-3)", () => {
  it("a tap receives each line exactly as the process logger writes it, masked, until it is removed", () => {
    const lines: string[] = [];
    const untap = tapLogOutput((line) => void lines.push(line));
    const failing = tapLogOutput(() => {
      throw new Error("consumer down");
    });
    try {
      requestLogger(CONTEXT).warn({ authorization: `Bearer ${TOKEN}`, user: EMAIL }, "tapped");
    } finally {
      untap();
      failing();
    }
    logger.warn("after the tap was removed");
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith("\n")).toBe(true);
    expect(JSON.parse(lines[0]!)).toMatchObject({ ...CONTEXT, level: "warn", msg: "tapped", authorization: "[REDACTED]", user: "[EMAIL]" });
    expect(lines[0]).not.toContain(TOKEN);
  });
});
