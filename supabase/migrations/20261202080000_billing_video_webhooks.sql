-- BIL-1 / BIL-2 / WH-1..3: the Stripe and Mux webhook adapters' effects on billing and videos.
--
-- Org resolution (the kernel's private.webhook_resolve_org) agrees with the capabilities' own records:
--   Stripe  a customer stored in public.billing_customers (the checkout action stores it before redirecting to
--           Stripe) is linked in public.provider_objects (kind `customer`) by a trigger in the same transaction, so
--           the kernel resolves its events to that org and the customer.* status placeholder keeps its row.
--   Mux     events resolve from public.videos itself: kind `upload` by the upload id we stored when Mux created the
--           upload, kind `asset` by the asset id linked since (video.upload.asset_created). No second copy of the link.
-- webhook_service may execute the three billing functions (each checks the customer against billing_customers and
-- the org against the claims private.webhook_enter_org set). Mux's effect switches to video_events for its one
-- statement (lib/video/events.ts); webhook_service needs no grant for it.
--
-- Ties (WH-3): Stripe's `created` has one-second resolution, and Stripe commonly sends subscription created
-- (incomplete) and updated (active), or invoice finalized and paid, within the same second. On an equal time the
-- state further along its lifecycle wins (see the ranks below), so either delivery order ends in it; two states of
-- equal rank in the same second keep the first one delivered.

-- Stripe: billing_customers -> provider_objects.
create or replace function private.link_billing_customer() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_org text;
begin
  insert into public.provider_objects (org_id, provider, kind, external_id, status)
  values (new.org_id, 'stripe', 'customer', new.stripe_customer_id, 'active')
  on conflict (provider, kind, external_id) do nothing;
  select p.org_id into v_org from public.provider_objects p
   where p.provider = 'stripe' and p.kind = 'customer' and p.external_id = new.stripe_customer_id;
  if v_org is distinct from new.org_id then
    raise exception 'this Stripe customer is linked to another organisation' using errcode = '42501';
  end if;
  return null;
end
$$;
revoke all on function private.link_billing_customer() from public, anon, authenticated;
create trigger billing_customers_link after insert on public.billing_customers
  for each row execute function private.link_billing_customer();

insert into public.provider_objects (org_id, provider, kind, external_id, status)
select c.org_id, 'stripe', 'customer', c.stripe_customer_id, 'active' from public.billing_customers c
on conflict (provider, kind, external_id) do nothing;

-- Mux: resolution from public.videos. Everything else as before (provider_objects; Clerk from organizations).
create or replace function private.webhook_resolve_org(p_provider text, p_kind text, p_external_id text) returns text
language plpgsql stable
set search_path = ''
as $$
begin
  if p_provider = 'clerk' then
    if p_kind <> 'organization' then
      return null;
    end if;
    return (select o.id from public.organizations o where o.id = p_external_id);
  end if;
  if p_provider = 'mux' then
    if p_kind = 'upload' then
      return (select v.org_id from public.videos v where v.mux_upload_id = p_external_id);
    elsif p_kind = 'asset' then
      return (select v.org_id from public.videos v where v.mux_asset_id = p_external_id);
    end if;
    return null;
  end if;
  return (select p.org_id from public.provider_objects p where p.provider = p_provider and p.kind = p_kind and p.external_id = p_external_id);
end
$$;
revoke all on function private.webhook_resolve_org(text, text, text) from public;

-- Lifecycle ranks for same-second ties.
create or replace function private.subscription_status_rank(p_status text) returns int
language sql immutable
set search_path = ''
as $$
  select case p_status
           when 'incomplete' then 0
           when 'trialing' then 1
           when 'active' then 2
           when 'past_due' then 3
           when 'unpaid' then 4
           when 'paused' then 4
           when 'incomplete_expired' then 5
           when 'canceled' then 5
           else -1
         end
$$;
revoke all on function private.subscription_status_rank(text) from public;

create or replace function private.invoice_status_rank(p_status text) returns int
language sql immutable
set search_path = ''
as $$
  select case p_status when 'draft' then 0 when 'open' then 1 when 'paid' then 2 when 'uncollectible' then 2 when 'void' then 3 else -1 end
$$;
revoke all on function private.invoice_status_rank(text) from public;

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
  perform pg_advisory_xact_lock(hashtextextended('subscription:' || p_org, 0));
  insert into public.subscriptions as s (org_id, plan, status, stripe_subscription_id, current_period_end, cancel_at_period_end, state_at, updated_at)
  values (p_org, p_plan, p_status, p_subscription, p_period_end, coalesce(p_cancel_at_period_end, false), p_state_at, now())
  on conflict (org_id) do update
     set plan = excluded.plan, status = excluded.status, stripe_subscription_id = excluded.stripe_subscription_id,
         current_period_end = excluded.current_period_end, cancel_at_period_end = excluded.cancel_at_period_end,
         state_at = excluded.state_at, updated_at = now()
   where s.state_at < excluded.state_at
      or (s.state_at = excluded.state_at and private.subscription_status_rank(excluded.status) > private.subscription_status_rank(s.status))
  returning true into v_applied;
  return coalesce(v_applied, false);
end
$$;

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
   where i.org_id = excluded.org_id
     and (i.state_at < excluded.state_at
          or (i.state_at = excluded.state_at and private.invoice_status_rank(excluded.status) > private.invoice_status_rank(i.status)))
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

grant execute on function private.apply_subscription_state(text, text, text, text, text, timestamptz, boolean, timestamptz) to webhook_service;
grant execute on function private.record_invoice(text, text, text, text, text, text, bigint, bigint, text, text, timestamptz, timestamptz, timestamptz) to webhook_service;
grant execute on function private.billing_org_for_customer(text) to webhook_service;
