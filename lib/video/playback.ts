import "server-only";
import type Mux from "@mux/mux-node";
import type { VideoRow } from "./store";

/** BIL-2: how long a signed playback token is valid (10 minutes; never more than an hour). */
export const PLAYBACK_TOKEN_TTL_SECONDS = 600;
export const MAX_PLAYBACK_TOKEN_TTL_SECONDS = 3600;

export const MUX_STREAM_ORIGIN = "https://stream.mux.com";

export interface Playback {
  /** The HLS manifest URL, with the viewer's token when the playback id is signed. */
  url: string;
  /** When the token in `url` expires (null for a public playback id). */
  expiresAt: Date | null;
}

/**
 * The playback URL of a ready video for one viewer, who has read it under RLS in the same request. A signed
 * playback id gets a token of its own: RS256 with the configured signing key (kid), `sub` the playback id, `aud`
 * "v" (video), `exp` at most an hour ahead, and the viewer's user id as `viewer_id`, so every token names whom it
 * was issued to. Null when the video cannot be played: not ready, or signed without a signing key configured.
 */
export async function playbackFor(
  mux: Mux | null,
  video: Pick<VideoRow, "status" | "playback_id" | "playback_policy">,
  viewerId: string,
  options: { signingConfigured: boolean; ttlSeconds?: number },
): Promise<Playback | null> {
  if (video.status !== "ready" || !video.playback_id) return null;
  const manifest = `${MUX_STREAM_ORIGIN}/${encodeURIComponent(video.playback_id)}.m3u8`;
  if (video.playback_policy === "public") return { url: manifest, expiresAt: null };
  if (!mux || !options.signingConfigured) return null;
  const ttl = Math.min(Math.max(Math.trunc(options.ttlSeconds ?? PLAYBACK_TOKEN_TTL_SECONDS), 1), MAX_PLAYBACK_TOKEN_TTL_SECONDS);
  const token = await mux.jwt.signPlaybackId(video.playback_id, { type: "video", expiration: `${ttl}s`, params: { viewer_id: viewerId } });
  return { url: `${manifest}?token=${encodeURIComponent(token)}`, expiresAt: new Date(Date.now() + ttl * 1000) };
}
