import { AppError } from "@/lib/errors";

/** The grant functions' refusals (supabase/migrations/20261203000000_project_grants.sql) as typed errors. */
export async function grantCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const e = error as { code?: string; hint?: string };
    if (e.code === "P0002" && e.hint === "no_account") {
      throw new AppError("not_found", "Nobody has an account with that email. Create an invite link for them instead.");
    }
    if (e.code === "22023" && e.hint === "org_admin") throw new AppError("conflict", "Owners and admins have access to every project already.");
    if (e.code === "22023" && e.hint === "guest_manager") throw new AppError("invalid_input", "People outside the organisation can be viewers or editors, not managers.");
    if (e.code === "22023" && e.hint === "expiry") throw new AppError("invalid_input", "Choose an expiry in the future, within the allowed range.");
    if (e.code === "42501") throw new AppError("forbidden", "Only organisation admins and owners can do this.");
    throw error;
  }
}
