import "server-only";
import { ownerDb } from "@/lib/db";
import { verifyAuditChains } from "@/lib/audit/verify";
import type { CheckResult } from "../live-checks";

/** AUD-2: one org's chain (the Security Center's view) or every org's (`npm run controls:check`), read as the owner. */
export async function checkAuditChain(options: { orgId?: string } = {}): Promise<CheckResult> {
  const result = await verifyAuditChains(await ownerDb(), options.orgId);
  const scope = options.orgId ? `org ${options.orgId}` : `${result.orgs} org(s)`;
  if (result.breaks.length === 0) return { status: "pass", detail: `Audit chain intact: ${scope}, ${result.entries} entries verified.` };
  const first = result.breaks.slice(0, 10).map((b) => `${b.orgId} at seq ${b.seq} (${b.reason})`);
  return { status: "fail", detail: `${result.breaks.length} broken chain(s) in ${scope}: ${first.join("; ")}.` };
}
