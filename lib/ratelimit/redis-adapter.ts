import { createHash } from "node:crypto";
import { Redis as IORedis } from "ioredis";
import type { Redis as UpstashRedis } from "@upstash/redis";
import { withTimeout } from "./timeout";

/**
 * The part of the Redis client that @upstash/ratelimit calls for the features we use: `Ratelimit.slidingWindow`
 * in one region, without analytics, deny lists or dynamic limits. Its limit, getRemaining and resetUsedTokens
 * paths all go through `evalsha` (then `eval` on NOSCRIPT); `get`/`set` complete the type it declares
 * (`Pick<Redis, "evalsha" | "get" | "set">`, used by dynamic limits). Features we do not enable need more
 * (multi-region: `hset`; deny lists: `multi`; analytics: a pipeline API) and are deliberately not offered here:
 * calling them fails, and a failure only ever sends requests to the in-memory fallback.
 */
export type RatelimitRedis = Pick<UpstashRedis, "evalsha" | "eval" | "get" | "set">;

export interface IoredisClientOptions {
  /** Give up on a TCP/TLS connect after this long (ms). */
  connectTimeoutMs?: number;
  /** Reject a command that has had no reply after this long (ms). */
  commandTimeoutMs?: number;
}

/**
 * An ioredis client tuned to fail fast: a dead Redis must cost a request nothing more than the limiter's own
 * short timeout. Nothing is queued while disconnected (`enableOfflineQueue: false`), a command is retried at
 * most once, and commands cut off by a dropped connection are not replayed after reconnecting (replaying an
 * EVAL would count a request the caller has long since had answered from the fallback). Reconnection keeps
 * going in the background with a capped back-off, so Redis is used again as soon as it is back.
 */
export function createIoredisClient(url: string, options: IoredisClientOptions = {}): IORedis {
  const client = new IORedis(url, {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 1_000,
    commandTimeout: options.commandTimeoutMs ?? 500,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  });
  // Connection errors reach callers as rejected commands (and the limiter's onBackendError); without a listener
  // ioredis would print every reconnect failure to stderr.
  client.on("error", () => {});
  return client;
}

const SHEBANG = /^#!lua\b[^\n]*/;

/**
 * Redis 7.0 rejects the library's `#!lua flags=allow-key-locking` shebang ("Unexpected flag in script shebang").
 * Without the shebang line the script runs as a classic EVAL script with the same semantics; the line is
 * blanked rather than removed so Redis's error line numbers still match the library's source.
 */
export function stripScriptFlags(script: string): string {
  return script.replace(SHEBANG, "");
}

interface LoadedScript {
  /** The script as Redis runs it. */
  body: string;
  /** SHA-1 of `body`: what EVALSHA needs. */
  sha: string;
}

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

function isNoScript(error: unknown): boolean {
  return `${(error as Error | undefined)?.message ?? error}`.includes("NOSCRIPT");
}

/** Arguments as Redis strings, the way @upstash/redis serialises them. */
function toRedisArgs(args: unknown[]): (string | number)[] {
  return args.map((a) => (typeof a === "string" || typeof a === "number" ? a : a === null || a === undefined ? "" : JSON.stringify(a)));
}

/**
 * RL-2: @upstash/ratelimit over a standard Redis through ioredis (REDIS_URL).
 *
 * The library calls `evalsha(hashOfOriginalScript)` and, on NOSCRIPT, `eval(originalScript)`. The original can
 * never be loaded on Redis 7.0 (its shebang flags are refused), so `eval` strips the flags, loads the stripped
 * script with SCRIPT LOAD and remembers original hash -> stripped script. From then on `evalsha` of the original
 * hash runs the stripped script by its own hash; if Redis has lost it (restart, SCRIPT FLUSH) it is sent again
 * with EVAL. An unknown hash goes to Redis unchanged, so the library's own NOSCRIPT fallback still applies.
 */
export class IoredisRatelimitAdapter implements RatelimitRedis {
  private readonly scripts = new Map<string, LoadedScript>();
  private readyWait: Promise<void> | null = null;
  private readonly timeoutMs: number | undefined;

  /**
   * `timeoutMs`: every call settles within about this long. The usual call is one command, which the client's own
   * command timeout bounds (createRedisStore sets it to the same budget); calls that first wait for a connection or
   * load a script are bounded here. Without it, calls wait as long as the client lets them.
   */
  constructor(
    readonly client: IORedis,
    options: { timeoutMs?: number } = {},
  ) {
    this.timeoutMs = options.timeoutMs;
  }

  private bounded<T>(promise: Promise<T>): Promise<T> {
    return this.timeoutMs === undefined ? promise : withTimeout(promise, this.timeoutMs);
  }

  evalsha = <TArgs extends unknown[], TData = unknown>(sha: string, keys: string[], args: TArgs): Promise<TData> => {
    const loaded = this.scripts.get(sha);
    // Every limit call comes here: when connected and the script is known, straight to Redis (no extra promises).
    if (loaded && this.client.status === "ready") return this.send(this.client, loaded, keys, args) as Promise<TData>;
    return this.bounded(this.evalshaWhenConnected(sha, keys, args)) as Promise<TData>;
  };

