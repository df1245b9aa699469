-- BIL-1: plans, each organisation's subscription state, its Stripe customer, its invoices, and plan limits enforced
-- atomically in the database.
--
-- Limits are enforced by counters that move in the same transaction as the rows they count: an AFTER INSERT trigger
-- on projects, api_keys and memberships runs a guarded `UPDATE ... SET used = used + 1 WHERE used + 1 <= limit`; when
-- no row qualifies, the insert fails with SQLSTATE TG402 and nothing is written. Concurrent inserts of one org queue
-- on that org's counter row, and PostgreSQL re-evaluates the guard on the row the previous transaction committed, so
-- N concurrent creates with k left yield exactly k. Deletes (and, for API keys, revocation) release.
--
-- The limit is read from the org's effective plan: its subscription's plan while the subscription is active,
-- trialing or past due, otherwise `free` (no subscription row: free). The catalogue below mirrors
-- lib/billing/plans.ts (tests/integration/billing-limits.test.ts fails when they differ).
--
-- Who is held to the limit: every principal with verified claims (requests, API keys, jobs, webhooks). Statements the
-- tables' owner runs without claims (migrations, seeding, benchmarks) are counted but not refused: only the owner can
-- insert without claims (RLS refuses a NULL org to everyone else). A member's own just-in-time provisioning (the
-- identity provider already made them a member, private.provision_from_claims) is counted but not refused either, so
-- a sign-in is never locked out; adding someone else (invites) is refused at the limit.

create table private.billing_plans (
  id text primary key check (id ~ '^[a-z][a-z0-9_]{1,31}$'),
  projects bigint not null check (projects >= 0),
  api_keys bigint not null check (api_keys >= 0),
  storage_bytes bigint not null check (storage_bytes >= 0),
  members bigint not null check (members >= 0)
);
insert into private.billing_plans (id, projects, api_keys, storage_bytes, members) values
  ('free', 10, 10, 1073741824, 5),
  ('pro', 100, 50, 53687091200, 25),
  ('business', 1000, 250, 1099511627776, 250);

-- One row per org that has (or had) a Stripe subscription. Written only through private.apply_subscription_state.
create table public.subscriptions (
  org_id text primary key references public.organizations (id) on delete cascade,
  plan text not null references private.billing_plans (id),
  status text not null check (status in ('active', 'trialing', 'past_due', 'canceled', 'incomplete', 'incomplete_expired', 'unpaid', 'paused')),
  stripe_subscription_id text check (stripe_subscription_id is null or stripe_subscription_id ~ '^sub_[A-Za-z0-9_]{1,250}$'),
  current_period_end timestamptz,
  cancel_at_period_end boolean not null default false,
  -- WH-3: the provider's time of the state stored here (Stripe's event `created`); older state never overwrites it.
  state_at timestamptz not null,
  updated_at timestamptz not null default now()
);

-- The Stripe customer created for each org (one per org, one org per customer): what webhooks resolve orgs from.
create table public.billing_customers (
  org_id text primary key references public.organizations (id) on delete cascade,
  stripe_customer_id text not null unique check (stripe_customer_id ~ '^cus_[A-Za-z0-9_]{1,250}$'),
  created_by text not null,
  created_at timestamptz not null default now()
);

-- Invoices (and their payment) as Stripe reported them, one row per Stripe invoice id.
create table public.invoices (
  id uuid primary key default gen_random_uuid(),
  org_id text not null references public.organizations (id) on delete cascade,
  stripe_invoice_id text not null unique check (stripe_invoice_id ~ '^in_[A-Za-z0-9_]{1,250}$'),
  stripe_payment_intent_id text check (stripe_payment_intent_id is null or stripe_payment_intent_id ~ '^pi_[A-Za-z0-9_]{1,250}$'),
  number text check (number is null or length(number) <= 100),
  status text not null check (status in ('draft', 'open', 'paid', 'uncollectible', 'void')),
  amount_due bigint not null check (amount_due >= 0),
  amount_paid bigint not null check (amount_paid >= 0),
  currency text not null check (currency ~ '^[a-z]{3}$'),
  hosted_invoice_url text check (hosted_invoice_url is null or (length(hosted_invoice_url) <= 2048 and hosted_invoice_url ~ '^https://')),
  period_start timestamptz,
  period_end timestamptz,
  state_at timestamptz not null,
  recorded_at timestamptz not null default now(),
  unique (org_id, id)
);
create index invoices_org_id_state_at_idx on public.invoices (org_id, state_at desc);

