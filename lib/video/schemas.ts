import { z } from "zod";
import { displayName } from "@/lib/validation/text";
import { projectId } from "@/lib/projects/schemas";

/** VAL-1: a video's inputs (the dashboard's upload form and the page's params). */
export const videoTitle = displayName({ max: 100, empty: "Enter a title for the video." });

export const createVideoUploadSchema = z.object({ projectId, title: videoTitle });
export const viewProjectVideosSchema = z.object({ id: projectId });

/** Identifiers Mux gives (upload, asset, playback): letters and digits, as the videos table also checks. */
export const muxId = z.string().regex(/^[A-Za-z0-9]{1,128}$/);

/** The upload object Mux returns from `POST /video/v1/uploads` (what we use of it). */
export const muxUploadSchema = z.object({ id: muxId, url: z.url({ protocol: /^https$/ }) });
