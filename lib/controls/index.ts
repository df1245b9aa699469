import { AUD } from "./catalogue/aud";
import { BIL } from "./catalogue/bil";
import { ENC } from "./catalogue/enc";
import { FILE } from "./catalogue/file";
import { GQL } from "./catalogue/gql";
import { HDR } from "./catalogue/hdr";
import { IDN } from "./catalogue/idn";
import { KEY } from "./catalogue/key";
import { OBS } from "./catalogue/obs";
import { OPS } from "./catalogue/ops";
import { RL } from "./catalogue/rl";
import { SSRF } from "./catalogue/ssrf";
import { TEN } from "./catalogue/ten";
import { VAL } from "./catalogue/val";
import { WH } from "./catalogue/wh";
import { LIVE_CHECKS, type LiveCheckId } from "./live-checks";
import type { Control, ControlId } from "./types";

/**
 * The controls registry: every control TenantGuard promises, what it guarantees, where it lives, which tests prove it,
 * and which live checks watch it. docs/security/controls.md is generated from it (`npm run controls:doc`); a new
 * capability registers its controls and checks here in the same change. This module is pure data; the checks' code
 * is server-only, in lib/controls/checks (`runControlChecks()`, `npm run controls:check`).
 */
export const CONTROLS: readonly Control[] = Object.freeze([
  ...IDN,
  ...TEN,
  ...KEY,
  ...RL,
  ...VAL,
  ...WH,
  ...FILE,
  ...SSRF,
  ...ENC,
  ...AUD,
  ...HDR,
  ...OBS,
  ...GQL,
  ...OPS,
  ...BIL,
]);

export function controlById(id: ControlId): Control | undefined {
  return CONTROLS.find((c) => c.id === id);
}

/** The live checks that watch a control. */
export function liveChecksOf(id: ControlId): LiveCheckId[] {
  return (Object.keys(LIVE_CHECKS) as LiveCheckId[]).filter((check) => (LIVE_CHECKS[check].controls as readonly string[]).includes(id));
}

export { LIVE_CHECKS, type CheckResult, type CheckStatus, type LiveCheckId } from "./live-checks";
export { CONTROL_FAMILIES, type Control, type ControlFamily, type ControlId, type ControlStatus, type Evidence } from "./types";
