import "server-only";
import type { Engine } from "@/lib/db";
import { hashPassword } from "@/lib/auth/embedded/sign-in";
import { DEMO_GRANTS, DEMO_OPERATORS, DEMO_ORGS, DEMO_PASSWORD, DEMO_PROJECTS, DEMO_TOTP_USER, DEMO_USERS } from "./data";

/** Inserts the demo organisations, users (argon2id passwords) and projects once; run as the owner. */
export async function seedDemoData(db: Engine): Promise<boolean> {
  const existing = await db.query("select 1 from public.organizations where id = $1", [DEMO_ORGS[0].id]);
  if (existing.length > 0) return false;
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  await db.transaction(async (tx) => {
    for (const org of DEMO_ORGS) {
      await tx.query("insert into public.organizations (id, name, slug) values ($1, $2, $3)", [org.id, org.name, org.slug]);
    }
    for (const user of DEMO_USERS) {
      await tx.query("insert into public.users (id, email, display_name) values ($1, $2, $3)", [user.id, user.email, user.name]);
      await tx.query("insert into idp.credentials (user_id, password_hash) values ($1, $2)", [user.id, passwordHash]);
      for (const m of user.memberships) {
        await tx.query("insert into public.memberships (org_id, user_id, role) values ($1, $2, $3)", [m.orgId, user.id, m.role]);
      }
    }
    for (const operator of DEMO_OPERATORS) {
      await tx.query("insert into private.platform_operators (user_id) values ($1)", [operator]);
    }
    for (const p of DEMO_PROJECTS) {
      await tx.query("insert into public.projects (org_id, name, created_by) values ($1, $2, $3)", [p.orgId, p.name, p.createdBy]);
    }
    for (const g of DEMO_GRANTS) {
      await tx.query(
        `insert into public.project_grants (org_id, project_id, user_id, role, created_by)
         select p.org_id, p.id, $3, $4, p.created_by from public.projects p where p.org_id = $1 and p.name = $2`,
        [g.orgId, g.project, g.userId, g.role],
      );
    }
  });
  return true;
}

/** IDN-2: the demo user with TOTP enrolled, added once (also to a database seeded before it existed). */
export async function seedDemoSecondFactor(db: Engine): Promise<void> {
  const [org] = await db.query("select 1 from public.organizations where id = $1", [DEMO_TOTP_USER.memberships[0].orgId]);
  if (!org) return;
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  await db.transaction(async (tx) => {
    const u = DEMO_TOTP_USER;
    const inserted = await tx.query("insert into public.users (id, email, display_name) values ($1, $2, $3) on conflict do nothing returning id", [u.id, u.email, u.name]);
    if (inserted.length === 0) return;
    await tx.query("insert into idp.credentials (user_id, password_hash) values ($1, $2)", [u.id, passwordHash]);
    for (const m of u.memberships) await tx.query("insert into public.memberships (org_id, user_id, role) values ($1, $2, $3)", [m.orgId, u.id, m.role]);
    await tx.query("insert into idp.totp_factors (user_id, secret, confirmed_at) values ($1, $2, now())", [u.id, u.totpSecret]);
  });
}

export function demoUsersBanner(): string {
  const grantOf = (userId: string) => DEMO_GRANTS.filter((g) => g.userId === userId).map((g) => ` (${g.role} on ${g.project})`).join("");
  const rows = DEMO_USERS.map((u) => {
    const roles: string[] = u.memberships.map((m) => `${m.role} of ${m.orgId.replace("org_", "")}`);
    if ((DEMO_OPERATORS as readonly string[]).includes(u.id)) roles.push("platform operator (support access needs an owner's consent)");
    return `  ${u.email.padEnd(20)} ${roles.join(", ")}${grantOf(u.id)}`;
  });
  const t = DEMO_TOTP_USER;
  const totp = `  ${t.email.padEnd(20)} ${t.memberships.map((m) => `${m.role} of ${m.orgId.replace("org_", "")}`).join(", ")}, TOTP secret ${t.totpSecret} (otpauth://totp/TenantGuard:${encodeURIComponent(t.email)}?secret=${t.totpSecret}&issuer=TenantGuard)`;
  return ["Demo users (password: " + DEMO_PASSWORD + "):", ...rows, totp].join("\n");
}
