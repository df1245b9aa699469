import { PageSkeleton } from "@/components/pages/skeleton";

// TEN-4: only pages that never answer 404 have a loading state: a streamed response has sent its 200 before the
// page could call notFound(), so a page that may be a 404 renders whole instead.
export default function Loading() {
  return <PageSkeleton />;
}
