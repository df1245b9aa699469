import { afterAll, describe, expect, it, vi } from "vitest";
import { randomBytes } from "node:crypto";
import { renderToStaticMarkup } from "react-dom/server";
import { startRequest } from "../helpers/next-request";

// OPS-4: the flags page and the dashboard's navigation, with real embedded-IdP session cookies (next/headers given
// by the shared helper) and this deployment's flags set through their real environment overrides: quarantine off
// (a security flag, outside production so no acknowledgement is needed), URL import rolled out admins-first to a
// pilot organisation and one other organisation whose id must never be shown.
vi.mock("next/headers", () => import("../helpers/next-request"));

const PILOT = `org_pilot${randomBytes(6).toString("hex")}`;
const OTHER = `org_secret${randomBytes(6).toString("hex")}`;
vi.stubEnv("FLAG_QUARANTINE", "off");
vi.stubEnv("FLAG_URL_IMPORT", `admins:${PILOT},${OTHER}`);
vi.resetModules();

const { closeDb, ownerDb } = await import("@/lib/db");
const { SESSION_COOKIE_NAME } = await import("@/lib/auth/cookie-name");
const { default: FlagsPage } = await import("@/app/(dashboard)/settings/flags/page");
const { default: DashboardLayout } = await import("@/app/(dashboard)/layout");
const { createOrg, createUser, request, signIn } = await import("../helpers/tenants");

afterAll(async () => {
  vi.unstubAllEnvs();
  await closeDb();
});

async function asUser(token: string) {
  startRequest({ cookie: `${SESSION_COOKIE_NAME}=${token}` });
  const { nextRequest } = await import("../helpers/next-request");
  nextRequest.cookies.set(SESSION_COOKIE_NAME, { value: token, options: {} });
}

async function people(org: { id: string; slug: string }, roles: ("owner" | "admin" | "member")[]) {
  const out = [];
  for (const role of roles) out.push(await signIn(await createUser([{ orgId: org.id, role }]), { ...org, role }));
  return out;
}

const html = async () => renderToStaticMarkup(await FlagsPage({}));

describe("OPS-4: the flags page", () => {
  it("shows owners every flag with its state here, stage, source and kind, and warns first about the security flag that is off", async () => {
    const org = { id: PILOT, slug: `pilot-${PILOT.slice(-6)}` };
    await (await ownerDb()).query("insert into public.organizations (id, name, slug) values ($1, 'Pilot', $2)", [org.id, org.slug]);
    const [owner] = await people(org, ["owner"]);
    await asUser(owner!.token);
    const page = await html();

    for (const name of ["virus_scan", "quarantine", "csrf", "rate_limits", "audit_hash_chain", "mfa_enforcement", "url_import", "graphql"]) {
      expect(page).toContain(`data-testid="flag-${name}"`);
    }
    // The warning, with the setting and the audit record (the page's own tenant transaction recorded it first).
    const warning = page.slice(page.indexOf('data-testid="security-flags-off"'), page.indexOf('aria-label="Feature flags"'));
    expect(page).toMatch(/role="alert"[^>]*data-testid="security-flags-off"/);
    expect(warning).toContain("<code>quarantine</code> (FLAG_QUARANTINE)");
    expect(warning).toMatch(/Recorded in this organisation(&#x27;|')s audit log on \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC\./);
    expect(warning).not.toContain("csrf");

    const block = (name: string) => {
      const start = page.indexOf(`data-testid="flag-${name}"`);
      return page.slice(start, page.indexOf("</li>", start));
    };
    expect(block("quarantine")).toContain("Security");
    expect(block("quarantine")).toContain("Off here");
    expect(block("quarantine")).toContain("Environment (FLAG_QUARANTINE)");
    expect(block("csrf")).toContain("On here");
    expect(block("csrf")).toContain("<dd>Default</dd>");
    expect(block("url_import")).toContain("Feature");
    expect(block("url_import")).toContain("On for owners and admins here");
    expect(block("url_import")).toContain("Admins first: owners and admins of chosen organisations (this organisation is one of them)");
    expect(block("audit_hash_chain")).toContain("Cannot be turned off");
    // A staged rollout's other organisations are never named.
    expect(page).not.toContain(OTHER);

    const [entry] = await (await ownerDb()).query<{ action: string; target_id: string }>(
      "select action, target_id from public.audit_logs where org_id = $1 and target_type = 'feature_flag'",
      [org.id],
    );
    expect(entry).toEqual({ action: "security.flag_off", target_id: "quarantine" });
  });

  it("tells members the page is for admins (it is not a silent 404), and shows them no setting", async () => {
    const org = await createOrg("Members Co");
    const [member] = await people(org, ["member"]);
    expect(await FlagsPage.readFor(member!.session, undefined, request())).toMatchObject({ kind: "ok", data: { flags: null } });
    await asUser(member!.token);
    const page = await html();
    expect(page).toContain('data-testid="admins-only"');
    expect(page).toContain("Only owners and admins of this organisation can see its feature flags.");
    expect(page).not.toContain("FLAG_QUARANTINE");
    expect(page).not.toContain('data-testid="flag-');
  });

  it("an admin of an org outside the rollout sees the feature off here and the warning the same", async () => {
    const org = await createOrg("Elsewhere");
    const [admin] = await people(org, ["admin"]);
    const read = await FlagsPage.readFor(admin!.session, undefined, request());
    expect(read.kind).toBe("ok");
    const flags = (read as { data: { flags: { name: string; stateHere: string; orgListed: boolean | null }[] } }).data.flags;
    expect(flags.find((f) => f.name === "url_import")).toMatchObject({ stateHere: "off", orgListed: false });
    expect(flags.find((f) => f.name === "quarantine")).toMatchObject({ stateHere: "off" });
  });

  it("the dashboard's navigation links Flags for owners and admins, not for members", async () => {
    const org = await createOrg("Nav Co");
    const [admin, member] = await people(org, ["admin", "member"]);
    await asUser(admin!.token);
    expect(renderToStaticMarkup(await DashboardLayout({ children: null }))).toContain('href="/settings/flags"');
    await asUser(member!.token);
    expect(renderToStaticMarkup(await DashboardLayout({ children: null }))).not.toContain('href="/settings/flags"');
  });
});
