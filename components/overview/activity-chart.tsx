"use client";

import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatDate } from "@/lib/format/date";

/**
 * Audit entries per day as a bar chart. The chart is decoration for sighted readers (hidden from assistive
 * technology); the same figures are in the table below it, and the caption says what the chart shows.
 */
export function ActivityChart({ days }: { days: { day: string; entries: number }[] }) {
  const data = days.map((d) => ({ ...d, label: formatDate(d.day).replace(/ \d{4}$/, "") }));
  const total = days.reduce((sum, d) => sum + d.entries, 0);
  const busiest = days.reduce((best, d) => (d.entries > best.entries ? d : best), days[0] ?? { day: "", entries: 0 });
  return (
    <figure aria-labelledby="activity-caption" className="flex flex-col gap-3">
      <figcaption id="activity-caption" className="text-sm text-slate-700">
        {total === 0
          ? `No audit entries in the last ${days.length} days.`
          : `${total.toLocaleString("en-GB")} audit ${total === 1 ? "entry" : "entries"} in the last ${days.length} days; the busiest day was ${formatDate(busiest.day)} with ${busiest.entries.toLocaleString("en-GB")}.`}
      </figcaption>
      <div aria-hidden="true" className="h-48 w-full min-w-0" data-testid="activity-chart">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} accessibilityLayer={false} margin={{ top: 4, right: 4, bottom: 0, left: -24 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" vertical={false} />
            <XAxis dataKey="label" tick={{ fontSize: 11, fill: "#475569" }} interval="preserveStartEnd" tickLine={false} />
            <YAxis allowDecimals={false} tick={{ fontSize: 11, fill: "#475569" }} tickLine={false} axisLine={false} />
            <Tooltip cursor={{ fill: "#eef2ff" }} formatter={(value) => [value, "Entries"]} />
            <Bar dataKey="entries" fill="#4f46e5" radius={[3, 3, 0, 0]} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <details className="text-sm">
        <summary className="cursor-pointer text-indigo-700">Show the figures as a table</summary>
        <table className="mt-2 w-full max-w-xs text-left">
          <caption className="sr-only">Audit entries per day</caption>
          <thead>
            <tr className="text-slate-600">
              <th scope="col" className="py-1 pr-3 font-medium">
                Day
              </th>
              <th scope="col" className="py-1 text-right font-medium">
                Entries
              </th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.day} className="border-t border-slate-100">
                <td className="py-1 pr-3">{formatDate(d.day)}</td>
                <td className="py-1 text-right tabular-nums">{d.entries.toLocaleString("en-GB")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
