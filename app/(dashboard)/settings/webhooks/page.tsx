import type { Metadata } from "next";
import { definePage } from "@/lib/pages/define-page";
import { listWebhookEvents } from "@/lib/webhooks/log";
import { WEBHOOK_ADAPTERS, WEBHOOK_PROVIDERS, type WebhookProvider } from "@/lib/webhooks";
import { DeliveryList } from "@/components/webhooks/delivery-list";

export const metadata: Metadata = { title: "Webhooks" };

const PROVIDER_NAME: Record<WebhookProvider, string> = { clerk: "Clerk", stripe: "Stripe", mux: "Mux", nylas: "Nylas", dub: "Dub" };

/**
 * WH-1..3: the org's recent webhook deliveries per provider, for owners and admins (the page pipeline, and RLS on
 * every row). Whether a provider is configured is shown, never its secret; payloads are not readable at all.
 */
export default definePage(
  {
    name: "webhooks.log", title: "Webhooks",
    minimumRole: "admin",
    read: async ({ tx }) => ({
      deliveries: await listWebhookEvents(tx),
      configured: Object.fromEntries(WEBHOOK_PROVIDERS.map((p) => [p, WEBHOOK_ADAPTERS[p].secrets().length > 0])) as Record<WebhookProvider, boolean>,
    }),
  },
  function WebhooksPage({ data }) {
    return (
      <div className="flex flex-col gap-6">
        <div>
          <h1 className="text-2xl font-semibold">Webhooks</h1>
          <p className="text-sm text-slate-600">
            Deliveries from Clerk, Stripe, Mux, Nylas and Dub that concern this organisation, newest first. Each event is applied once; a failed one is retried by
            its provider, or replayed here from the verified copy we kept. Rejected deliveries (bad signatures) are not listed: they are never stored.
          </p>
        </div>
        {WEBHOOK_PROVIDERS.map((provider) => (
          <section key={provider} aria-labelledby={`wh-${provider}`} className="flex flex-col gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <div className="flex flex-wrap items-baseline gap-2">
              <h2 id={`wh-${provider}`} className="flex-1 text-lg font-medium">
                {PROVIDER_NAME[provider]}
              </h2>
              <span className="text-xs text-slate-600">
                {data.configured[provider] ? (
                  <>
                    Endpoint <code>/api/webhooks/{provider}</code> is active
                  </>
                ) : (
                  "Not configured on this deployment (no signing secret)"
                )}
              </span>
            </div>
            <DeliveryList provider={PROVIDER_NAME[provider]} entries={data.deliveries[provider]} />
          </section>
        ))}
      </div>
    );
  },
);