-- What each org uses of each limited resource. Written only by the triggers below.
create table public.entitlements (
  org_id text not null references public.organizations (id) on delete cascade,
  resource text not null check (resource in ('projects', 'api_keys', 'members')),
  used bigint not null default 0 check (used >= 0),
  updated_at timestamptz not null default now(),
  primary key (org_id, resource)
);

-- TEN-1: the org's owners and admins read their billing; nobody writes it through a grant.
revoke all on private.billing_plans, public.subscriptions, public.billing_customers, public.invoices, public.entitlements from public, anon, authenticated;
grant select on private.billing_plans to authenticated;
grant select on public.subscriptions, public.billing_customers, public.invoices, public.entitlements to authenticated;
-- The checkout action stores the customer it created for the org (owners only, by the policy).
grant insert (org_id, stripe_customer_id, created_by) on public.billing_customers to authenticated;

alter table private.billing_plans enable row level security;
alter table private.billing_plans force row level security;
alter table public.subscriptions enable row level security;
alter table public.subscriptions force row level security;
alter table public.billing_customers enable row level security;
alter table public.billing_customers force row level security;
alter table public.invoices enable row level security;
alter table public.invoices force row level security;
alter table public.entitlements enable row level security;
alter table public.entitlements force row level security;

-- The plan catalogue is public knowledge (the pricing page says as much).
create policy billing_plans_select on private.billing_plans for select to authenticated using (true);
create policy subscriptions_select on public.subscriptions for select to authenticated
  using (org_id = (select private.org_id()) and (select private.is_org_admin()));
create policy billing_customers_select on public.billing_customers for select to authenticated
  using (org_id = (select private.org_id()) and (select private.is_org_admin()));
create policy billing_customers_insert on public.billing_customers for insert to authenticated
  with check (
    org_id = (select private.org_id())
    and (select private.org_role()) = 'owner'
    and (select private.is_api_key()) is false
    and created_by = (select private.subject())
  );
create policy invoices_select on public.invoices for select to authenticated
  using (org_id = (select private.org_id()) and (select private.is_org_admin()));
create policy entitlements_select on public.entitlements for select to authenticated
  using (org_id = (select private.org_id()) and (select private.is_org_admin()));

-- The effective plan's limits of an org. Owner only (called by the triggers and functions below).
create or replace function private.plan_limits_of(p_org text)
returns table (plan text, projects bigint, api_keys bigint, storage_bytes bigint, members bigint)
language plpgsql stable
set search_path = ''
as $$
begin
  return query
    select p.id, p.projects, p.api_keys, p.storage_bytes, p.members
      from private.billing_plans p
     where p.id = coalesce(
       (select s.plan from public.subscriptions s where s.org_id = p_org and s.status in ('active', 'trialing', 'past_due')),
       'free');
end
$$;
revoke all on function private.plan_limits_of(text) from public, anon, authenticated;

-- The caller's own org's effective plan and limits (the billing page, and the documents storage quota).
create or replace function private.plan_limits()
returns table (plan text, projects bigint, api_keys bigint, storage_bytes bigint, members bigint)
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_org text := private.org_id();
begin
  if v_org is null then
    return;
  end if;
  return query select * from private.plan_limits_of(v_org);
end
$$;
revoke all on function private.plan_limits() from public, anon;
grant execute on function private.plan_limits() to authenticated;

-- The guarded counter. p_enforce false: counted, never refused (see the header). Raises TG402 with the resource,
-- the limit and the plan in DETAIL (JSON) when the org's limit would be exceeded.
create or replace function private.consume_entitlement(p_org text, p_resource text, p_n bigint, p_enforce boolean) returns void
language plpgsql volatile
set search_path = ''
as $$
declare
  v_plan text;
  v_limit bigint;
  v_used bigint;
begin
  select l.plan, case p_resource when 'projects' then l.projects when 'api_keys' then l.api_keys when 'members' then l.members end
    into v_plan, v_limit
    from private.plan_limits_of(p_org) l;
  if v_limit is null then
    raise exception 'consume_entitlement: no limit for % of %', p_resource, p_org using errcode = '22023';
  end if;
  insert into public.entitlements (org_id, resource, used) values (p_org, p_resource, 0) on conflict (org_id, resource) do nothing;
  update public.entitlements e
     set used = e.used + p_n, updated_at = now()
   where e.org_id = p_org and e.resource = p_resource
     and (not p_enforce or e.used + p_n <= v_limit)
  returning e.used into v_used;
  if v_used is null then
    raise exception 'plan limit reached: % % on the % plan', v_limit, p_resource, v_plan
      using errcode = 'TG402',
            detail = json_build_object('resource', p_resource, 'limit', v_limit, 'plan', v_plan)::text;
  end if;
