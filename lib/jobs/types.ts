import type { z } from "zod";
import type { Queryable } from "@/lib/db";

/** A job's kind: lower-case, dotted, as the table's check constraint allows (`documents.scan`). */
export const JOB_KIND = /^[a-z][a-z0-9_.]{1,63}$/;

export type JobState = "pending" | "running" | "succeeded" | "dead";

/** What a handler is told about the job it runs. */
export interface JobInfo {
  id: string;
  kind: string;
  orgId: string;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
}

export interface JobContext {
  job: JobInfo;
  /**
   * fn in one transaction as the job's service principal (role `job_service`, claims of the job's org, backed by
   * the live lease): row-level security confines it to that org. Open one per unit of work; never hold one across a
   * long wait (a scan, a fetch).
   */
  withOrg<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Aborted when the worker stops or the lease is lost: stop and throw (the job is retried). */
  signal: AbortSignal;
}

/** A kind of job: its payload schema (VAL-1) and its handler. Handlers must be idempotent (delivery is at least once). */
export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  kind: string;
  payload: S;
  /** Attempts before the dead-letter state (default 5, at most 25). */
  maxAttempts?: number;
  run(payload: z.output<S>, ctx: JobContext): Promise<void>;
}

/** Thrown by a handler when retrying cannot help (the thing the job is about is gone, ...): dead at once. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PermanentJobError";
  }
}

/** A job kind, typed by its payload schema. */
export function defineJob<S extends z.ZodType>(definition: JobDefinition<S>): JobDefinition<S> {
  return definition;
}
