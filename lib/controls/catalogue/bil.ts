import { evidence, family } from "../types";

const MUX = "tests/integration/video-mux.test.ts";
const NOT_CONFIGURED = "tests/integration/video-not-configured.test.ts";

export const BIL = family("BIL", [
  {
    id: "BIL-1",
    title: "Stripe-driven plans and limits",
    description:
      "Stripe subscriptions decide each organisation's plan and limits: checkout and the customer portal for owners, state changed only by verified webhooks, payments recorded idempotently, and plan limits enforced atomically in the database so concurrent creates never exceed them.",
    status: "planned",
    issue: 14,
    implementation: [],
    evidence: [],
  },
  {
    id: "BIL-2",
    title: "Mux video per project",
    description:
      "Projects hold Mux videos uploaded directly to Mux, with status driven by Mux webhooks; playback is restricted to callers row-level security lets read the project, through short-lived signed playback tokens where a signing key is configured. A member asks for an upload in a project RLS lets them see; the Mux SDK creates the direct upload (our video id as passthrough, the app's origin as CORS origin, signed playback when a signing key is configured) and only then is the video stored, waiting, with an audit entry: a Mux refusal, error or timeout is a clear message and stores nothing. Videos have RLS enabled and forced with the documents' policies; a caller can never set a status. Webhook events change status only through one SECURITY DEFINER function executable by a NOLOGIN role alone, which finds the video from the upload or asset id we stored (a payload's passthrough is only a cross-check, no org is read from a payload) and ignores an event older than the newest one applied. Each viewer of a ready signed video gets their own RS256 token (kid, aud v, sub the playback id, exp ten minutes, at most an hour, viewer_id). Without Mux keys the pages say video is not configured.",
    status: "partial",
    issue: 14,
    implementation: [
      "lib/video/index.ts",
      "lib/video/mux.ts",
      "lib/video/events.ts",
      "lib/video/playback.ts",
      "lib/video/store.ts",
      "lib/video/check.ts",
      "app/(dashboard)/projects/[id]/videos/page.tsx",
      "app/(dashboard)/projects/[id]/videos/actions.ts",
      "components/video/video-upload-form.tsx",
      "components/video/video-list.tsx",
      "supabase/migrations/20261202060000_videos.sql",
    ],
    evidence: [
      evidence(MUX, "creates a direct upload at Mux (POST /video/v1/uploads, Basic auth, cors_origin, signed policy, our video id as passthrough)"),
      evidence(MUX, "a Mux failure ($behaviour) is a clear message and stores nothing"),
      evidence(MUX, "another org's project, a malformed id or an invalid title: refused before Mux is asked"),
      evidence(MUX, "a project deleted while Mux creates the upload: not found, no row, and the upload is cancelled at Mux"),
      evidence(MUX, "asset_created links the asset, ready sets the signed playback id, errored records Mux's message"),
      evidence(MUX, "out of order: an older event never overwrites newer state"),
      evidence(MUX, "the video and its org come from our own rows"),
      evidence(MUX, "a handled event without Mux's documented shape is refused and changes nothing"),
      evidence(MUX, "only video_events may apply events"),
      evidence(MUX, "another org's member sees no video: RLS hides the rows, and the videos page is not found"),
      evidence(MUX, "a member gets a signed HLS URL with a token of its own"),
      evidence(MUX, "a token lives at most an hour whatever is asked"),
      evidence(MUX, "the page itself, for a signed-in member: the upload form and a player for the ready video"),
      evidence(MUX, "warns about a video still waiting a day after its upload was created"),
      evidence(NOT_CONFIGURED, "the videos page says video is not configured, shows no upload form, and an upload is refused"),
      evidence(NOT_CONFIGURED, "without Mux, the CSP names no Mux host; with it, only its media and upload hosts"),
      evidence("tests/unit/video-env.test.ts", "refuses %s"),
      evidence("tests/integration/security-definer-grants.test.ts", "every one of them, and each grantee, is exactly the expected table"),
    ],
    limitations: [
      "The Mux webhook route (/api/webhooks/mux, with its signature check and exactly-once processing in lib/webhooks) is not yet wired to applyMuxEvent: until it is, no status changes in a running app.",
      "Without a signing key, uploads get public playback ids: anyone who learns one can play the video (the page says so).",
      "The player is a plain <video> element with the HLS URL: it plays where the browser plays HLS natively (Safari, iOS, Android, recent Chrome); other browsers need Mux Player or hls.js, which are not installed.",
      "With Mux configured, the CSP allows connections to https://storage.googleapis.com (where Mux's direct uploads go) and media from https://*.mux.com, as Mux documents.",
      "Videos cannot yet be deleted or renamed, and deleting a project does not delete its assets at Mux.",
    ],
  },
]);
