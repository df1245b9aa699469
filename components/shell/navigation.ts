import type { OrgRole } from "@/lib/auth/claims";
import type { NavGroup } from "./sidebar";

/**
 * The dashboard's navigation for a role. TEN-7: a guest has its projects and its own account only; a member sees no
 * admin pages (they would answer "admins only"); owners and admins see the org's pages; only an owner outside a
 * support session sees Support access.
 */
export function navigationFor(role: OrgRole | null, options: { supportSession: boolean }): NavGroup[] {
  const admin = role === "owner" || role === "admin";
  const member = admin || role === "member";
  const groups: NavGroup[] = [];

  groups.push({
    label: "Workspace",
    items: [...(member ? [{ href: "/overview", label: "Overview" }] : []), { href: "/projects", label: "Projects" }, { href: "/docs/api", label: "API docs" }],
  });

  if (member) {
    const org = [{ href: "/settings/members", label: "Members" }];
    if (admin) {
      org.push(
        { href: "/settings/api-keys", label: "API keys" },
        { href: "/settings/integrations", label: "Integrations" },
        { href: "/settings/billing", label: "Billing" },
        { href: "/settings/webhooks", label: "Webhooks" },
        { href: "/settings/jobs", label: "Jobs" },
        { href: "/settings/audit", label: "Audit log" },
      );
      if (role === "owner" && !options.supportSession) org.push({ href: "/settings/support-access", label: "Support access" });
      org.push(
        { href: "/settings", label: "Settings" },
        { href: "/security", label: "Security Center" },
        { href: "/security/evidence", label: "Evidence pack" },
        { href: "/settings/flags", label: "Flags" },
        { href: "/settings/sbom", label: "SBOM" },
      );
    }
    groups.push({ label: "Organisation", items: org });
  }

  groups.push({
    label: "Account",
    items: [
      { href: "/account/profile", label: "Profile" },
      { href: "/account/sessions", label: "Sessions" },
      { href: "/account/security", label: "Security" },
      ...(member ? [{ href: "/account/credentials", label: "Credentials" }] : []),
    ],
  });
  return groups;
}
