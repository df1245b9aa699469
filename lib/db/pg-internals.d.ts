// pg exports its value serialiser only from this module; lib/db/engine.ts uses it to write EXECUTE arguments
// exactly as pg would send the same values as parameters.
declare module "pg/lib/utils" {
  export function prepareValue(value: unknown): unknown;
}
