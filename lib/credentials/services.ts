import { z } from "zod";

/** ENC-1 / ENC-5: the third-party services whose credentials TenantGuard stores (org-wide, or a person's own). */
export const SERVICES = {
  nylas: { label: "Nylas", what: "API key", testable: true },
  dub: { label: "Dub", what: "API key", testable: true },
  webhook_signing: { label: "Outbound webhook signing secret", what: "signing secret", testable: false },
} as const;

export type Service = keyof typeof SERVICES;
export const SERVICE_IDS = Object.keys(SERVICES) as Service[];

export const serviceSchema = z.enum(SERVICE_IDS as [Service, ...Service[]], { error: "Choose a service." });

/** A secret as pasted: printable ASCII without spaces, 8-4096 characters (never echoed back to the form). */
export const secretSchema = z
  .string({ error: "Enter the secret." })
  .transform((v) => v.trim())
  .pipe(
    z
      .string()
      .min(8, { error: "A secret has at least 8 characters." })
      .max(4096, { error: "A secret has at most 4096 characters." })
      .regex(/^[\x21-\x7e]+$/, { error: "A secret is printable characters without spaces." }),
  );

export const setCredentialSchema = z.object({ service: serviceSchema, secret: secretSchema });
export const serviceOnlySchema = z.object({ service: serviceSchema });

/** What the dashboard shows instead of a secret. */
export const lastFour = (secret: string) => secret.slice(-4);
