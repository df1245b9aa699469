import "server-only";
import { env } from "@/lib/env";
import { appendAudit } from "@/lib/audit/writer";
import { SECURITY_EVENT } from "@/lib/audit/events";
import { withTenantTransaction, type TenantClaims } from "@/lib/db";
import { FLAG_DEFINITIONS, SECURITY_FLAGS } from "./definitions";
import type { ResolvedFlags } from "./parse";
import { markFlagStatesRecorded, securityFlagSignature, securityFlagState } from "./recorded";

export const FLAG_RESTORED_ACTION = "flag.security_restored";

/**
 * OPS-4: records in the org's audit log the security flags this instance runs with off (`security.flag_off`, high:
 * alerted) and those back on since the org last recorded them off (`flag.security_restored`), once per org and
 * state change however many instances do it at once (private.security_flag_states decides, under its row lock).
 * Runs in a transaction of its own under the org's verified claims before the org's first tenant transaction in
 * this process (lib/db withTenant). Fail closed: if it cannot be written, that tenant transaction fails too, so no
 * organisation is served with a control off and unrecorded. Resolves to the number of entries written.
 */
export async function recordSecurityFlagStates(claims: TenantClaims, orgId: string, flags: ResolvedFlags = env.flags): Promise<number> {
  const signature = securityFlagSignature(flags);
  const written = await withTenantTransaction(claims, async (tx) => {
    let entries = 0;
    const on: string[] = [];
    for (const name of SECURITY_FLAGS) {
      const state = securityFlagState(flags, name);
      if (state === "on") {
        on.push(name);
        continue;
      }
      const [row] = await tx.query<{ changed: boolean }>("select private.record_security_flag_off($1, $2) as changed", [name, state]);
      if (!row?.changed) continue;
      await appendAudit(tx, {
        orgId,
        actorType: "system",
        actorId: "service:flags",
        action: SECURITY_EVENT.flagOff,
        targetType: "feature_flag",
        targetId: name,
        changes: { flag: name, state, setBy: flags[name].setBy, acknowledged: state === "off_acknowledged", control: FLAG_DEFINITIONS[name].control, environment: env.NODE_ENV },
      });
      entries += 1;
    }
    if (on.length > 0) {
      const restored = await tx.query<{ flag: string }>("select flag from private.record_security_flags_on($1::text[]) as flag", [on]);
      for (const { flag } of restored) {
        await appendAudit(tx, { orgId, actorType: "system", actorId: "service:flags", action: FLAG_RESTORED_ACTION, targetType: "feature_flag", targetId: flag, changes: { flag, state: "on" } });
        entries += 1;
      }
    }
    return entries;
  });
  markFlagStatesRecorded(orgId, signature);
  return written;
}
