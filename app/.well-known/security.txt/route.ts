import { env } from "@/lib/env";
import { renderSecurityTxt } from "@/lib/security/security-txt";

/**
 * OPS-5: RFC 9116 security.txt (Contact, Expires, Preferred-Languages, Canonical, Policy), built from APP_URL and
 * SECURITY_CONTACT. The proxy adds the security headers every response carries (HDR-1).
 */
export function GET() {
  return new Response(renderSecurityTxt({ appUrl: env.APP_URL, contacts: env.SECURITY_CONTACT }), {
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "public, max-age=86400" },
  });
}
