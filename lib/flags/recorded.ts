import { SECURITY_FLAGS } from "./definitions";
import type { ResolvedFlags } from "./parse";

/**
 * OPS-4: which organisations this process has already recorded its security flag states for (lib/flags/record.ts),
 * keyed by the states, so that only an org's first tenant transaction after start (or after the flags changed, in
 * tests) pays for it. The database keeps the states across instances; this only spares the round trip. No imports
 * beyond the flag definitions: lib/db reads it on every tenant transaction.
 */
const holder = globalThis as typeof globalThis & { __tenantguardFlagStatesRecorded?: Map<string, string> };

/** The security flags' states, as one string: `virus_scan=on,quarantine=off_acknowledged,...`. */
export function securityFlagSignature(flags: ResolvedFlags): string {
  return SECURITY_FLAGS.map((name) => `${name}=${securityFlagState(flags, name)}`).join(",");
}

export function securityFlagState(flags: ResolvedFlags, name: (typeof SECURITY_FLAGS)[number]): "on" | "off" | "off_acknowledged" {
  const flag = flags[name];
  if (flag.rollout.stage !== "off") return "on";
  return flag.acknowledgedOff ? "off_acknowledged" : "off";
}

export function flagStatesRecorded(orgId: string, signature: string): boolean {
  return holder.__tenantguardFlagStatesRecorded?.get(orgId) === signature;
}

export function markFlagStatesRecorded(orgId: string, signature: string): void {
  const recorded = (holder.__tenantguardFlagStatesRecorded ??= new Map());
  // Bounded like the other per-process maps: forgetting an org only costs it one more (idempotent) round trip.
  if (recorded.size >= 10_000) recorded.clear();
  recorded.set(orgId, signature);
}
