import type { FormState } from "@/lib/actions/form-state";

/** What the create and roll forms get back. `secret` is the plaintext key, present once, in this result only. */
export interface ApiKeySecretFormState extends FormState {
  secret?: { name: string; prefix: string; plaintext: string };
}

export const initialApiKeySecretState: ApiKeySecretFormState = { ok: null };
