import type { Metadata } from "next";
import { ClerkProvider } from "@clerk/nextjs";
import { env } from "@/lib/env";
import "./globals.css";

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
