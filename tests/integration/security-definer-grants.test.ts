import { afterAll, describe, expect, it } from "vitest";
import { closeDb, ownerDb, withAnonymous, withEmbeddedIdp, withKeyLogWriter, withKeyVerifier, withTenant } from "@/lib/db";
import { hashApiKey } from "@/lib/api-keys";
import { newKey } from "../helpers/api";
import { orgWithMembers, uid } from "../helpers/tenants";
import { inRolledBackOwnerTransaction } from "../helpers/owner-scratch";

afterAll(closeDb);

/**
 * TEN-1 / IDN-2 / KEY-5: a SECURITY DEFINER function runs with its owner's rights, so its EXECUTE grant decides who
 * may read what it returns (supabase/migrations/20261201000000_security_definer_grants.sql). Every such function
 * in the database, with every role that may execute it besides its owner, must be exactly this table: a new
 * function, or a new grantee, fails here until it is added with the reason it needs that caller.
 */
const EXPECTED: Record<string, string[]> = {
  // Sign-in and the org switcher of the embedded identity provider (lib/auth/embedded/sign-in.ts).
  "idp.credentials_for_email(text)": ["embedded_idp"],
  "idp.user_organizations(text)": ["embedded_idp"],
  "idp.start_session(text,text,timestamp with time zone,text,text)": ["embedded_idp"],
  // In the request's own tenant transaction, against its verified claims.
  "idp.session_is_current(text,text,text,text)": ["authenticated"],
  "private.provision_from_claims()": ["authenticated"],
  "private.exists_elsewhere(text,text)": ["authenticated"],
  // ... and in a job's transaction: the scan job audits its verdict (AUD-3) as its org's service principal; and in a
  // webhook effect's transaction, for the org it entered (lib/webhooks).
  "private.audit_chain_head(text)": ["authenticated", "job_service", "webhook_service"],
  // OPS-4: an org's security flag states, recorded from its own tenant transaction (lib/flags/record.ts), and read
  // by its admins on the flags page.
  "private.record_security_flag_off(text,text)": ["authenticated"],
  "private.record_security_flags_on(text[])": ["authenticated"],
  "private.security_flag_states_of_org()": ["authenticated"],
  // FILE-3: the org-wide storage quota, checked under the org's lock in the uploading transaction.
  "private.reserve_document_bytes(bigint,bigint)": ["authenticated"],
  // FILE-3: the cookie-less download route, after it verified the token's MAC: that (document, org) while clean.
  "private.downloadable_document(uuid,text)": ["anon"],
  "private.assert_api_key_current(text)": ["authenticated"],
  // The partner API's key lookup by hash, and the key log.
  "private.verify_api_key(text)": ["key_verifier"],
  "private.record_key_uses(jsonb,uuid[])": ["key_log_writer"],
  // A trigger function: fired by the table, executed by nobody.
  "private.advance_audit_head()": [],
  // The CSP report sink: writes a bounded sample, returns nothing; its endpoint takes reports from anyone.
  "private.record_csp_report(jsonb)": ["anon"],
  // The job queue's mechanics (lib/jobs/queue.ts): the worker's role only, never a request role.
  "private.claim_jobs(text,text[],integer,integer)": ["job_runner"],
  "private.extend_job_lease(uuid,uuid,integer)": ["job_runner"],
  "private.complete_job(uuid,uuid)": ["job_runner"],
  "private.fail_job(uuid,uuid,text,double precision,boolean)": ["job_runner"],
  "private.release_job(uuid,uuid)": ["job_runner"],
  "private.job_queue_stats()": ["job_runner"],
  // A job handler's transaction checks its own claims against the live lease (lib/db withJobPrincipal).
  "private.assert_job_lease(uuid,uuid)": ["job_service"],
  // Scheduled maintenance tasks (lib/jobs/schedules.ts): the worker's role only. A task's own function checks the
  // task's live lease first (private.assert_schedule_lease, called inside those functions only, granted to nobody).
  "private.register_schedule(text,bigint)": ["job_runner"],
  "private.claim_schedules(text,text[],integer,integer)": ["job_runner"],
  "private.extend_schedule_lease(text,uuid,integer)": ["job_runner"],
  "private.finish_schedule(text,uuid,text,jsonb)": ["job_runner"],
  "private.release_schedule(text,uuid)": ["job_runner"],
  "private.schedule_status()": ["job_runner"],
  "private.assert_schedule_lease(text,uuid)": [],
  // FILE-2: the scan sweep (lib/documents/sweep.ts), under its schedule lease.
  "private.sweep_unscanned_documents(uuid,integer)": ["job_runner"],
  // BIL-2: Mux's verified webhook events change a video's status through this one function (lib/video/events.ts).
  "private.apply_mux_video_event(text,timestamp with time zone,text,text,text,jsonb,text,text)": ["video_events"],
  // BIL-1: the caller's own org's effective plan limits (billing page, documents storage quota).
  "private.plan_limits()": ["authenticated"],
  // BIL-1: the plan-limit counters, fired by their tables, executed by nobody.
  "private.count_project()": [],
  "private.count_api_key()": [],
  "private.count_membership()": [],
  // BIL-1 / WH-3: the Stripe webhook's writes and its customer -> org lookup (lib/billing/apply.ts), in the webhook
  // effect's transaction for the org it entered (lib/webhooks/providers/stripe.ts).
  "private.apply_subscription_state(text,text,text,text,text,timestamp with time zone,boolean,timestamp with time zone)": ["webhook_service"],
  "private.record_invoice(text,text,text,text,text,text,bigint,bigint,text,text,timestamp with time zone,timestamp with time zone,timestamp with time zone)": ["webhook_service"],
  "private.billing_org_for_customer(text)": ["webhook_service"],
  // BIL-1: links a stored Stripe customer in provider_objects (the kernel's org resolution); a trigger, executed by nobody.
  "private.link_billing_customer()": [],
  // The webhook receiver kernel (lib/webhooks): claim, enter the resolved org, order, finish, fail, reject, prune.
  "private.webhook_claim(text,text,text,jsonb,text)": ["webhook_service"],
  "private.webhook_claim_stored(uuid)": ["webhook_service"],
  "private.webhook_enter_org(uuid,text,text)": ["webhook_service"],
  "private.webhook_claim_enter(text,text,text,jsonb,text,text)": ["webhook_service"],
  "private.webhook_advance_version(text,text,bigint)": ["webhook_service"],
  "private.webhook_finish(uuid,text,text)": ["webhook_service"],
  "private.webhook_fail(text,text,text,jsonb,text,text,text)": ["webhook_service"],
  "private.record_webhook_rejection(text,text,text,text)": ["webhook_service"],
  "private.prune_webhook_events(interval)": ["webhook_service"],
  "private.webhook_health()": ["webhook_service"],
  // TEN-3: membership writes, each re-checking the caller's role from the table (escalation and last-owner rules).
  "private.caller_org_role()": ["authenticated"],
  "private.create_org_invite(text,text,bytea,text,timestamp with time zone)": ["authenticated"],
  "private.revoke_org_invite(uuid)": ["authenticated"],
  "private.redeem_org_invite(bytea)": ["authenticated"],
  "private.change_member_role(text,text)": ["authenticated"],
  "private.remove_member(text)": ["authenticated"],
  "private.leave_org()": ["authenticated"],
  // The invite page, before sign-in: what the link is, or why it no longer works (for the link's holder).
  "private.org_invite_preview(bytea)": ["anon"],
  // An invited person creates their embedded account with the invited email, while the link is live.
  "idp.create_invited_account(bytea,text,text,text)": ["embedded_idp"],
  // Clerk's membership webhooks (lib/members/sync.ts), as the NOLOGIN role with this one privilege.
  "private.apply_clerk_membership(text,text,text,boolean,timestamp with time zone)": ["membership_events"],
  // A trigger function: fired by the table, executed by nobody.
  "private.keep_one_owner()": [],
  // IDN-3: Clerk events that belong to no single org (user.*, organization.created), bound to the claimed delivery
  // row and touching only that object's rows; organization.deleted in the entered org (lib/webhooks/providers/clerk.ts).
  "private.webhook_clerk_user_sync(uuid,text,text,text,bigint)": ["webhook_service"],
  "private.webhook_clerk_user_delete(uuid,text,bigint)": ["webhook_service"],
  "private.webhook_user_scope_close()": ["webhook_service"],
  "private.webhook_clerk_org_create(uuid,text,text,text)": ["webhook_service"],
  "private.webhook_clerk_org_delete(timestamp with time zone)": ["webhook_service"],
  // ENC-1: an org's active data key, created for the caller's own org (lib/crypto/data-keys.ts).
  "private.create_data_key(uuid,text,text)": ["authenticated"],
  // A deleted Clerk user holds no session (lib/auth/session.ts).
  "private.clerk_user_active()": ["authenticated"],
  // TEN-8: support access. The live consent level of the caller's own support session (read by the restrictive
  // policies through private.support_state); an owner's grant and revocation (role re-read from memberships); the
  // owner's operator picker; the operator's own live consents (lib/support).
  "private.live_support_level()": ["authenticated"],
  "private.grant_support_access(text,text,integer,text)": ["authenticated"],
  "private.revoke_support_access(uuid)": ["authenticated"],
  "private.support_operators()": ["authenticated"],
  "private.my_support_consents()": ["authenticated"],
  // TEN-7: the grant lookups the project policies call once per statement (claims in, the caller's own level out).
  "private.project_floor()": ["authenticated"],
  "private.granted_project_ids(integer)": ["authenticated"],
  "private.project_level(uuid)": ["authenticated"],
  // TEN-7: grant, link and base-permission writes, each re-checking the caller manages the project (or is an admin).
  "private.set_project_grant(uuid,text,text,timestamp with time zone)": ["authenticated"],
  "private.revoke_project_grant(uuid,text)": ["authenticated"],
  "private.set_base_permission(text)": ["authenticated"],
  "private.create_project_link(uuid,text,bytea,timestamp with time zone,integer)": ["authenticated"],
  "private.revoke_project_link(uuid)": ["authenticated"],
  "private.redeem_project_link(bytea,uuid)": ["authenticated"],
  // The project link page, signed in or not: what the link is, or why it no longer works.
  "private.project_link_preview(bytea)": ["anon", "authenticated"],
  // Someone holding a live project link creates their embedded account.
  "idp.create_link_account(bytea,text,text,text,text)": ["embedded_idp"],
  // A trigger function: fired by the table, executed by nobody.
  "private.drop_grants_of_former_member()": [],
  // AUD-5: the scheduled checkpoint task's heads and stored checkpoints (lib/audit/checkpoints.ts), under its lease.
  "private.audit_heads_to_checkpoint(uuid,integer)": ["job_runner"],
  "private.record_audit_checkpoint(uuid,text,bigint,text,timestamp with time zone,text,text)": ["job_runner"],
  // AUD-5 / RL-3: threshold counters of repeated security events, from request paths with or without claims.
  "private.count_security_event(text,text,integer,integer)": ["anon", "authenticated"],
  // AUD-4: each org's retention cut, for the maintenance role only (lib/audit/retention.ts).
  "private.audit_retention_cuts(integer)": ["audit_maintenance"],
  // IDN-5: owners set their org's two-step verification rule (needs their own fresh second factor).
  "private.set_org_second_factor_rule(boolean,integer)": ["authenticated"],
  // TEN-3: owners and admins rename their org; a signed-in user edits their own display name (lib/orgs, lib/profile).
  "private.rename_org(text)": ["authenticated"],
  "private.set_own_display_name(text)": ["authenticated"],
  // IDN-2: the second sign-in step and AUD-3's authentication events (lib/auth/embedded/second-factor.ts, auth-events.ts).
  "idp.second_factors_of(text)": ["embedded_idp"],
  "idp.totp_secret_of(text)": ["embedded_idp"],
  "idp.accept_totp_step(text,bigint)": ["embedded_idp"],
  "idp.use_recovery_code(text,bytea)": ["embedded_idp"],
  "idp.start_session_with_second_factor(text,text,timestamp with time zone,text,text,text)": ["embedded_idp"],
  "idp.session_factors(text,text)": ["embedded_idp"],
  "idp.record_auth_event(text,text,text,text,text)": ["embedded_idp"],
  // IDN-2: the signed-in user's own factors, against the claims' sub and sid (enrolment, step-up, recovery codes).
  "idp.own_second_factors()": ["authenticated"],
  "idp.begin_own_totp_enrolment(text)": ["authenticated"],
  "idp.own_totp_secret()": ["authenticated"],
  "idp.accept_own_totp_step(bigint,boolean)": ["authenticated"],
  "idp.replace_own_recovery_codes(bytea[])": ["authenticated"],
  // IDN-6: refresh-token rotation (lib/auth/embedded/refresh.ts) and the org a session's refreshes are for.
  "idp.start_refresh_family(text,bytea,text)": ["embedded_idp"],
  "idp.set_active_org(text,text,text)": ["embedded_idp"],
  "idp.rotate_refresh_token(bytea,bytea,integer,text,text)": ["embedded_idp"],
  // IDN-4: the signed-in user revokes their other sessions (sessions page).
  "idp.revoke_other_sessions()": ["authenticated"],
  // IDN-2: passkeys (lib/auth/embedded/passkeys.ts): the sign-in step's lookup and counter, the user's own registration.
  "idp.passkeys_of(text)": ["embedded_idp"],
  "idp.accept_passkey_counter(text,text,bigint)": ["embedded_idp"],
  "idp.add_own_passkey(text,bytea,bigint,text[])": ["authenticated"],
  "idp.own_passkey_count()": ["authenticated"],
};

