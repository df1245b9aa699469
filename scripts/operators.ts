// TEN-8: the deployment's platform operators (private.platform_operators). Being listed grants nothing by itself:
// an operator enters an organisation only through an owner's live consent (docs/support-access.md).
//
//   npm run operators -- list
//   npm run operators -- add <email | user id>
//   npm run operators -- remove <email | user id>
//
// Runs as the tables' owner (MIGRATION_DATABASE_URL, else DATABASE_URL, else the local PGlite database): no request
// role can read or change the list. Removing an operator ends their support sessions on their next request.
// Exit codes: 0 done, 1 refused (unknown user, not listed), 2 bad arguments or database errors.
import type { Queryable } from "@/lib/db";
import { isServerOnlyGuard, messageOf, runIfInvokedDirectly } from "./lib/cli";

const USAGE = "Usage: operators list | add <email|user id> | remove <email|user id>";

export type OperatorCommand = { verb: "list" } | { verb: "add" | "remove"; who: string };

export function parseOperatorArgs(argv: string[]): OperatorCommand | null {
  const [verb, who, ...rest] = argv;
  if (rest.length) return null;
  if (verb === "list" && who === undefined) return { verb };
  if ((verb === "add" || verb === "remove") && who && (/^user_[A-Za-z0-9]{1,64}$/.test(who) || /^[^\s@]+@[^\s@]+$/.test(who))) return { verb, who };
  return null;
}

/** Runs one command against the owner's connection; returns the lines to print and the exit code. */
export async function runOperatorCommand(db: Pick<Queryable, "query">, command: OperatorCommand): Promise<{ exitCode: 0 | 1; lines: string[] }> {
  if (command.verb === "list") {
    const rows = await db.query<{ user_id: string; email: string | null; added_at: Date }>(
      "select o.user_id, u.email, o.added_at from private.platform_operators o join public.users u on u.id = o.user_id order by u.email",
    );
    if (rows.length === 0) return { exitCode: 0, lines: ["No platform operators."] };
    return { exitCode: 0, lines: rows.map((r) => `${r.user_id}\t${r.email ?? "-"}\tadded ${new Date(r.added_at).toISOString()}`) };
  }
  const [user] = await db.query<{ id: string; email: string | null }>("select id, email from public.users where id = $1 or email = lower($1)", [command.who]);
  if (!user) return { exitCode: 1, lines: [`No user ${command.who}: the operator signs up (or signs in once with Clerk) first.`] };
  if (command.verb === "add") {
    const added = await db.query("insert into private.platform_operators (user_id) values ($1) on conflict (user_id) do nothing returning user_id", [user.id]);
    return { exitCode: 0, lines: [added.length ? `Added ${user.email ?? user.id} (${user.id}) as a platform operator. This grants no access by itself.` : `${user.email ?? user.id} is already a platform operator.`] };
  }
  const removed = await db.query("delete from private.platform_operators where user_id = $1 returning user_id", [user.id]);
  return removed.length
    ? { exitCode: 0, lines: [`Removed ${user.email ?? user.id} (${user.id}). Their support sessions end on their next request.`] }
    : { exitCode: 1, lines: [`${user.email ?? user.id} is not a platform operator.`] };
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const command = parseOperatorArgs(argv);
  if (!command) {
    console.error(USAGE);
    return 2;
  }
  let db: typeof import("@/lib/db");
  try {
    db = await import("@/lib/db");
  } catch (error) {
    console.error(isServerOnlyGuard(error) ? "Run with the react-server condition: `npm run operators -- list`." : `Could not load the database module: ${messageOf(error)}`);
    return 2;
  }
  try {
    const result = await runOperatorCommand(await db.ownerDb(), command);
    (result.exitCode === 0 ? console.log : console.error)(result.lines.join("\n"));
    return result.exitCode;
  } catch (error) {
    console.error(`The operator list could not be changed: ${messageOf(error)}`);
    return 2;
  } finally {
    await db.closeDb().catch(() => {});
  }
}

runIfInvokedDirectly(import.meta.url, main);
