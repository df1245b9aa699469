/** In-app notices to the org's admins (e.g. "API key created"), newest first. */
export function NotificationsList({ items }: { items: { id: string; at: string; text: string; unread: boolean }[] }) {
  if (items.length === 0) return <p className="py-3 text-sm text-slate-500">No notifications.</p>;
  return (
    <ul className="divide-y divide-slate-100">
      {items.map((n) => (
        <li key={n.id} className="flex items-baseline gap-3 py-2 text-sm">
          <span className="w-40 shrink-0 text-xs text-slate-500">{n.at}</span>
          <span className={n.unread ? "font-medium" : undefined}>{n.text}</span>
        </li>
      ))}
    </ul>
  );
}