interface DefinerRow {
  fn: string;
  grantees: string[];
}

/** Every SECURITY DEFINER function outside the system schemas, with every role (PUBLIC too) that may execute it. */
const DEFINERS = `
  select p.oid::regprocedure::text as fn,
         coalesce(array(
           select (case when a.grantee = 0 then 'PUBLIC' else pg_catalog.pg_get_userbyid(a.grantee)::text end)
             from pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) a
            where a.privilege_type = 'EXECUTE' and a.grantee <> p.proowner
            order by 1
         )::text[], '{}') as grantees
    from pg_catalog.pg_proc p
    join pg_catalog.pg_namespace n on n.oid = p.pronamespace
   where p.prosecdef
     and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
   order by 1`;

const normalise = (fn: string) => fn.replace(/,\s+/g, ",");


describe("SECURITY DEFINER functions: who may execute them", () => {
  it("every one of them, and each grantee, is exactly the expected table (no PUBLIC, no stray role)", async () => {
    const rows = await (await ownerDb()).query<DefinerRow>(DEFINERS);
    const actual = Object.fromEntries(rows.map((r) => [normalise(r.fn), [...r.grantees].sort()]));
    expect(actual).toEqual(Object.fromEntries(Object.entries(EXPECTED).map(([fn, grantees]) => [fn, [...grantees].sort()])));
  });

  it("the listing sees a new function's PUBLIC grant and a stray grantee (the check above can fail)", async () => {
    const name = `definer_probe_${uid()}`;
    const rows = await inRolledBackOwnerTransaction(async (tx) => {
      await tx.exec(`
        create function private.${name}() returns int language sql security definer set search_path = '' as 'select 1';
        grant execute on function private.${name}() to public, anon;
      `);
      return tx.query<DefinerRow>(DEFINERS);
    });
    expect(rows.find((r) => r.fn === `private.${name}()`)?.grantees.sort()).toEqual(["PUBLIC", "anon"]);
  });

  it("a function created by a later migration is executable by nobody until granted (default privileges)", async () => {
    const name = `default_probe_${uid()}`;
    const rows = await inRolledBackOwnerTransaction(async (tx) => {
      await tx.exec(`create function private.${name}() returns int language sql security definer set search_path = '' as 'select 1';`);
      return tx.query<{ role: string; allowed: boolean }>(
        `select r as role, pg_catalog.has_function_privilege(r, 'private.${name}()', 'EXECUTE') as allowed
           from unnest(array['anon', 'authenticated', 'app_runtime', 'embedded_idp', 'key_verifier', 'key_log_writer', 'video_events', 'webhook_service']) r order by 1`,
      );
    });
    expect(rows.filter((r) => r.allowed)).toEqual([]);
  });
});

