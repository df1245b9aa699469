// Plain JavaScript, so the production server entry (scripts/server.mjs) can run it without a TypeScript toolchain;
// types are in request-line.d.mts. The proxy (lib/security/edge.ts) applies the same rules.

/**
 * The methods the app serves. TRACE and TRACK echo requests back (cross-site tracing), CONNECT opens tunnels,
 * and WebDAV-style methods mean nothing here; fetch's Request also refuses TRACE, TRACK and CONNECT, so Next.js
 * cannot even hand them to the proxy and answers 500. Everything not listed gets 405 with `Allow`.
 */
export const ALLOWED_METHODS = Object.freeze(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
export const ALLOW_HEADER = ALLOWED_METHODS.join(", ");
const ALLOWED = new Set(ALLOWED_METHODS);

// C0 controls and DEL: no route name contains one, and a NUL reaching PostgreSQL as text is an error (22P05).
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Why a request line cannot be served, as a problem (status, code, title, detail), or null when it can.
 * `target` is the request target: a path (optionally with a query), or an absolute URL.
 * - a method outside ALLOWED_METHODS -> 405;
 * - a target that is neither a path nor an http(s) URL (`*`, `sign-in`) -> 400;
 * - a path whose percent-escapes do not decode as UTF-8 (`/%`, `/%zz`, `/%ff%fe`) or decode to a control
 *   character (`/%00`) -> 400. Next.js would throw decoding a dynamic segment and answer 500.
 * The query is not checked: it is decoded leniently everywhere.
 *
 * @param {string} method
 * @param {string} target
 * @returns {{ status: 400 | 405, code: string, title: string, detail: string } | null}
 */
export function requestLineProblem(method, target) {
  if (!ALLOWED.has(method.toUpperCase())) {
    return { status: 405, code: "method_not_allowed", title: "Method not allowed", detail: `${method.slice(0, 32)} is not served here. Allowed: ${ALLOW_HEADER}.` };
  }
  let path = target;
  if (target[0] !== "/") {
    if (!/^https?:\/\//i.test(target) || !URL.canParse(target)) return malformed("The request target is not a path.");
    path = new URL(target).pathname;
  }
  const query = path.indexOf("?");
  if (query !== -1) path = path.slice(0, query);
  if (!path.includes("%")) return CONTROL.test(path) ? malformed("The path contains a control character.") : null;
  let decoded;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return malformed("The path contains a percent-escape that does not decode.");
  }
  return CONTROL.test(decoded) ? malformed("The path contains a control character.") : null;
}

// What fetch's Request cannot carry, so Next.js fails building one for the proxy and answers 500.
const UNREPRESENTABLE_METHODS = new Set(["TRACE", "TRACK", "CONNECT"]);

/**
 * The part of requestLineProblem that the server entry (scripts/server.mjs) must answer itself, before Next.js:
 * a method fetch refuses (TRACE; Node itself refuses TRACK and unhandled CONNECT with 400) and a request target
 * that is not a path (`OPTIONS *`). Everything else is left to the proxy, which answers with every security header.
 *
 * @param {string} method
 * @param {string} target
 */
export function unrepresentableRequestProblem(method, target) {
  if (UNREPRESENTABLE_METHODS.has(method.toUpperCase()) || (target[0] !== "/" && !/^https?:\/\//i.test(target))) {
    return requestLineProblem(method, target);
  }
  return null;
}

/**
 * Headers for a refusal the server entry sends: a JSON body that is never sniffed, framed, cached or allowed to run
 * anything. (Responses through the proxy get the full set from lib/security/headers.ts.)
 */
export const REFUSAL_HEADERS = Object.freeze({
  "content-type": "application/problem+json",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "referrer-policy": "strict-origin-when-cross-origin",
});

function malformed(detail) {
  return { status: 400, code: "malformed_request", title: "Malformed request", detail };
}

/**
 * The problem+json body for a refusal, shaped like every other problem the app sends (lib/http/problem.ts).
 *
 * @param {{ status: number, code: string, title: string, detail: string }} problem
 * @param {string | null} [requestId]
 */
export function problemJson(problem, requestId) {
  return JSON.stringify({
    type: `https://tenantguard.dev/problems/${problem.code}`,
    title: problem.title,
    status: problem.status,
    code: problem.code,
    detail: problem.detail,
    ...(requestId ? { requestId } : {}),
  });
}
