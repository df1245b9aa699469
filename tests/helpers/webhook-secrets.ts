import { randomBytes } from "node:crypto";

// No app imports here: test files load this in vi.hoisted, before lib/env reads the environment.
/**
 * Webhook test secrets and signers: every payload is signed offline with the provider's own helper (Stripe's
 * generateTestHeaderString, Svix's Webhook#sign) or its documented scheme (Mux: HMAC-SHA256 of `t.body`; Nylas and Dub:
 * hex HMAC-SHA256 of the body). Two active secrets per provider (rotation) and one that is not configured.
 */
const alnum = () => randomBytes(24).toString("hex");
export const SECRETS = {
  clerk: [`whsec_${randomBytes(32).toString("base64")}`, `whsec_${randomBytes(32).toString("base64")}`],
  stripe: [`whsec_${alnum()}`, `whsec_${alnum()}`],
  mux: [alnum(), alnum()],
  nylas: [alnum(), alnum()],
  dub: [alnum(), alnum()],
} as const;
export const WRONG = { clerk: `whsec_${randomBytes(32).toString("base64")}`, stripe: `whsec_${alnum()}`, mux: alnum(), nylas: alnum(), dub: alnum() } as const;

export type Provider = keyof typeof SECRETS;

/** The environment a webhook test file sets before lib/env is imported (in vi.hoisted). */
export function webhookEnv(): Record<string, string> {
  return {
    CLERK_WEBHOOK_SECRET: SECRETS.clerk.join(" "),
    STRIPE_WEBHOOK_SECRET: SECRETS.stripe.join(","),
    MUX_WEBHOOK_SECRET: SECRETS.mux.join(", "),
    NYLAS_WEBHOOK_SECRET: SECRETS.nylas.join(" "),
    DUB_WEBHOOK_SECRET: SECRETS.dub.join(","),
  };
}

