import { ownerDb } from "@/lib/db";
import { uid } from "../helpers/tenants";

/** A job kind of its own per test, so that workers of one test never take another test's jobs. */
export const testKind = (name: string) => `t${uid()}.${name}`;

export interface JobDbRow {
  id: string;
  org_id: string;
  kind: string;
  state: string;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  delay_seconds: number;
  created_by: string;
}

/** As the owner (outside row-level security): what the queue holds. */
export async function jobsOfKind(kind: string): Promise<JobDbRow[]> {
  return (await ownerDb()).query<JobDbRow>(
    `select id, org_id, kind, state, attempts, max_attempts, last_error, created_by,
            extract(epoch from run_at - updated_at)::float8 as delay_seconds
       from public.jobs where kind = $1 order by created_at, id`,
    [kind],
  );
}

/** The injected clock: instead of waiting, the owner moves a job's time (run_at, lease) into the past. */
export async function makeDueNow(kind: string): Promise<void> {
  await (await ownerDb()).query("update public.jobs set run_at = now() - interval '1 second' where kind = $1 and state = 'pending'", [kind]);
}

export async function expireLeases(kind: string): Promise<void> {
  await (await ownerDb()).query("update public.jobs set locked_until = now() - interval '1 second' where kind = $1 and state = 'running'", [kind]);
}

export async function waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error("waitFor: condition not reached in time");
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function insertDocument(orgId: string): Promise<string> {
  const db = await ownerDb();
  const [project] = await db.query<{ id: string }>("insert into public.projects (org_id, name, created_by) values ($1, 'P', 'user_x') returning id", [orgId]);
  const [doc] = await db.query<{ id: string }>(
    "insert into public.documents (org_id, project_id, name, mime_type, size_bytes, created_by) values ($1, $2, 'a.txt', 'text/plain', 1, 'user_x') returning id",
    [orgId, project!.id],
  );
  return doc!.id;
}
