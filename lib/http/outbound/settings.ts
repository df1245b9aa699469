import { env } from "@/lib/env";
import type { PublicUrlPolicy } from "./public-fetch";

/** SSRF-1: the deployment's URL-import settings (URL_IMPORT_ALLOWED_PORTS; URL_IMPORT_ALLOW_HOSTS outside production). */
export function urlImportSettings(): Pick<PublicUrlPolicy, "allowedPorts" | "allowHosts"> {
  return { allowedPorts: env.URL_IMPORT_ALLOWED_PORTS, allowHosts: env.URL_IMPORT_ALLOW_HOSTS };
}
