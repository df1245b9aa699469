import { AppShell } from "@/components/shell/app-shell";

// The sidebar, org switcher, signed-in user, support banner and toasts live in components/shell/app-shell.tsx, shared
// with the app-wide 404 page so a missing page keeps the app's frame. Awaited here (not rendered as <AppShell>) so the
// layout's output is the frame itself, as tests render it.
export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  return await AppShell({ children });
}
