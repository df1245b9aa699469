"use client";

import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

/**
 * The Security Center's charts (recharts). Each is a figure with a title and a one-line description; the drawing is
 * hidden from assistive technology and the same numbers are in a visually hidden table beside it.
 */

export interface ChartSeries {
  key: string;
  label: string;
  color: string;
}

export interface ChartProps {
  id: string;
  title: string;
  description: string;
  kind: "bar" | "line";
  /** The category column (a day, a severity). */
  xKey: string;
  xLabel: string;
  series: ChartSeries[];
  rows: Record<string, string | number>[];
  stacked?: boolean;
}

const shortDay = (value: unknown) => (typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value.slice(5) : String(value));

export function SecurityChart({ id, title, description, kind, xKey, xLabel, series, rows, stacked }: ChartProps) {
  const total = rows.reduce((sum, r) => sum + series.reduce((s, k) => s + Number(r[k.key] ?? 0), 0), 0);
  return (
    <figure aria-labelledby={`${id}-title`} aria-describedby={`${id}-desc`} className="relative flex min-w-0 flex-col gap-2 rounded-lg border border-slate-200 bg-white p-4">
      <figcaption>
        <h3 id={`${id}-title`} className="font-medium">
          {title}
        </h3>
        <p id={`${id}-desc`} className="text-sm text-slate-600">
          {description} Total: {total}.
        </p>
      </figcaption>
      <div aria-hidden="true" className="h-48 w-full overflow-hidden">
        <ResponsiveContainer width="100%" height="100%">
          {kind === "line" ? (
            <LineChart data={rows} accessibilityLayer={false} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
              <XAxis dataKey={xKey} tickFormatter={shortDay} tick={{ fontSize: 11, fill: "#334155" }} minTickGap={16} />
              <YAxis allowDecimals={false} tick={{ fontSize: 11, fill: "#334155" }} />
              <Tooltip labelFormatter={shortDay} />
              {series.map((s) => (
                <Line key={s.key} type="monotone" dataKey={s.key} name={s.label} stroke={s.color} strokeWidth={2} dot={false} isAnimationActive={false} />
              ))}
            </LineChart>
          ) : (
            <BarChart data={rows} accessibilityLayer={false} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
              <XAxis dataKey={xKey} tickFormatter={shortDay} tick={{ fontSize: 11, fill: "#334155" }} minTickGap={8} />
              <YAxis allowDecimals={false} tick={{ fontSize: 11, fill: "#334155" }} />
              <Tooltip labelFormatter={shortDay} />
              {series.length > 1 ? <Legend wrapperStyle={{ fontSize: 12 }} /> : null}
              {series.map((s) => (
                <Bar key={s.key} dataKey={s.key} name={s.label} fill={s.color} stackId={stacked ? "all" : undefined} isAnimationActive={false} />
              ))}
            </BarChart>
          )}
        </ResponsiveContainer>
      </div>
      <table className="sr-only">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">{xLabel}</th>
            {series.map((s) => (
              <th key={s.key} scope="col">
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={String(r[xKey])}>
              <th scope="row">{String(r[xKey])}</th>
              {series.map((s) => (
                <td key={s.key}>{Number(r[s.key] ?? 0)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
