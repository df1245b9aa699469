import { PageSkeleton } from "@/components/pages/skeleton";

export default function DashboardLoading() {
  return <PageSkeleton />;
}
