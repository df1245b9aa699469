import { endSupportAction } from "@/app/(dashboard)/support/actions";
import { formatTime } from "@/lib/format/date";

/** TEN-8: shown on every dashboard page while a support session is active. */
export function SupportBanner({ operator, level, endsAt }: { operator: string; level: "read" | "write"; endsAt: Date }) {
  const time = formatTime(endsAt).replace(/ UTC$/, "");
  return (
    <div role="region" aria-label="Support session" className="border-b-2 border-amber-500 bg-amber-100 text-amber-950" data-testid="support-banner">
      <div className="mx-auto flex max-w-5xl flex-col gap-2 px-6 py-2 text-sm sm:flex-row sm:items-center sm:justify-between">
        <p>
          <strong>Support access by {operator}</strong> — {level === "write" ? "read and write" : "read-only"} — ends at <time dateTime={endsAt.toISOString()}>{time} UTC</time>
        </p>
        <form action={endSupportAction}>
          <button type="submit" className="rounded-md bg-amber-900 px-3 py-1.5 font-medium text-white hover:bg-amber-950">
            End session
          </button>
        </form>
      </div>
    </div>
  );
}
