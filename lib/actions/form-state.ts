/** What a server action returns to its form: shown next to fields, or as one message. Safe for client code. */
export interface FormState {
  ok: boolean | null;
  message?: string;
  fieldErrors?: Record<string, string[]>;
  /** What was submitted, echoed back on a failure so the form keeps the person's input. Never secrets. */
  values?: Record<string, string>;
}

export const initialFormState: FormState = { ok: null };