end
$$;
revoke all on function private.consume_entitlement(text, text, bigint, boolean) from public, anon, authenticated;

create or replace function private.release_entitlement(p_org text, p_resource text, p_n bigint) returns void
language plpgsql volatile
set search_path = ''
as $$
begin
  update public.entitlements e
     set used = greatest(e.used - p_n, 0), updated_at = now()
   where e.org_id = p_org and e.resource = p_resource;
end
$$;
revoke all on function private.release_entitlement(text, text, bigint) from public, anon, authenticated;

-- Trigger functions: fired by their table, executed by nobody. SECURITY DEFINER because the counters have no grant.
create or replace function private.count_project() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform private.consume_entitlement(new.org_id, 'projects', 1, private.org_id() is not null);
  elsif tg_op = 'DELETE' then
    perform private.release_entitlement(old.org_id, 'projects', 1);
  end if;
  return null;
end
$$;
revoke all on function private.count_project() from public, anon, authenticated;

-- API keys: a revoked key no longer counts (it can never be used again); revocation is final (api_keys trigger).
create or replace function private.count_api_key() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    if new.revoked_at is null then
      perform private.consume_entitlement(new.org_id, 'api_keys', 1, private.org_id() is not null);
    end if;
  elsif tg_op = 'UPDATE' then
    if old.revoked_at is null and new.revoked_at is not null then
      perform private.release_entitlement(old.org_id, 'api_keys', 1);
    end if;
  elsif tg_op = 'DELETE' then
    if old.revoked_at is null then
      perform private.release_entitlement(old.org_id, 'api_keys', 1);
    end if;
  end if;
  return null;
end
$$;
revoke all on function private.count_api_key() from public, anon, authenticated;

create or replace function private.count_membership() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform private.consume_entitlement(
      new.org_id, 'members', 1,
      private.org_id() is not null and new.user_id is distinct from private.subject());
  elsif tg_op = 'DELETE' then
    perform private.release_entitlement(old.org_id, 'members', 1);
  end if;
  return null;
end
$$;
revoke all on function private.count_membership() from public, anon, authenticated;

create trigger projects_entitlement after insert or delete on public.projects
  for each row execute function private.count_project();
create trigger api_keys_entitlement after insert or delete or update of revoked_at on public.api_keys
  for each row execute function private.count_api_key();
create trigger memberships_entitlement after insert or delete on public.memberships
  for each row execute function private.count_membership();

-- What every org uses today.
insert into public.entitlements (org_id, resource, used)
select o.id, r.resource,
       case r.resource
         when 'projects' then (select count(*) from public.projects p where p.org_id = o.id)
         when 'api_keys' then (select count(*) from public.api_keys k where k.org_id = o.id and k.revoked_at is null)
         when 'members' then (select count(*) from public.memberships m where m.org_id = o.id)
       end
  from public.organizations o
 cross join (values ('projects'), ('api_keys'), ('members')) as r (resource)
on conflict (org_id, resource) do nothing;

