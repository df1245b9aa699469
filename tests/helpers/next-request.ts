/**
 * What `next/headers` gives a server action, for tests that call real actions outside Next.js's request scope:
 * one request's headers and a cookie jar. Use with `vi.mock("next/headers", () => import("../helpers/next-request"))`.
 */
interface SetCookie {
  value: string;
  options: Record<string, unknown>;
}

export const nextRequest = {
  headers: new Headers(),
  cookies: new Map<string, SetCookie>(),
};

/** Starts a new request: these headers, an empty cookie jar. */
export function startRequest(headers: Record<string, string>): void {
  nextRequest.headers = new Headers(headers);
  nextRequest.cookies = new Map();
}

export async function headers(): Promise<Headers> {
  return nextRequest.headers;
}

export async function cookies() {
  const jar = nextRequest.cookies;
  return {
    get: (name: string) => (jar.has(name) ? { name, value: jar.get(name)!.value } : undefined),
    has: (name: string) => jar.has(name),
    set: (name: string, value: string, options: Record<string, unknown> = {}) => void jar.set(name, { value, options }),
    delete: (name: string) => void jar.delete(name),
  };
}
