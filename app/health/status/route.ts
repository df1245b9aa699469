import { status } from "@/lib/health";

/** OBS-4: version, uptime and which embedded defaults are in use. Never secrets. */
export const dynamic = "force-dynamic";

export function GET() {
  return Response.json(status(), { headers: { "cache-control": "no-store" } });
}
