import type { Metadata } from "next";
import Link from "next/link";
import { definePage } from "@/lib/pages/define-page";
import { readProjectVideos, videoConfiguration } from "@/lib/video";
import { viewProjectVideosSchema } from "@/lib/video/schemas";
import { VideoUploadForm } from "@/components/video/video-upload-form";
import { VideoList } from "@/components/video/video-list";

export const metadata: Metadata = { title: "Videos" };

// BIL-2 / TEN-4: the videos of a project the caller may read (RLS); another org's project is not found (recorded).
export default definePage(
  {
    name: "projects.videos",
    minimumRole: "guest",
    params: viewProjectVideosSchema,
    read: async ({ tx, session, params }) => ({ ...(await readProjectVideos(tx, session, params.id)), config: videoConfiguration() }),
  },
  function ProjectVideosPage({ data }) {
    const { project, videos, config } = data;
    return (
      <div className="flex flex-col gap-4">
        <Link href={`/projects/${project.id}`} className="text-sm text-indigo-700 hover:underline">
          ← {project.name}
        </Link>
        <h1 className="text-2xl font-semibold">Videos</h1>
        {config.configured ? (
          <>
            <VideoUploadForm projectId={project.id} />
            {config.signedPlayback ? null : (
              <p className="text-sm text-amber-800" data-testid="video-public-playback">
                No Mux signing key is configured: new videos get public playback ids, which anyone who learns one can play.
              </p>
            )}
          </>
        ) : (
          <p role="status" className="rounded-lg border border-slate-300 bg-slate-50 p-4 text-sm text-slate-700" data-testid="video-not-configured">
            Video is not configured on this deployment (no Mux API token). An administrator can set MUX_TOKEN_ID and MUX_TOKEN_SECRET to enable uploads.
          </p>
        )}
        <VideoList videos={videos} />
      </div>
    );
  },
);
