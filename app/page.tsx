import Link from "next/link";
import { getSession } from "@/lib/auth/current";

export default async function Home() {
  const session = await getSession();
  return (
    <main className="mx-auto flex max-w-2xl flex-col gap-6 px-6 py-24">
      <h1 className="text-3xl font-semibold">TenantGuard</h1>
      <p className="text-lg text-slate-700">
        Projects and documents for your organisation, isolated from every other tenant by PostgreSQL row-level security on verified
        identity claims, with a tamper-evident audit trail.
      </p>
      <div>
        <Link href={session ? "/overview" : "/sign-in"} className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700">
          {session ? "Open dashboard" : "Sign in"}
        </Link>
      </div>
    </main>
  );
}
