import type { Metadata } from "next";
import Link from "next/link";
import { env } from "@/lib/env";
import { API_ROUTES, ERROR_CATALOGUE } from "@/lib/api/openapi";
import { RATE_LIMIT_CLASSES } from "@/lib/ratelimit/limits";

export const metadata: Metadata = { title: "API reference" };

const EXAMPLE_BODIES: Record<string, string> = {
  createProject: '{"name":"Q1 launch"}',
  updateProject: '{"name":"Q1 launch (final)"}',
};

function curl(base: string, spec: (typeof API_ROUTES)[number]) {
  const path = spec.path.replace("{id}", "3f1c…-project-id");
  const lines = [`curl -X ${spec.method.toUpperCase()} "${base}${path}" \\`, `  -H "Authorization: Bearer $TENANTGUARD_KEY"`];
  if (spec.body) lines[lines.length - 1] += " \\";
  if (spec.body) lines.push(`  -H "Content-Type: application/json" \\`);
  if (spec.idempotent) lines.push(`  -H "Idempotency-Key: $(uuidgen)" \\`);
  if (spec.body) lines.push(`  -d '${EXAMPLE_BODIES[spec.operationId] ?? "{}"}'`);
  return lines.join("\n");
}

/** A readable reference generated from the same route table and schemas as /api/v1/openapi.json. */
export default function ApiReferencePage() {
  const base = new URL(env.APP_URL).origin;
  return (
    <main className="mx-auto flex max-w-4xl flex-col gap-10 px-4 py-12 sm:px-6">
      <nav aria-label="Breadcrumb" className="text-sm">
        <Link href="/overview" className="text-indigo-700 underline">
          ← Back to the dashboard
        </Link>
      </nav>
      <header className="flex flex-col gap-2">
        <h1 className="text-3xl font-semibold">Partner API reference</h1>
        <p className="text-slate-700">
          REST under <code>/api/v1</code> and GraphQL at <code>/api/graphql</code>. Machine-readable:{" "}
          <Link href="/api/v1/openapi.json" className="text-indigo-700 underline">
            OpenAPI 3.1 document
          </Link>
          .
        </p>
      </header>

      <section aria-labelledby="auth" className="flex flex-col gap-2">
        <h2 id="auth" className="text-xl font-semibold">
          Authentication
        </h2>
        <p className="text-slate-700">
          Organisation admins create API keys under <em>Settings → API keys</em>. A key is shown once; we store only its SHA-256. Send it as{" "}
          <code>Authorization: Bearer tg_live_…</code>. Keys are scoped to the organisation or one project, read-only or read+write, may expire, may be
          limited to IP networks, and can be rolled with a grace period or revoked (effective on the next request). Every failure answers the same{" "}
          <code>401</code>.
        </p>
      </section>

      <section aria-labelledby="limits" className="flex flex-col gap-2">
        <h2 id="limits" className="text-xl font-semibold">
          Rate limits, idempotency, CORS
        </h2>
        <ul className="list-disc pl-6 text-slate-700">
          <li>
            Per key {RATE_LIMIT_CLASSES.apiKey.limit} requests per {RATE_LIMIT_CLASSES.apiKey.window}, per organisation {RATE_LIMIT_CLASSES.org.limit}, GraphQL
            additionally {RATE_LIMIT_CLASSES.expensive.limit}; unauthenticated requests {RATE_LIMIT_CLASSES.anonymousIp.limit} per IP. Responses carry{" "}
            <code>RateLimit-Limit</code>, <code>RateLimit-Remaining</code>, <code>RateLimit-Reset</code>; a <code>429</code> also carries <code>Retry-After</code>.
          </li>
          <li>
            <code>POST</code> accepts <code>Idempotency-Key</code>: the first response is replayed for 24 hours (header <code>Idempotency-Replayed: true</code>); the
            same key with a different body answers <code>422</code>.
          </li>
          <li>
            Any origin may call the API from a browser (no cookies are used or accepted). Bodies are JSON (<code>Content-Type: application/json</code>,
            UTF-8; anything else is <code>415</code>) and limited to 64 KB.
          </li>
          <li>
            List endpoints page newest first: pass <code>nextCursor</code> back as <code>cursor</code>. A cursor is exact, so paging never skips or repeats
            an item, even while items are being added.
          </li>
          <li>
            An unsupported method answers <code>405</code> with an <code>Allow</code> header, an unknown path under <code>/api/v1</code> answers{" "}
            <code>404</code>; both are problem details like every other error.
          </li>
          <li>
            Every response has an <code>X-Request-ID</code>; send your own (8–128 characters of <code>A-Z a-z 0-9 . _ : -</code>) to correlate.
          </li>
        </ul>
      </section>

      <section aria-labelledby="endpoints" className="flex flex-col gap-6">
        <h2 id="endpoints" className="text-xl font-semibold">
          Endpoints
        </h2>
        {API_ROUTES.map((spec) => (
          <article key={spec.operationId} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-labelledby={spec.operationId}>
            <h3 id={spec.operationId} className="font-mono text-sm font-semibold">
              <span className="mr-2 rounded bg-slate-100 px-2 py-0.5 uppercase">{spec.method}</span>
              {spec.path}
            </h3>
            <p className="mt-1 text-sm text-slate-700">
              {spec.description} Needs a <strong>{spec.permission === "write" ? "read+write" : "read"}</strong> key. Success: <code>{spec.status}</code>.
            </p>
            <pre tabIndex={0} className="mt-3 overflow-x-auto focus:outline-none focus:ring-2 focus:ring-indigo-400 rounded bg-slate-900 p-3 text-xs text-slate-100">{curl(base, spec)}</pre>
          </article>
        ))}
        <article className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-labelledby="graphql">
          <h3 id="graphql" className="font-mono text-sm font-semibold">
            <span className="mr-2 rounded bg-slate-100 px-2 py-0.5">POST</span>/api/graphql
          </h3>
          <p className="mt-1 text-sm text-slate-700">
            Queries <code>projects</code>, <code>project(id)</code> (with <code>documents</code>); mutations <code>createProject</code>, <code>renameProject</code>,{" "}
            <code>deleteProject</code>. Depth ≤ 6, at most 10 aliases, cost-limited; introspection is disabled in production.
          </p>
          <pre tabIndex={0} className="mt-3 overflow-x-auto focus:outline-none focus:ring-2 focus:ring-indigo-400 rounded bg-slate-900 p-3 text-xs text-slate-100">{`curl -X POST "${base}/api/graphql" \\
  -H "Authorization: Bearer $TENANTGUARD_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{"query":"{ projects(first: 10) { nodes { id name } nextCursor } }"}'`}</pre>
        </article>
      </section>

      <section aria-labelledby="errors" className="flex flex-col gap-2">
        <h2 id="errors" className="text-xl font-semibold">
          Errors
        </h2>
        <p className="text-slate-700">
          Errors are <code>application/problem+json</code> (RFC 9457) with a stable <code>code</code>; validation errors add <code>errors</code> by field. They
          never contain stack traces, SQL or file paths.
        </p>
        <table className="w-full rounded-lg bg-white text-left text-sm shadow-sm">
          <thead className="border-b border-slate-200 text-slate-500">
            <tr>
              <th className="p-3 font-medium">Status</th>
              <th className="p-3 font-medium">Code</th>
              <th className="p-3 font-medium">When</th>
            </tr>
          </thead>
          <tbody>
            {ERROR_CATALOGUE.map((e) => (
              <tr key={e.code} className="border-b border-slate-100 last:border-0 align-top">
                <td className="p-3 font-mono">{e.status}</td>
                <td className="p-3 font-mono">{e.code}</td>
                <td className="p-3 text-slate-700">{e.when}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </main>
  );
}
