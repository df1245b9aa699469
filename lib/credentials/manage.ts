import "server-only";
import { defineAction } from "@/lib/actions/pipeline";
import { AppError } from "@/lib/errors";
import { testProviderCredential, type ProviderTestResult } from "./provider-test";
import { deleteCredential, listCredentials, putCredential, readCredential, type CredentialSummary } from "./store";
import { SERVICES, serviceOnlySchema, setCredentialSchema, type Service } from "./services";

/**
 * ENC-1 (org integrations, admins) and ENC-5 (personal credentials, each member their own), through the one action
 * pipeline. AUD-3: every change is audited in its transaction with the service only: never the secret, its last
 * characters or its ciphertext. Results carry metadata only: the browser never receives a secret back.
 */

export interface SavedCredential {
  service: Service;
  replaced: boolean;
}

export const listIntegrations = defineAction({
  name: "integrations.list",
  schema: serviceOnlySchema.partial(),
  minimumRole: "admin",
  run: ({ tx }): Promise<CredentialSummary[]> => listCredentials(tx, "org"),
});

export const setIntegrationCredential = defineAction({
  name: "integrations.set",
  schema: setCredentialSchema,
  minimumRole: "admin",
  // IDN-5: with the org\'s two-step rule on, managing its credentials needs a session with a second factor.
  secondFactor: "present",
  async run({ input, session, tx, audit }): Promise<SavedCredential> {
    const { id, replaced } = await putCredential(tx, "org", { orgId: session.orgId, userId: session.userId }, input.service, input.secret);
    await audit({ action: replaced ? "integration.credential_replaced" : "integration.credential_set", targetType: "integration_credential", targetId: id, changes: { service: input.service } });
    return { service: input.service, replaced };
  },
});

export const deleteIntegrationCredential = defineAction({
  name: "integrations.delete",
  schema: serviceOnlySchema,
  minimumRole: "admin",
  // IDN-5: with the org\'s two-step rule on, managing its credentials needs a session with a second factor.
  secondFactor: "present",
  async run({ input, tx, audit }) {
    const row = await deleteCredential(tx, "org", input.service);
    if (!row) throw new AppError("invalid_input", `No ${SERVICES[input.service].label} credential is stored.`);
    await audit({ action: "integration.credential_deleted", targetType: "integration_credential", targetId: row.id, changes: { service: input.service } });
    return { service: input.service };
  },
});

export const testIntegrationCredential = defineAction({
  name: "integrations.test",
  schema: serviceOnlySchema,
  minimumRole: "admin",
  // IDN-5: with the org\'s two-step rule on, managing its credentials needs a session with a second factor.
  secondFactor: "present",
  async run({ input, session, tx, audit }): Promise<ProviderTestResult> {
    const stored = await readCredential(tx, "org", { orgId: session.orgId, userId: session.userId }, input.service);
    if (!stored) throw new AppError("invalid_input", `No ${SERVICES[input.service].label} credential is stored.`);
    const result = await testProviderCredential(input.service, stored.secret);
    await tx.query("update public.integration_credentials set last_tested_at = now(), last_test_ok = $2 where id = $1", [stored.id, result.ok]);
    await audit({ action: "integration.credential_tested", targetType: "integration_credential", targetId: stored.id, changes: { service: input.service, ok: result.ok } });
    return result;
  },
});

export const listPersonalCredentials = defineAction({
  name: "personal_credentials.list",
  schema: serviceOnlySchema.partial(),
  minimumRole: "member",
  run: ({ tx }): Promise<CredentialSummary[]> => listCredentials(tx, "personal"),
});

export const setPersonalCredential = defineAction({
  name: "personal_credentials.set",
  schema: setCredentialSchema,
  minimumRole: "member",
  async run({ input, session, tx, audit }): Promise<SavedCredential> {
    const { id, replaced } = await putCredential(tx, "personal", { orgId: session.orgId, userId: session.userId }, input.service, input.secret);
    await audit({ action: replaced ? "personal_credential.replaced" : "personal_credential.set", targetType: "personal_credential", targetId: id, changes: { service: input.service } });
    return { service: input.service, replaced };
  },
});

export const deletePersonalCredential = defineAction({
  name: "personal_credentials.delete",
  schema: serviceOnlySchema,
  minimumRole: "member",
  async run({ input, tx, audit }) {
    const row = await deleteCredential(tx, "personal", input.service);
    if (!row) throw new AppError("invalid_input", `You have no ${SERVICES[input.service].label} credential stored.`);
    await audit({ action: "personal_credential.deleted", targetType: "personal_credential", targetId: row.id, changes: { service: input.service } });
    return { service: input.service };
  },
});
