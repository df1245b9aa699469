import { afterAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb } from "@/lib/db";
import { resolveSession } from "@/lib/auth/session";
import { createOrg, createUser, signIn } from "../helpers/tenants";

afterAll(closeDb);

// IDN-4 / TEN-3: an embedded session token lives for hours, but the membership it names is re-checked on every
// request, so a role change or a removal takes effect on the very next request.
describe("embedded sessions follow the membership they name", () => {
  it("a demoted admin's token stops working at once", async () => {
    const org = await createOrg("Acme");
    const userId = await createUser([{ orgId: org.id, role: "admin" }]);
    const { token } = await signIn(userId, { ...org, role: "admin" });
    expect(await resolveSession(token)).toMatchObject({ userId, orgId: org.id, orgRole: "admin" });

    await (await ownerDb()).query("update public.memberships set role = 'member' where org_id = $1 and user_id = $2", [org.id, userId]);
    expect(await resolveSession(token)).toBeNull();
  });

  it("a removed member's token stops working at once", async () => {
    const org = await createOrg("Acme");
    const userId = await createUser([{ orgId: org.id, role: "member" }]);
    const { token } = await signIn(userId, { ...org, role: "member" });
    await (await ownerDb()).query("delete from public.memberships where org_id = $1 and user_id = $2", [org.id, userId]);
    expect(await resolveSession(token)).toBeNull();
  });

  it("a token naming an org the user never belonged to is refused", async () => {
    const mine = await createOrg("Mine");
    const theirs = await createOrg("Theirs");
    const userId = await createUser([{ orgId: mine.id, role: "owner" }]);
    await expect(signIn(userId, { ...theirs, role: "owner" })).rejects.toThrow("test sign-in failed");
  });
});
