import { WEBHOOK_ADAPTERS, webhookRoute } from "@/lib/webhooks";

// WH-1..3: verified on the raw body, exactly-once effects (lib/webhooks). No session, no CSRF: the signature is the credential.
export const POST = webhookRoute(WEBHOOK_ADAPTERS.dub);
