import { readiness } from "@/lib/health";

/** OBS-4: 200 when every required dependency answers, 503 otherwise (load balancers stop routing here). */
export const dynamic = "force-dynamic";

export async function GET() {
  const report = await readiness();
  return Response.json(report, { status: report.status === "ready" ? 200 : 503, headers: { "cache-control": "no-store" } });
}
