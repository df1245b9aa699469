import "server-only";
import { NextRequest } from "next/server";
import { env } from "@/lib/env";
import { outboundFetch } from "@/lib/http/outbound";
import { clerkFrontendOrigin } from "@/lib/auth/clerk-origin";
import { createEdgeHandler } from "@/lib/security/edge";
import type { CheckResult } from "../live-checks";

/** HDR-1 / HDR-2: what a response must carry; each failed rule is named in the detail. */
export function evaluateSecurityHeaders(headers: Headers, production: boolean): CheckResult {
  const problems: string[] = [];
  const csp = headers.get("content-security-policy") ?? "";
  const directive = (name: string) => csp.split(";").map((d) => d.trim()).find((d) => d === name || d.startsWith(`${name} `));
  const scriptSrc = directive("script-src") ?? directive("default-src") ?? "";

  if (headers.get("x-content-type-options")?.toLowerCase() !== "nosniff") problems.push("X-Content-Type-Options is not nosniff");
  if (headers.get("x-frame-options")?.toUpperCase() !== "DENY") problems.push("X-Frame-Options is not DENY");
  if (!headers.get("referrer-policy")) problems.push("no Referrer-Policy");
  if (!headers.get("permissions-policy")) problems.push("no Permissions-Policy");
  if (headers.has("x-powered-by")) problems.push("X-Powered-By is sent");
  if (!csp) {
    problems.push("no Content-Security-Policy");
  } else {
    if (directive("frame-ancestors") !== "frame-ancestors 'none'") problems.push("CSP frame-ancestors is not 'none'");
    if (!/'nonce-[A-Za-z0-9+/=_-]{16,}'/.test(scriptSrc)) problems.push("CSP script-src has no nonce");
    if (scriptSrc.includes("'unsafe-inline'")) problems.push("CSP script-src allows 'unsafe-inline'");
    if (production && scriptSrc.includes("'unsafe-eval'")) problems.push("CSP script-src allows 'unsafe-eval' in production");
  }
  if (production) {
    const hsts = headers.get("strict-transport-security") ?? "";
    const maxAge = Number(/max-age=(\d+)/i.exec(hsts)?.[1] ?? 0);
    if (maxAge < 63_072_000 || !/includeSubDomains/i.test(hsts)) problems.push("HSTS missing or weaker than two years with includeSubDomains");
  }
  if (problems.length > 0) return { status: "fail", detail: `Security headers incomplete: ${problems.join("; ")}.` };
  return { status: "pass", detail: `nosniff, frame denial, nonce CSP without unsafe-inline scripts, Referrer-Policy, Permissions-Policy${production ? ", HSTS" : ""}.` };
}

/**
 * The app's own request pipeline, called in-process with a request for `path`: proxy.ts, or, where it cannot load
 * (under the react-server condition the CLI runs with, Clerk's middleware cannot), the edge pipeline proxy.ts wraps,
 * built with the same configuration.
 */
export async function proxyResponseHeaders(path: string): Promise<{ headers: Headers; source: string }> {
  const request = new NextRequest(new URL(path, env.APP_URL));
  try {
    const proxy = (await import("@/proxy")).default as (request: NextRequest, event: unknown) => Response | Promise<Response>;
    // The embedded proxy takes the request only; Clerk's middleware also wants an event it can hand work to.
    return { headers: (await proxy(request, { waitUntil() {} })).headers, source: `proxy response to ${path}` };
  } catch {
    const edge = createEdgeHandler({
      production: env.NODE_ENV === "production",
      appOrigin: new URL(env.APP_URL).origin,
      corsOrigins: env.corsOrigins,
      clerkOrigin: env.identityProvider === "clerk" ? clerkFrontendOrigin(env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY!) : undefined,
      mux: env.muxConfigured,
    });
    return { headers: (await edge(request, false)).headers, source: `edge pipeline (lib/security/edge.ts) response to ${path}` };
  }
}

/** SSRF-2: the operator-given URL is fetched through the outbound client; only the headers are read. */
async function liveHeaders(url: string): Promise<Headers> {
  const response = await outboundFetch(url, { redirect: "manual", timeouts: { totalMs: 10_000 } });
  await response.body?.cancel();
  return new Headers([...response.headers]);
}

/**
 * HDR-1 / HDR-2 on a real response: by default the proxy's answer to a page request, in-process; with `url`, a live
 * response fetched from the running app (e.g. its public origin). `production` decides whether HSTS is required.
 */
export async function checkSecurityHeaders(
  options: { url?: string; path?: string; production?: boolean; respond?: (path: string) => Promise<{ headers: Headers; source: string }> } = {},
): Promise<CheckResult> {
  const production = options.production ?? (options.url ? new URL(options.url).protocol === "https:" : env.NODE_ENV === "production");
  const { headers, source } = options.url
    ? {
        headers: await liveHeaders(options.url),
        source: `GET ${new URL(options.url).origin}${new URL(options.url).pathname}`,
      }
    : await (options.respond ?? proxyResponseHeaders)(options.path ?? "/");
  const result = evaluateSecurityHeaders(headers, production);
  return { ...result, detail: `${source}: ${result.detail}` };
}
