import type { Metadata } from "next";
import { ClerkProvider } from "@clerk/nextjs";
import { env } from "@/lib/env";
import "./globals.css";

// HDR-2: every page is rendered per request, so Next.js can put this request's CSP nonce on its scripts
// (a prerendered page would carry no nonce, and the strict policy would block its scripts).
export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: { default: "TenantGuard", template: "%s · TenantGuard" },
  description: "A multi-tenant B2B SaaS whose security architecture is its promise.",
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  const page = (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased">{children}</body>
    </html>
  );
  return env.identityProvider === "clerk" ? <ClerkProvider>{page}</ClerkProvider> : page;
}
