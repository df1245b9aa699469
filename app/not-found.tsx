import { AppShell } from "@/components/shell/app-shell";
import { NotFoundNotice } from "@/components/pages/not-found-notice";

// A URL that matches no route: the app's frame stays (the sidebar when signed in, the public header otherwise).
export default function NotFound() {
  return (
    <AppShell signedOut="public">
      <NotFoundNotice />
    </AppShell>
  );
}
