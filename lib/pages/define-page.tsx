import "server-only";
import type { ReactNode } from "react";
import type { z } from "zod";
import { notFound, redirect } from "next/navigation";
import { getSession } from "@/lib/auth/current";
import type { Session } from "@/lib/auth/claims";
import { DatabaseUnavailableError } from "@/lib/db";
import { currentRequestContext, type RequestContext } from "@/lib/http/request-context";
import { AdminsOnly, NoOrganisation, ServiceUnavailable } from "@/components/pages/page-notices";
import { readForPage, type PageConfig, type ParamsOf } from "./read";

export interface PageView<T, P> {
  data: T;
  session: Session;
  params: P;
}

/**
 * A dashboard page is one line of wiring: `export default definePage({ name, minimumRole, params?, read }, render)`.
 * readForPage does session, org, role, params and the tenant transaction; this maps its outcome to Next.js:
 * no session -> /sign-in, not found -> notFound() (404, probe recorded), database down -> a clear notice in place.
 * Next.js lets a server component set only 401/403/404, so the outage notice is served with the page's status.
 */
export function definePage<S extends z.ZodType | undefined, T>(config: PageConfig<S, T>, render: (view: PageView<T, ParamsOf<S>>) => ReactNode) {
  async function Page(props: { params?: Promise<unknown> }): Promise<ReactNode> {
    const rawParams = props.params ? await props.params : undefined;
    let session: Session | null;
    try {
      session = await getSession();
    } catch (error) {
      if (error instanceof DatabaseUnavailableError) return <ServiceUnavailable />;
      throw error;
    }
    const outcome = await readForPage(session, config, rawParams, await currentRequestContext());
    switch (outcome.kind) {
      case "sign_in":
        redirect("/sign-in");
      case "not_found":
        notFound();
      case "no_organisation":
        return <NoOrganisation />;
      case "admins_only":
        return <AdminsOnly title={outcome.title} minimumRole={outcome.minimumRole} ask={outcome.ask} />;
      case "unavailable":
        return <ServiceUnavailable />;
      case "ok":
        return render({ data: outcome.data, session: outcome.session, params: outcome.params });
    }
  }
  /** The page's own read, outside Next.js's request scope: what the integration tests call. */
  const readFor = (session: Session | null, rawParams: unknown, request: RequestContext) => readForPage(session, config, rawParams, request);
  return Object.assign(Page, { readFor });
}
