import { status } from "@/lib/health";

/** OBS-4: version, uptime, which embedded defaults are in use and what they cannot enforce. Never secrets. */
export const dynamic = "force-dynamic";

export async function GET() {
  return Response.json(await status(), { headers: { "cache-control": "no-store" } });
}
