import { metricsScrapeAllowed, metricsText } from "@/lib/observability/metrics";

/**
 * OBS-4: Prometheus text. With METRICS_TOKEN set, only `Authorization: Bearer <token>` may scrape; in production
 * without a token it is closed. A refused scrape is a 404: the endpoint does not advertise itself.
 */
export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  if (!metricsScrapeAllowed(request.headers.get("authorization"))) return new Response(null, { status: 404 });
  const { body, contentType } = await metricsText();
  return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
}
