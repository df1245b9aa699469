// HTTP load generation shared by the benchmarks: autocannon 9, keep-alive connections, from this process.

export interface LoadResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

type Autocannon = (opts: Record<string, unknown>) => Promise<LoadResult>;

let loaded: Promise<Autocannon> | undefined;
function autocannon(): Promise<Autocannon> {
  const specifier = "autocannon"; // no type declarations ship with autocannon 9
  loaded ??= (import(specifier) as Promise<{ default?: Autocannon }>).then((m) => (m.default ?? m) as Autocannon);
  return loaded;
}

export interface LoadOptions {
  url: string;
  path: string;
  connections: number;
  seconds: number;
  /** A fixed total rate in requests/s, spread over the connections, instead of as fast as possible. */
  rate?: number;
  /** Headers per request (e.g. the next API key, round-robin). */
  headers?: () => Record<string, string>;
}

/** Drives one path for `seconds` and returns autocannon's figures. */
export async function drivePath(o: LoadOptions): Promise<LoadResult> {
  const run = await autocannon();
  return run({
    url: o.url,
    connections: o.connections,
    duration: o.seconds,
    ...(o.rate ? { overallRate: o.rate } : {}),
    requests: [
      {
        method: "GET",
        path: o.path,
        ...(o.headers ? { setupRequest: (req: { headers?: Record<string, string> }) => ({ ...req, headers: { ...req.headers, ...o.headers!() } }) } : {}),
      },
    ],
  });
}
