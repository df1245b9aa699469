import { afterAll, describe, expect, it, vi } from "vitest";
import { createElement } from "react";
import { renderToReadableStream } from "react-dom/server";

vi.mock("next/headers", () => import("../helpers/next-request"));
vi.mock("next/cache", () => ({ revalidatePath: () => undefined }));

const { startRequest, nextRequest } = await import("../helpers/next-request");
const { closeDb, ownerDb } = await import("@/lib/db");
const { SESSION_COOKIE_NAME } = await import("@/lib/auth/cookie-name");
const { default: MembersPage } = await import("@/app/(dashboard)/settings/members/page");
const { default: InvitePage } = await import("@/app/(auth)/invite/[token]/page");
const { inviteMemberAction, removeMemberAction, revokeInviteAction, changeRoleAction } = await import("@/app/(dashboard)/settings/members/actions");
const { acceptInviteAction, createAccountAndJoinAction } = await import("@/app/(auth)/invite/[token]/actions");
const { resolveSession } = await import("@/lib/auth/session");
const { createProjectAction } = await import("@/app/(dashboard)/projects/actions");
const { POST: uploadRoute } = await import("@/app/api/documents/upload/route");
const { AppRouterContext } = await import("next/dist/shared/lib/app-router-context.shared-runtime");
const { createProject } = await import("@/lib/projects");
const { createOrg, createUser, orgWithMembers, request, signIn } = await import("../helpers/tenants");

afterAll(closeDb);

const router = { back() {}, forward() {}, refresh() {}, push() {}, replace() {}, prefetch() {} };
async function html(node: React.ReactNode): Promise<string> {
  const stream = await renderToReadableStream(createElement(AppRouterContext.Provider, { value: router as never }, node));
  await stream.allReady;
  return (await new Response(stream).text()).replaceAll("<!-- -->", "");
}
function asUser(token: string | null) {
  startRequest(token ? { cookie: `${SESSION_COOKIE_NAME}=${token}`, origin: "http://localhost:3000", host: "localhost:3000" } : {});
  if (token) nextRequest.cookies.set(SESSION_COOKIE_NAME, { value: token, options: {} });
}
const form = (fields: Record<string, string>) => {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.set(k, v);
  return data;
};

describe("members page (TEN-3)", () => {
  it("renders for an admin with the invite form, pending invites and member controls; the link is returned once", async () => {
    const { org, owner, admin, member } = await orgWithMembers("Acme");
    const adminToken = (await signIn(admin.userId, { ...org, role: "admin" })).token;
    asUser(adminToken);
    const created = await inviteMemberAction(form({ email: "invited@example.test", role: "member" }));
    expect(created).toMatchObject({ ok: true, link: expect.stringMatching(/\/invite\/tgi_/) });
    const refused = await inviteMemberAction(form({ email: "not-an-email", role: "member" }));
    expect(refused).toMatchObject({ ok: false, fieldErrors: { email: [expect.any(String)] } });

    asUser(adminToken);
    const page = await html(await MembersPage({}));
    expect(page).toContain("Invite a member");
    expect(page).toContain("invited@example.test");
    expect(page).toContain('data-testid="invite-row"');
    expect(page).toContain(`Role of ${member.userId}@example.test`);
    // No controls for the owner: an admin cannot manage a role above their own.
    expect(page).not.toContain(`Role of ${owner.userId}@example.test`);
    // The page never renders a link or token.
    expect(page).not.toContain("tgi_");
    // An admin may offer only admin and member.
    expect(page).not.toMatch(/<option value="owner"/);
  });

  it("renders for a member without management controls or invites", async () => {
    const { org, member } = await orgWithMembers("Acme");
    const token = (await signIn(member.userId, { ...org, role: "member" })).token;
    asUser(token);
    const page = await html(await MembersPage({}));
    expect(page).toContain("Members (3)");
    expect(page).not.toContain("Invite a member");
    expect(page).not.toContain("Pending invites");
    expect(page).not.toContain("Change role");
    expect(page).toContain("Leave organisation");
  });

  it("the invite page says why a link does not work, and what a live one is", async () => {
    const { org, admin } = await orgWithMembers("Acme");
    asUser(null);
    expect(await html(await InvitePage({ params: Promise.resolve({ token: "tgi_garbage" }) }))).toContain("This invite link is not valid");
    asUser((await signIn(admin.userId, { ...org, role: "admin" })).token);
    const created = await inviteMemberAction(form({ email: "fresh@example.test", role: "admin" }));
    const token = created.link!.split("/invite/")[1]!;
    asUser(null);
    const live = await html(await InvitePage({ params: Promise.resolve({ token }) }));
    expect(live).toContain("Join Acme");
    expect(live).toContain("Create account and join");
    // Signed in as someone else: told so, with no accept button.
    asUser((await signIn(admin.userId, { ...org, role: "admin" })).token);
    const other = await html(await InvitePage({ params: Promise.resolve({ token }) }));
    expect(other).toContain("but this invite is for <strong>fresh@example.test</strong>");
    expect(other).not.toContain("Accept and join");
    asUser(null);
    await (await ownerDb()).query("update public.org_invites set revoked_at = now() where org_id = $1", [org.id]);
    expect(await html(await InvitePage({ params: Promise.resolve({ token }) }))).toContain("This invite link was revoked");
  });
});

