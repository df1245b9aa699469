import { NotFoundNotice } from "@/components/pages/not-found-notice";

// TEN-4: a dashboard page's 404 (a foreign or unknown id) inside the dashboard's frame; it says nothing more.
export default function DashboardNotFound() {
  return <NotFoundNotice />;
}
