import { PageSkeleton } from "@/components/pages/skeleton";

export default function OverviewLoading() {
  return <PageSkeleton stats rows={6} />;
}