describe("invite acceptance (TEN-3, AUD-3)", () => {
  it("an invite redemption is audited in the invite's org, and the new member's session is switched to it", async () => {
    const { org, admin } = await orgWithMembers("Acme");
    asUser((await signIn(admin.userId, { ...org, role: "admin" })).token);
    const created = await inviteMemberAction(form({ email: "joiner@example.test", role: "member" }));
    const token = created.link!.split("/invite/")[1]!;

    asUser(null);
    const short = await createAccountAndJoinAction({ ok: null }, form({ token, displayName: "Jo", password: "short" }));
    expect(short).toMatchObject({ ok: false, fieldErrors: { password: [expect.any(String)] } });
    asUser(null);
    await expect(createAccountAndJoinAction({ ok: null }, form({ token, displayName: "Jo Iner", password: "a long enough password" }))).rejects.toThrow(/NEXT_REDIRECT/);
    const cookie = nextRequest.cookies.get(SESSION_COOKIE_NAME)!.value;
    expect(await resolveSession(cookie)).toMatchObject({ orgId: org.id, orgRole: "member" });
    const audit = await (await ownerDb()).query<{ action: string; actor_id: string }>("select action, actor_id from public.audit_logs where org_id = $1 and action = 'member.invite_redeemed'", [org.id]);
    expect(audit).toHaveLength(1);

    // The same link again, by the now-member: refused as used.
    asUser(cookie);
    expect(await acceptInviteAction({ ok: null }, form({ token }))).toMatchObject({ ok: false, message: expect.stringMatching(/already been used/) });
  });
});

describe("a removed member's cookie stops working on the next request (TEN-3)", () => {
  it("pages, server actions and the cookie API refuse it", async () => {
    const org = await createOrg("Acme");
    const owner = await createUser([{ orgId: org.id, role: "owner" }]);
    const ownerToken = (await signIn(owner, { ...org, role: "owner" })).token;
    const user = await createUser([{ orgId: org.id, role: "member" }]);
    const { token, session } = await signIn(user, { ...org, role: "member" });
    const project = await createProject(session, { name: "Files" }, request());
    if (!project.ok) throw new Error("setup");

    asUser(ownerToken);
    expect(await removeMemberAction({ ok: null }, form({ userId: user }))).toMatchObject({ ok: true });

    asUser(token);
    await expect(MembersPage({})).rejects.toThrow(/NEXT_REDIRECT/);
    asUser(token);
    expect(await createProjectAction({ ok: null }, form({ name: "After removal" }))).toMatchObject({ ok: false });
    asUser(token);
    const upload = await uploadRoute(
      new Request(`http://localhost:3000/api/documents/upload?projectId=${project.data.id}`, {
        method: "POST",
        headers: { origin: "http://localhost:3000", "content-type": "text/plain", "content-length": "14", "x-file-name": "x.txt", cookie: `${SESSION_COOKIE_NAME}=${token}` },
        body: "after removal\n",
      }),
    );
    expect(upload.status).toBe(401);
    const projects = await (await ownerDb()).query("select 1 from public.projects where org_id = $1", [org.id]);
    expect(projects).toHaveLength(1);
  });
});

describe("member actions given arguments that are not their form (VAL-1)", () => {
  it.each([["a string", "$K1"], ["an array", ["$K1"]], ["an object", { userId: "user_x" }], ["null", null]])("answer %s with invalid input and change nothing", async (_label, argument) => {
    const { org, admin, member } = await orgWithMembers("Acme");
    asUser((await signIn(admin.userId, { ...org, role: "admin" })).token);
    const bad = argument as unknown as FormData;
    expect(await inviteMemberAction(bad)).toMatchObject({ ok: false });
    expect(await revokeInviteAction({ ok: null }, bad)).toMatchObject({ ok: false });
    expect(await changeRoleAction({ ok: null }, bad)).toMatchObject({ ok: false, fieldErrors: expect.any(Object) });
    expect(await removeMemberAction({ ok: null }, bad)).toMatchObject({ ok: false, fieldErrors: expect.any(Object) });
    expect(await acceptInviteAction({ ok: null }, bad)).toMatchObject({ ok: false });
    expect(await createAccountAndJoinAction({ ok: null }, bad)).toMatchObject({ ok: false });
    const [row] = await (await ownerDb()).query<{ role: string }>("select role from public.memberships where org_id = $1 and user_id = $2", [org.id, member.userId]);
    expect(row!.role).toBe("member");
  });
});
