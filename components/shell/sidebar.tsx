"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useState } from "react";

export interface NavItem {
  href: string;
  label: string;
}

export interface NavGroup {
  label: string;
  items: NavItem[];
}

/** The entry for a path: the longest href that is the path or one of its parents ("/settings" for "/settings"). */
export function currentHref(pathname: string, hrefs: string[]): string | null {
  let best: string | null = null;
  for (const href of hrefs) {
    if ((pathname === href || pathname.startsWith(`${href}/`)) && (!best || href.length > best.length)) best = href;
  }
  return best;
}

/**
 * The dashboard's sidebar: always open from 1024 px up; below that a top bar whose Menu button shows and hides the
 * same panel (one navigation in the page, so keyboard and screen-reader users meet it once). It closes after a
 * navigation and on Escape.
 */
export function SidebarShell({ brand, status, children }: { brand: React.ReactNode; status?: React.ReactNode; children: React.ReactNode }) {
  // Null outside the App Router (e.g. a test rendering the layout to a string).
  const pathname = usePathname() ?? "";
  // Open for the path it was opened on: a navigation closes it.
  const [openOn, setOpenOn] = useState<string | null>(null);
  const open = openOn === pathname;
  const setOpen = (value: boolean | ((o: boolean) => boolean)) => setOpenOn((typeof value === "function" ? value(open) : value) ? pathname : null);
  return (
    <div
      onKeyDown={(e) => {
        if (e.key === "Escape" && open) setOpen(false);
      }}
    >
      <div className="flex items-center gap-3 px-4 py-3">
        {brand}
        <button
          type="button"
          aria-expanded={open}
          aria-controls="sidebar-panel"
          onClick={() => setOpen((o) => !o)}
          className="ml-auto rounded-md px-3 py-1.5 text-sm font-medium text-slate-800 ring-1 ring-slate-300 hover:bg-slate-100 focus:outline-none focus:ring-2 focus:ring-indigo-500 lg:hidden"
        >
          {open ? "Close menu" : "Menu"}
        </button>
      </div>
      {status}
      <div id="sidebar-panel" className={`${open ? "block" : "hidden"} border-t border-slate-200 lg:block`}>
        {children}
      </div>
    </div>
  );
}

/** The navigation groups, with the current page marked for assistive technology (aria-current) and visually. */
export function NavLinks({ groups }: { groups: NavGroup[] }) {
  // Null outside the App Router (e.g. a test rendering the layout to a string).
  const pathname = usePathname() ?? "";
  const current = currentHref(
    pathname,
    groups.flatMap((g) => g.items.map((i) => i.href)),
  );
  return (
    <nav aria-label="Main" className="flex flex-col gap-5 px-3 py-4 text-sm">
      {groups.map((group) => (
        <div key={group.label}>
          <h2 className="px-2 text-xs font-semibold uppercase tracking-wide text-slate-600">{group.label}</h2>
          <ul className="mt-1 flex flex-col gap-0.5">
            {group.items.map((item) => {
              const active = item.href === current;
              return (
                <li key={item.href}>
                  <Link
                    href={item.href}
                    // Not prefetched: some twenty links on every page would each render their page's shell in the
                    // background (tenant reads included) on every view.
                    prefetch={false}
                    aria-current={active ? "page" : undefined}
                    className={`block rounded-md px-2 py-1.5 focus:outline-none focus:ring-2 focus:ring-indigo-500 ${
                      active ? "bg-indigo-50 font-semibold text-indigo-800" : "text-slate-700 hover:bg-slate-100 hover:text-slate-950"
                    }`}
                  >
                    {item.label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </div>
      ))}
    </nav>
  );
}
