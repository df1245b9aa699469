import "server-only";
import { hasRole } from "@/lib/actions/pipeline";
import { orgSecondFactorRule, secondFactorSatisfied } from "@/lib/auth/second-factor-rule";
import type { PageConfig } from "@/lib/pages/read";
import { RATE_LIMIT_CLASSES } from "@/lib/ratelimit";

export type EvidencePageData =
  | { admin: false }
  | { admin: true; secondFactorRequired: boolean; secondFactorFresh: boolean; windowMinutes: number; exportLimit: { limit: number; window: string } };

/** /security/evidence: members learn the page is for admins; owners and admins see whether they may export now. */
export const EVIDENCE_PAGE: PageConfig<undefined, EvidencePageData> = {
  name: "security.evidence",
  minimumRole: "member",
  read: async ({ session, tx }) => {
    if (!hasRole(session, "admin")) return { admin: false };
    const rule = await orgSecondFactorRule(tx, session.orgId!);
    return {
      admin: true,
      secondFactorRequired: rule.required,
      secondFactorFresh: await secondFactorSatisfied(tx, "fresh"),
      windowMinutes: rule.windowMinutes,
      exportLimit: RATE_LIMIT_CLASSES.evidenceExport,
    };
  },
};
