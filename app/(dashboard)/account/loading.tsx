import { PageSkeleton } from "@/components/pages/skeleton";

export default function Loading() {
  return <PageSkeleton />;
}
