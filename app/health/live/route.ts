/** OBS-4: the process is up and serving. No dependency is checked here. */
export const dynamic = "force-dynamic";

export function GET() {
  return Response.json({ status: "live" }, { headers: { "cache-control": "no-store" } });
}
