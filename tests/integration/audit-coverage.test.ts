import { describe, expect, it } from "vitest";
import path from "node:path";
import { scanMutationPaths, type MutationPath } from "../helpers/audit-coverage";

const ROOT = path.resolve(__dirname, "../..");

/**
 * AUD-3: the entry points that may change state without their own audit call, each with why. Everything else the scan
 * finds (pipeline actions, server actions, API mutations) must write an audit entry through the one writer. A new
 * action added anywhere is checked at once; a stale exemption fails too.
 */
const EXEMPT: Record<string, string> = {
  // Pipeline actions that only read (authorisation and the read itself run in the pipeline).
  "billing.account": "reads the subscription for the billing page",
  "documents.import_project": "checks the target project before an import; the import itself is documents.import (audited)",
  "projects.view": "reads one project (a cross-tenant probe is recorded by the pipeline)",
  "integrations.list": "reads the org's integrations (service, last 4 characters, who set it and when; never the secret)",
  "personal_credentials.list": "reads the caller's own credentials (service and last 4 characters; never the secret)",
  "videos.prepare_upload": "checks the project before Mux is called; the upload is recorded by video.upload_created",
  // Server actions audited deeper than the scan follows, or changing nothing in an org.
  "app/(auth)/actions.ts#switchOrganizationAction": "issues a token for another org the user belongs to; no row changes",
  "app/(auth)/invite/[token]/actions.ts#acceptInviteAction": "audited as member.invite_redeemed in lib/members/redeem.ts",
  "app/(auth)/invite/[token]/actions.ts#createAccountAndJoinAction": "audited as member.invite_redeemed in lib/members/redeem.ts",
  "app/(auth)/share/[projectId]/[token]/actions.ts#acceptLinkAction": "audited as project_link.redeemed (auditLinkRedeemed in lib/grants) in the link's org, once the session is in it",
  "app/(auth)/share/[projectId]/[token]/actions.ts#createAccountAndRedeemAction": "audited as project_link.redeemed (auditLinkRedeemed in lib/grants) in the link's org, once the session is in it",
  "app/(auth)/passkey-actions.ts#passkeySignInOptionsAction": "issues a WebAuthn challenge in a signed cookie; no row changes (the sign-in is auth.signed_in)",
  "app/(dashboard)/account/security/passkey-actions.ts#passkeyRegistrationOptionsAction": "issues a WebAuthn challenge in a signed cookie; no row changes (the passkey is auth.passkey_added)",
  "app/(dashboard)/account/security/actions.ts#startTotpEnrolmentAction": "stores a pending secret that does nothing until a code confirms it (auth.second_factor_enabled)",
  "app/(dashboard)/projects/[id]/document-actions.ts#deleteDocumentAction": "documents.delete pipeline action (document.deleted)",
  "app/(dashboard)/projects/[id]/document-actions.ts#importDocumentAction": "documents.import pipeline action (document.imported)",
  "app/(dashboard)/projects/[id]/videos/actions.ts#createVideoUploadAction": "audited as video.upload_created in lib/video/index.ts",
  "app/(dashboard)/settings/audit/actions.ts#verifyChainAction": "reads and verifies the chain",
  "app/(dashboard)/settings/billing/actions.ts#checkoutAction": "opens a Stripe Checkout session; the customer is audited as billing.customer_created and the subscription by Stripe's webhooks",
  "app/(dashboard)/settings/billing/actions.ts#billingPortalAction": "opens Stripe's billing portal; changes arrive as audited webhooks",
  // API routes.
  "app/api/csp-report/route.ts#POST": "an anonymous browser report kept as a bounded sample; no org state",
  "app/api/documents/upload/route.ts#POST": "documents.upload pipeline action (document.uploaded)",
  "app/api/webhooks/clerk/route.ts#POST": "webhook kernel: each effect audits through ctx.audit; rejections are security.webhook_rejected events",
  "app/api/webhooks/dub/route.ts#POST": "webhook kernel (see clerk)",
  "app/api/webhooks/mux/route.ts#POST": "webhook kernel (see clerk)",
  "app/api/webhooks/nylas/route.ts#POST": "webhook kernel (see clerk)",
  "app/api/webhooks/stripe/route.ts#POST": "webhook kernel (see clerk)",
};

const unaudited = (paths: MutationPath[]) => paths.filter((p) => !p.audited && !EXEMPT[p.id]).map((p) => `${p.kind} ${p.id} (${p.file})`);

describe("AUD-3: every mutation path writes an audit entry", () => {
  const paths = scanMutationPaths(ROOT);

  it("the scan finds the server actions, pipeline actions and API mutations of the product", () => {
    const ids = paths.map((p) => p.id);
    expect(ids).toEqual(expect.arrayContaining(["projects.create", "api_keys.create", "app/(dashboard)/projects/actions.ts#createProjectAction", "app/api/v1/projects/route.ts#POST", "app/api/graphql/route.ts#POST"]));
    expect(paths.filter((p) => p.kind === "pipeline-action").length).toBeGreaterThan(20);
    expect(paths.filter((p) => p.kind === "server-action").length).toBeGreaterThan(20);
  });

  it("none mutates without an audit entry (or a listed reason), and no exemption is stale", () => {
    expect(unaudited(paths)).toEqual([]);
    const found = new Set(paths.map((p) => p.id));
    expect(Object.keys(EXEMPT).filter((id) => !found.has(id))).toEqual([]);
  });

  it("fails on a fixture action that changes a row without an audit entry", () => {
    const withFixture = scanMutationPaths(ROOT, ["tests/fixtures/audit-coverage/unaudited-action.ts"]);
    expect(unaudited(withFixture)).toEqual([
      "pipeline-action fixture.rename_quietly (tests/fixtures/audit-coverage/unaudited-action.ts)",
    ]);
  });
});