describe("the request roles cannot call what is not theirs (IDN-2, KEY-5)", () => {
  const calls: { name: string; sql: string; params: (ctx: { userId: string; email: string; hash: string }) => unknown[] }[] = [
    { name: "idp.credentials_for_email (password hashes)", sql: "select * from idp.credentials_for_email($1)", params: ({ email }) => [email] },
    { name: "idp.user_organizations (another user's orgs)", sql: "select * from idp.user_organizations($1)", params: ({ userId }) => [userId] },
    {
      name: "idp.start_session (a session for any user)",
      sql: "select idp.start_session($1, $2, now() + interval '1 hour', null, 'attacker')",
      params: ({ userId }) => [`sess_${uid()}${uid()}`, userId],
    },
    { name: "private.verify_api_key (a key's row by hash)", sql: "select * from private.verify_api_key($1)", params: ({ hash }) => [hash] },
    { name: "private.record_key_uses (forging a key's log)", sql: "select private.record_key_uses('[]'::jsonb, '{}'::uuid[])", params: () => [] },
  ];

  it.each(calls)("anon and authenticated are refused: $name", async ({ sql, params }) => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin);
    const ctx = { userId: a.member.userId, email: `${a.member.userId}@example.test`, hash: hashApiKey(key.plaintext) };
    await expect(withAnonymous((tx) => tx.query(sql, params(ctx)))).rejects.toMatchObject({ code: "42501" });
    await expect(withTenant(a.member.claims, (tx) => tx.query(sql, params(ctx)))).rejects.toMatchObject({ code: "42501" });
  });

  it("anon cannot ask whether a session is current, nor probe another org's ids", async () => {
    await expect(withAnonymous((tx) => tx.query("select idp.session_is_current('sess_x', 'user_x', null, null)"))).rejects.toMatchObject({ code: "42501" });
    await expect(withAnonymous((tx) => tx.query("select private.exists_elsewhere('project', gen_random_uuid()::text)"))).rejects.toMatchObject({ code: "42501" });
    await expect(withAnonymous((tx) => tx.query("select private.audit_chain_head('org_x')"))).rejects.toMatchObject({ code: "42501" });
  });

  it("the narrow roles do their one job and nothing else: no table, no other role's function", async () => {
    const a = await orgWithMembers("Acme");
    const key = await newKey(a.admin);
    // Control: each role can do its job.
    expect(await withEmbeddedIdp((tx) => tx.query("select user_id from idp.credentials_for_email($1)", ["nobody@example.test"]))).toEqual([]);
    expect(await withKeyVerifier((tx) => tx.query("select key_id from private.verify_api_key($1)", [hashApiKey(key.plaintext)]))).toEqual([{ key_id: key.id }]);
    // ... and nothing around it.
    for (const run of [withEmbeddedIdp, withKeyVerifier, withKeyLogWriter]) {
      for (const sql of ["select 1 from idp.credentials limit 1", "select 1 from public.api_keys limit 1", "select 1 from public.users limit 1"]) {
        await expect(run((tx) => tx.query(sql)), sql).rejects.toMatchObject({ code: "42501" });
      }
    }
    await expect(withEmbeddedIdp((tx) => tx.query("select * from private.verify_api_key($1)", [hashApiKey(key.plaintext)]))).rejects.toMatchObject({ code: "42501" });
    await expect(withKeyVerifier((tx) => tx.query("select * from idp.credentials_for_email('x@example.test')"))).rejects.toMatchObject({ code: "42501" });
    await expect(withKeyLogWriter((tx) => tx.query("select * from idp.user_organizations('user_x')"))).rejects.toMatchObject({ code: "42501" });
  });
});
