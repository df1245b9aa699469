/**
 * The controls registry's shape. Pure data and types: no database, no environment, so the documentation generator,
 * the registry's own test and (later) the Security Center page can all import it.
 */

export const CONTROL_FAMILIES = {
  IDN: "Identity and sessions",
  TEN: "Tenancy and authorisation",
  KEY: "API keys",
  RL: "Rate limiting",
  VAL: "Input validation and errors",
  WH: "Webhooks",
  FILE: "Files",
  SSRF: "Server-side requests",
  ENC: "Encryption and secrets",
  AUD: "Audit",
  HDR: "Browser security",
  OBS: "Observability",
  GQL: "GraphQL",
  OPS: "Supply chain and change",
  BIL: "Billing and media",
} as const;

export type ControlFamily = keyof typeof CONTROL_FAMILIES;
export type ControlId = `${ControlFamily}-${number}`;
type IdOf<F extends ControlFamily> = `${F}-${number}`;

/**
 * implemented: does what its description says, with evidence that fails when it breaks.
 * partial: part of it is in place and proven; `issue` names what builds the rest, `limitations` says what is missing.
 * planned: not built yet; `issue` names the open issue that builds it.
 */
export type ControlStatus = "implemented" | "partial" | "planned";

/** A test that proves the control: its file, and a substring of a `describe(...)` or `it(...)` name in it. */
export interface Evidence {
  file: string;
  test: string;
}

export interface Control {
  id: ControlId;
  family: ControlFamily;
  title: string;
  /** What TenantGuard does and guarantees, in one paragraph. */
  description: string;
  status: ControlStatus;
  /** The open issue that builds what is not there yet (required unless `implemented`). */
  issue?: number;
  /** Repository paths (files) where the control lives. */
  implementation: string[];
  evidence: Evidence[];
  /** What it does not (yet) do, or where an engine or deployment weakens it. */
  limitations?: string[];
}

/** `evidence("tests/integration/x.test.ts", "name substring")`: one line per piece of evidence. */
export function evidence(file: string, name: string): Evidence {
  return { file, test: name };
}

/** A family's controls, with `family` filled in and each id checked (by the type) to carry the family's prefix. */
export function family<F extends ControlFamily>(name: F, controls: (Omit<Control, "id" | "family"> & { id: IdOf<F> })[]): Control[] {
  return controls.map((c) => ({ ...c, family: name }));
}