  private async evalshaWhenConnected(sha: string, keys: string[], args: unknown[]): Promise<unknown> {
    const loaded = this.scripts.get(sha);
    if (!loaded) return await (await this.connected()).evalsha(sha, keys.length, ...keys, ...toRedisArgs(args));
    return await this.run(loaded, keys, args);
  }

  eval = <TArgs extends unknown[], TData = unknown>(script: string, keys: string[], args: TArgs): Promise<TData> =>
    this.bounded(this.load(script).then((loaded) => this.run(loaded, keys, args))) as Promise<TData>;

  get = <TData>(key: string): Promise<TData | null> => this.bounded(this.connected().then((client) => client.get(key))) as Promise<TData | null>;

  set = <TData>(key: string, value: TData, opts?: Parameters<UpstashRedis["set"]>[2]): Promise<"OK" | TData | null> => this.bounded(this.setNow(key, value, opts));

  private async setNow<TData>(key: string, value: TData, opts?: Parameters<UpstashRedis["set"]>[2]): Promise<"OK" | TData | null> {
    const args: (string | number)[] = [key, typeof value === "string" ? value : JSON.stringify(value)];
    if (opts?.ex !== undefined) args.push("EX", opts.ex);
    if (opts?.px !== undefined) args.push("PX", opts.px);
    if (opts?.exat !== undefined) args.push("EXAT", opts.exat);
    if (opts?.pxat !== undefined) args.push("PXAT", opts.pxat);
    if (opts?.keepTtl) args.push("KEEPTTL");
    if (opts && "nx" in opts && opts.nx) args.push("NX");
    if (opts && "xx" in opts && opts.xx) args.push("XX");
    if (opts?.get) args.push("GET");
    return (await (await this.connected()).call("SET", ...args)) as "OK" | TData | null;
  }

  /** Closes the connection (QUIT when connected, otherwise at once). */
  async close(): Promise<void> {
    if (this.client.status === "ready") {
      await this.client.quit().catch(() => this.client.disconnect());
    } else {
      this.client.disconnect();
    }
  }

  private async load(script: string): Promise<LoadedScript> {
    const originalSha = sha1(script);
    const body = stripScriptFlags(script);
    const sha = (await (await this.connected()).script("LOAD", body)) as string;
    const loaded = { body, sha };
    this.scripts.set(originalSha, loaded);
    return loaded;
  }

  private async run(loaded: LoadedScript, keys: string[], args: unknown[]): Promise<unknown> {
    return this.send(await this.connected(), loaded, keys, args);
  }

  /**
   * EVALSHA of the stripped script; if Redis has lost it (restart, SCRIPT FLUSH), EVAL sends it again. Each is one
   * command, bounded by the client's command timeout (so that rare second one can take the budget a second time).
   */
  private send(client: IORedis, loaded: LoadedScript, keys: string[], args: unknown[]): Promise<unknown> {
    const redisArgs = toRedisArgs(args);
    this.batchWrites(client);
    return client.evalsha(loaded.sha, keys.length, ...keys, ...redisArgs).catch((error: unknown) => {
      if (!isNoScript(error)) throw error;
      return client.eval(loaded.body, keys.length, ...keys, ...redisArgs);
    });
  }

  /**
   * Commands issued in the same iteration of the event loop (a request's per-key and per-org limits, and those of
   * every other request whose bytes arrived in that iteration) leave in one write: the socket is corked until the
   * iteration's check phase (setImmediate). A write is a system call and wakes Redis up, which costs more than
   * building the commands. It adds almost no wait: Redis's answers are read in a later poll phase either way.
   */
  private corked = false;
  private batchWrites(client: IORedis): void {
    const socket = (client as unknown as { stream?: { cork?: () => void; uncork?: () => void } }).stream;
    if (this.corked || typeof socket?.cork !== "function" || typeof socket.uncork !== "function") return;
    this.corked = true;
    socket.cork();
    setImmediate(() => {
      this.corked = false;
      socket.uncork!();
    });
  }

  /**
   * With the offline queue off, a command sent before the connection is ready would fail. Wait for a connection
   * attempt that is under way (first use, or a reconnect in progress); fail at once when there is none, so an
   * outage is detected without waiting. Concurrent callers share one wait; the limiter's timeout bounds it.
   */
  private async connected(): Promise<IORedis> {
    const client = this.client;
    if (client.status === "ready") return client;
    if (client.status === "wait") client.connect().catch(() => {});
    if (client.status !== "connecting" && client.status !== "connect") {
      throw new Error(`Redis is not connected (${client.status}).`);
    }
    this.readyWait ??= new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        client.off("ready", onReady);
        client.off("close", onClose);
        this.readyWait = null;
        if (error) reject(error);
        else resolve();
      };
      const onReady = () => done();
      const onClose = () => done(new Error("Redis connection closed before it was ready."));
      const timer = setTimeout(() => done(new Error("Redis connection not ready in time.")), client.options.connectTimeout ?? 1_000);
      client.once("ready", onReady);
      client.once("close", onClose);
    });
    await this.readyWait;
    return client;
  }
}
