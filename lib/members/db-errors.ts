import { AppError } from "@/lib/errors";

/** The membership functions' refusals (supabase/migrations/20261202070000_members.sql) as typed errors. */
export async function membershipCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const e = error as { code?: string; hint?: string; message?: string };
    if (e.code === "P0001" && (e.hint === "last_owner" || /at least one owner/.test(e.message ?? ""))) {
      throw new AppError("conflict", "An organisation must keep at least one owner. Make someone else an owner first.");
    }
    if (e.code === "42501" && /role above their own/.test(e.message ?? "")) {
      throw new AppError("forbidden", "You cannot grant, change or remove a role above your own.");
    }
    if (e.code === "42501") throw new AppError("forbidden", "Only organisation admins and owners can do this.");
    if (e.code === "22023" && /leave the organisation/.test(e.message ?? "")) {
      throw new AppError("invalid_input", "To leave the organisation, use “Leave organisation”.");
    }
    throw error;
  }
}
