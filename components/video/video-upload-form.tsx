"use client";

import { useRef, useState } from "react";
import { useRouter } from "next/navigation";
import { createVideoUploadAction } from "@/app/(dashboard)/projects/[id]/videos/actions";

type Phase = { kind: "idle" } | { kind: "preparing" } | { kind: "uploading"; loaded: number; total: number } | { kind: "done"; message: string } | { kind: "failed"; message: string };

/** PUTs the file to Mux's direct-upload URL with XMLHttpRequest, whose upload events drive a real progress bar. */
function putToMux(url: string, file: File, onProgress: (loaded: number) => void): Promise<{ ok: boolean; status: number }> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => resolve({ ok: xhr.status >= 200 && xhr.status < 300, status: xhr.status });
    xhr.onerror = () => resolve({ ok: false, status: 0 });
    xhr.send(file);
  });
}

export function VideoUploadForm({ projectId }: { projectId: string }) {
  const router = useRouter();
  const form = useRef<HTMLFormElement>(null);
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const busy = phase.kind === "preparing" || phase.kind === "uploading";

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const file = data.get("file");
    const title = String(data.get("title") ?? "");
    if (!(file instanceof File) || file.size === 0) {
      setFieldErrors({ file: ["Choose a video file."] });
      return;
    }
    setFieldErrors({});
    setPhase({ kind: "preparing" });
    const result = await createVideoUploadAction({ projectId, title }).catch(() => ({ ok: false as const, message: "The upload could not be started. Please try again.", uploadUrl: undefined, fieldErrors: undefined }));
    if (!result.ok || !result.uploadUrl) {
      setFieldErrors(result.fieldErrors ?? {});
      setPhase({ kind: "failed", message: result.message ?? "The upload could not be started." });
      return;
    }
    setPhase({ kind: "uploading", loaded: 0, total: file.size });
    const sent = await putToMux(result.uploadUrl, file, (loaded) => setPhase({ kind: "uploading", loaded, total: file.size }));
    if (sent.ok) {
      form.current?.reset();
      setPhase({ kind: "done", message: "Uploaded. Mux is processing the video; it can be played once Mux reports it ready." });
    } else {
      setPhase({ kind: "failed", message: sent.status ? `Mux refused the file (${sent.status}). The video stays waiting; try a new upload.` : "The upload was interrupted. The video stays waiting; try a new upload." });
    }
    router.refresh();
  }

  const titleErrors = fieldErrors.title;
  const fileErrors = fieldErrors.file;
  return (
    <form ref={form} onSubmit={(e) => void onSubmit(e)} className="flex flex-col gap-3 rounded-lg border border-slate-200 p-4" aria-label="Upload a video" noValidate>
      <div className="flex flex-col gap-1">
        <label htmlFor="video-title" className="text-sm font-medium text-slate-800">
          Title
        </label>
        <input
          id="video-title"
          name="title"
          maxLength={100}
          required
          aria-invalid={titleErrors ? true : undefined}
          aria-describedby={titleErrors ? "video-title-error" : undefined}
          className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200 aria-[invalid]:border-red-500"
        />
        {titleErrors ? (
          <p id="video-title-error" className="text-sm text-red-700">
            {titleErrors.join(" ")}
          </p>
        ) : null}
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor="video-file" className="text-sm font-medium text-slate-800">
          Video file (sent directly to Mux)
        </label>
        <input id="video-file" name="file" type="file" accept="video/*" required aria-invalid={fileErrors ? true : undefined} aria-describedby={fileErrors ? "video-file-error" : undefined} className="text-sm" />
        {fileErrors ? (
          <p id="video-file-error" className="text-sm text-red-700">
            {fileErrors.join(" ")}
          </p>
        ) : null}
      </div>
      <div>
        <button type="submit" disabled={busy} aria-disabled={busy} className="rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-700 disabled:opacity-60">
          {phase.kind === "preparing" ? "Starting…" : phase.kind === "uploading" ? "Uploading…" : "Upload video"}
        </button>
      </div>
      {phase.kind === "uploading" ? (
        <div className="text-sm">
          <div className="flex justify-between">
            <span>Uploading to Mux</span>
            <span>{phase.total ? Math.round((phase.loaded / phase.total) * 100) : 100}%</span>
          </div>
          <progress className="w-full" max={phase.total || 1} value={phase.loaded} aria-label="Upload progress" />
        </div>
      ) : null}
      {phase.kind === "done" ? (
        <p role="status" className="text-sm text-emerald-700">
          {phase.message}
        </p>
      ) : null}
      {phase.kind === "failed" ? (
        <p role="alert" className="text-sm text-red-700">
          {phase.message}
        </p>
      ) : null}
    </form>
  );
}
