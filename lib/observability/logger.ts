import "server-only";
import { hostname } from "node:os";
import pino, { type DestinationStream, type Level, type LevelWithSilent, type Logger, type LoggerOptions } from "pino";
import { env } from "@/lib/env";
import { MASK, maskString, maskValue } from "./pii";

/**
 * OBS-3: structured JSON logs on stdout, one line per event, with the request id, org and route bound by
 * `requestLogger`. OBS-2 / KEY-5 / ENC-3: nothing secret is written. Three layers:
 *  - `formatters.log` runs maskValue over every merging object (secret-named keys redacted, emails, cards,
 *    phones, keys, JWTs, query strings masked wherever they are nested);
 *  - `hooks.logMethod` masks the message and its format arguments, which pino does not pass to formatters;
 *  - `child()` masks its bindings (pino's bindings formatter only ever sees the root's);
 *  - `redact` paths censor credential headers and fields again, should a merging object bypass the formatter.
 */

export const REDACT_PATHS = [
  "authorization",
  "cookie",
  "password",
  "token",
  "apiKey",
  "api_key",
  "secret",
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  "request.headers.authorization",
  "request.headers.cookie",
  'request.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'response.headers["set-cookie"]',
  "headers.authorization",
  "headers.cookie",
  'headers["set-cookie"]',
  'headers["x-api-key"]',
  "*.authorization",
  "*.cookie",
  '*["set-cookie"]',
  '*["x-api-key"]',
  "*.password",
  "*.token",
  "*.accessToken",
  "*.access_token",
  "*.refreshToken",
  "*.refresh_token",
  "*.apiKey",
  "*.api_key",
  "*.secret",
  "*.clientSecret",
  "*.client_secret",
];

function isMergingObject(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

export function loggerOptions(level: LevelWithSilent = env.LOG_LEVEL): LoggerOptions {
  return {
    level,
    // pid and hostname tell stateless instances apart; service and version say what was running.
    base: { service: "tenantguard", version: env.APP_VERSION, pid: process.pid, hostname: hostname() },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: MASK.redacted },
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (bindings) => maskValue(bindings),
      log: (object) => maskValue(object),
    },
    // maskValue already turns errors into { type, message, stack, ... } with masked text; pino's own error
    // serializer would rename the type to "Object".
    serializers: { err: (value: unknown) => value },
    hooks: {
      logMethod(args, method) {
        const [first, ...rest] = args as unknown[];
        if (!isMergingObject(first)) {
          return method.apply(this, args.map((arg) => maskValue(arg)) as Parameters<typeof method>);
        }
        if (rest.length === 0) {
          // Without a message pino would use the error's message, unmasked: give it the masked one.
          const error = first instanceof Error ? first : (first as { err?: unknown }).err;
          if (error instanceof Error && (first instanceof Error || (first as { msg?: unknown }).msg === undefined)) {
            return method.apply(this, [first, maskString(error.message)] as Parameters<typeof method>);
          }
        }
        return method.apply(this, [first, ...rest.map((arg) => maskValue(arg))] as Parameters<typeof method>);
      },
    },
  };
}

/**
 * Pino resets the bindings formatter for children, so child bindings are masked here instead. Children are
 * created with Object.create(parent), so every descendant inherits this `child` too.
 */
type ChildMethod = (this: Logger, bindings: pino.Bindings, options?: pino.ChildLoggerOptions) => Logger;

function maskingChildBindings(root: Logger): Logger {
  const child = root.child as unknown as ChildMethod;
  const maskedChild: ChildMethod = function (bindings, options) {
    return child.call(this, maskValue(bindings), options);
  };
  root.child = maskedChild as unknown as Logger["child"];
  return root;
}

/** A logger writing to `destination` (stdout by default); tests pass a stream they read back. */
export function createLogger(destination?: DestinationStream, level?: LevelWithSilent): Logger {
  const options = loggerOptions(level);
  return maskingChildBindings(destination ? pino(options, destination) : pino(options));
}

/** Receives every line the process logger writes, exactly as written (masked, redacted, newline-terminated). */
export type LogTap = (line: string) => void;

const globalLogger = globalThis as typeof globalThis & { __tenantguardLogger?: Logger; __tenantguardLogTaps?: Set<LogTap> };
const taps = (globalLogger.__tenantguardLogTaps ??= new Set());

/**
 * OBS-3: the process logger writes each line to stdout, as pino() would, and to every registered tap. An
 * in-process consumer (a log shipper; tests asserting what the app really logs, KEY-5) reads the exact bytes, which
 * a console or process.stdout hook never sees: pino writes to file descriptor 1 directly. Returns the function
 * that removes the tap. A throwing tap never affects logging.
 */
export function tapLogOutput(tap: LogTap): () => void {
  taps.add(tap);
  return () => void taps.delete(tap);
}

function processDestination(): DestinationStream {
  // What pino() itself writes to: fd 1, unless something has replaced process.stdout.write (then through it).
  const replaced = process.stdout.write !== (process.stdout.constructor as { prototype: NodeJS.WriteStream }).prototype.write;
  const stdout: DestinationStream = replaced ? process.stdout : pino.destination(1);
  return {
    write(line: string) {
      stdout.write(line);
      for (const tap of taps) {
        try {
          tap(line);
        } catch {
          // A consumer's failure must not lose the line for stdout or the other taps.
        }
      }
    },
  };
}

/** The process logger. Kept on globalThis so dev hot reload does not open another stdout stream. */
export const logger: Logger = (globalLogger.__tenantguardLogger ??= createLogger(processDestination()));

export interface RequestLogContext {
  /** The request's X-Request-ID (accepted or generated by proxy.ts, lib/http/request-id.ts). */
  requestId: string;
  /** The org from verified claims, when there is one. */
  orgId?: string | null;
  /** The route pattern (e.g. `/api/v1/projects/[id]`), not the concrete URL. */
  route?: string;
}

/** OBS-3: a child logger that stamps every line with the request id, org and route. */
export function requestLogger({ requestId, orgId, route }: RequestLogContext, parent: Logger = logger): Logger {
  return parent.child({ requestId, ...(orgId ? { orgId } : {}), ...(route ? { route } : {}) });
}

export type { Level, Logger };
