import { formatDateTime } from "@/lib/format/date";

export interface VideoItem {
  id: string;
  title: string;
  status: "waiting" | "ready" | "errored";
  errorMessage: string | null;
  createdAt: string;
  playback: { url: string; expiresAt: Date | null } | null;
}

const STATUS: Record<VideoItem["status"], { label: string; className: string }> = {
  waiting: { label: "Waiting for Mux", className: "bg-amber-100 text-amber-800" },
  ready: { label: "Ready", className: "bg-emerald-100 text-emerald-800" },
  errored: { label: "Errored", className: "bg-red-100 text-red-800" },
};

/** A project's videos; a ready one plays its HLS stream (with this viewer's short-lived token when signed). */
export function VideoList({ videos }: { videos: VideoItem[] }) {
  if (videos.length === 0) return <p className="text-sm text-slate-600">No videos yet.</p>;
  return (
    <ul className="flex flex-col gap-4" aria-label="Videos">
      {videos.map((v) => (
        <li key={v.id} className="flex flex-col gap-2 rounded-lg border border-slate-200 p-3" data-testid="video-row">
          <div className="flex flex-wrap items-center gap-3">
            <span className="min-w-0 flex-1 break-words font-medium">{v.title}</span>
            <span className={`rounded px-2 py-0.5 text-xs ${STATUS[v.status].className}`}>{STATUS[v.status].label}</span>
            <time className="text-xs text-slate-500" dateTime={v.createdAt}>
              {formatDateTime(v.createdAt)}
            </time>
          </div>
          {v.status === "errored" && v.errorMessage ? <p className="text-sm text-red-700">{v.errorMessage}</p> : null}
          {v.playback ? (
            // Native HLS (Safari, iOS, Android, recent Chrome); the URL carries this viewer's token when signed.
            <video controls preload="none" playsInline className="aspect-video w-full max-w-2xl rounded bg-black" src={v.playback.url} aria-label={`Play ${v.title}`}>
              Your browser cannot play this video stream.
            </video>
          ) : v.status === "ready" ? (
            <p className="text-sm text-slate-600">This video needs signed playback, and no Mux signing key is configured.</p>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