-- WH-3 / BIL-1: the subscription state of one org, as a verified Stripe event reported it. Applied only when it is
-- newer than the stored state (p_state_at: the event's `created`), so events delivered out of order never overwrite
-- newer state; returns whether it was applied. The customer must be the one created for this org. A principal with
-- claims may apply state only to its own org. Executable by the tables' owner only: the webhook principal is granted
-- EXECUTE where it is created.
create or replace function private.apply_subscription_state(
  p_org text, p_plan text, p_status text, p_customer text, p_subscription text,
  p_period_end timestamptz, p_cancel_at_period_end boolean, p_state_at timestamptz)
returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_applied boolean;
begin
  if p_org is null or p_plan is null or p_status is null or p_customer is null or p_state_at is null then
    raise exception 'apply_subscription_state: org, plan, status, customer and time are required' using errcode = '22023';
  end if;
  if private.org_id() is not null and private.org_id() is distinct from p_org then
    raise exception 'apply_subscription_state: another organisation' using errcode = '42501';
  end if;
  if not exists (select 1 from public.billing_customers c where c.org_id = p_org and c.stripe_customer_id = p_customer) then
    raise exception 'apply_subscription_state: the customer is not this organisation''s' using errcode = '42501';
  end if;
  -- Serialised per org with any other state change of it (the row lock of the upsert, or this lock for the first).
  perform pg_advisory_xact_lock(hashtextextended('subscription:' || p_org, 0));
  insert into public.subscriptions as s (org_id, plan, status, stripe_subscription_id, current_period_end, cancel_at_period_end, state_at, updated_at)
  values (p_org, p_plan, p_status, p_subscription, p_period_end, coalesce(p_cancel_at_period_end, false), p_state_at, now())
  on conflict (org_id) do update
     set plan = excluded.plan, status = excluded.status, stripe_subscription_id = excluded.stripe_subscription_id,
         current_period_end = excluded.current_period_end, cancel_at_period_end = excluded.cancel_at_period_end,
         state_at = excluded.state_at, updated_at = now()
   where s.state_at < excluded.state_at
  returning true into v_applied;
  return coalesce(v_applied, false);
end
$$;
revoke all on function private.apply_subscription_state(text, text, text, text, text, timestamptz, boolean, timestamptz) from public, anon, authenticated;

-- BIL-1: an invoice (and its payment), recorded once per Stripe invoice id: recording it again updates the same row
-- only with newer state. Returns 'inserted', 'updated' or 'unchanged'. Same rules as apply_subscription_state.
create or replace function private.record_invoice(
  p_org text, p_customer text, p_invoice text, p_payment_intent text, p_number text, p_status text,
  p_amount_due bigint, p_amount_paid bigint, p_currency text, p_hosted_url text,
  p_period_start timestamptz, p_period_end timestamptz, p_state_at timestamptz)
returns text
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_org text;
  v_inserted boolean;
begin
  if p_org is null or p_customer is null or p_invoice is null or p_state_at is null then
    raise exception 'record_invoice: org, customer, invoice and time are required' using errcode = '22023';
  end if;
  if private.org_id() is not null and private.org_id() is distinct from p_org then
    raise exception 'record_invoice: another organisation' using errcode = '42501';
  end if;
  if not exists (select 1 from public.billing_customers c where c.org_id = p_org and c.stripe_customer_id = p_customer) then
    raise exception 'record_invoice: the customer is not this organisation''s' using errcode = '42501';
  end if;
  insert into public.invoices as i (org_id, stripe_invoice_id, stripe_payment_intent_id, number, status, amount_due, amount_paid,
                                    currency, hosted_invoice_url, period_start, period_end, state_at)
  values (p_org, p_invoice, p_payment_intent, p_number, p_status, p_amount_due, p_amount_paid, lower(p_currency), p_hosted_url,
          p_period_start, p_period_end, p_state_at)
  on conflict (stripe_invoice_id) do update
     set stripe_payment_intent_id = coalesce(excluded.stripe_payment_intent_id, i.stripe_payment_intent_id),
         number = coalesce(excluded.number, i.number), status = excluded.status, amount_due = excluded.amount_due,
         amount_paid = excluded.amount_paid, currency = excluded.currency,
         hosted_invoice_url = coalesce(excluded.hosted_invoice_url, i.hosted_invoice_url),
         period_start = excluded.period_start, period_end = excluded.period_end, state_at = excluded.state_at, recorded_at = now()
   where i.org_id = excluded.org_id and i.state_at < excluded.state_at
  returning i.org_id, (xmax = 0) into v_org, v_inserted;
  if v_org is null then
    select i.org_id into v_org from public.invoices i where i.stripe_invoice_id = p_invoice;
    if v_org is distinct from p_org then
      raise exception 'record_invoice: the invoice belongs to another organisation' using errcode = '42501';
    end if;
    return 'unchanged';
  end if;
  return case when v_inserted then 'inserted' else 'updated' end;
end
$$;
revoke all on function private.record_invoice(text, text, text, text, text, text, bigint, bigint, text, text, timestamptz, timestamptz, timestamptz) from public, anon, authenticated;

-- WH-1: the org a Stripe customer id belongs to, from our own records (never from a payload's metadata alone).
create or replace function private.billing_org_for_customer(p_customer text) returns text
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return (select c.org_id from public.billing_customers c where c.stripe_customer_id = p_customer);
end
$$;
revoke all on function private.billing_org_for_customer(text) from public, anon, authenticated;
