export declare const CLIENT_ADDRESS_HEADER: "x-tenantguard-client-ip";
export declare const SERVER_ENTRY_MARKER: unique symbol;
export declare function sanitizeForwardingHeaders(
  headers: Record<string, string | string[] | undefined>,
  socketAddress: string | undefined,
  options: { trustProxyHeaders: boolean },
): Record<string, string | string[] | undefined>;
export declare function productionClientIpSource(environment: Record<string, string | undefined>): string;
