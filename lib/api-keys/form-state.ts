import type { FormState } from "@/lib/actions/form-state";

/** A new key's secret, shown once. */
export interface RevealedSecret {
  name: string;
  prefix: string;
  plaintext: string;
}

/**
 * What the create and roll actions answer. `secret` travels server -> browser once, in this answer; the browser
 * keeps it in its own state. KEY-1: the actions take only the form's data, never a previous state, so the secret
 * is never sent back (Next.js's dev server logs every server action's arguments).
 */
export interface ApiKeySecretFormState extends FormState {
  secret?: RevealedSecret;
}

export const initialApiKeySecretState: ApiKeySecretFormState = { ok: null };

/** The answer to anything but a form submission: the actions accept FormData only. */
export const formDataOnly: ApiKeySecretFormState = { ok: false, message: "Submit the form to do this." };
