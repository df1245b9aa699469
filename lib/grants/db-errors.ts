import { AppError } from "@/lib/errors";

/** The grant functions' refusals (supabase/migrations/20261203000000_project_grants.sql) as typed errors. */
export async function grantCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const e = error as { code?: string; hint?: string };
    if (e.code === "P0002" && e.hint === "not_in_org") {
      throw new AppError("not_found", "Nobody in this organisation has that email. To share with someone outside it, create an invite link.");
    }
    if (e.code === "22023" && e.hint === "org_admin") throw new AppError("conflict", "Owners and admins have access to every project already.");
    if (e.code === "22023" && e.hint === "guest_manager") throw new AppError("invalid_input", "People outside the organisation can be viewers or editors, not managers.");
    if (e.code === "22023" && e.hint === "expiry") throw new AppError("invalid_input", "Choose an expiry in the future, within the allowed range.");
    if (e.code === "42501") throw new AppError("forbidden", "Only organisation admins and owners can do this.");
    throw error;
  }
}
