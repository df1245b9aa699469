-- IDN-5: an organisation may require two-step verification for its sensitive operations, and the database enforces
-- it as well as the app: RESTRICTIVE policies on every sensitive table call one fail-closed helper that reads the
-- token's second-factor age (Clerk's `fva`) and its own age since `iat` from auth.jwt().

alter table public.organizations
  add column require_second_factor boolean not null default false,
  add column second_factor_window_minutes integer not null default 15
    check (second_factor_window_minutes between 1 and 1440);

-- True when the caller's claims satisfy their org's second-factor rule:
--   * the org does not require a second factor: true;
--   * it does: `fva[1]` (minutes since the second factor, -1 for none) must be a non-negative integer, and with
--     p_fresh the second factor's age at this moment (fva[1] minutes when the token was issued, plus the token's
--     own age since `iat`) must be within the org's window, so a long-lived token cannot stay fresh.
-- Anything it cannot read (no org, an org the caller cannot see, a malformed fva or iat) is false: fail closed.
-- PL/pgSQL, STABLE, not SECURITY DEFINER, search_path pinned: it reads the org row through the caller's own policy.
create or replace function private.second_factor_ok(p_fresh boolean) returns boolean
language plpgsql stable
set search_path = ''
as $$
declare
  v_org text := private.org_id();
  v_required boolean;
  v_window integer;
  v_second text := auth.jwt() -> 'fva' ->> 1;
  v_iat text := auth.jwt() ->> 'iat';
begin
  if v_org is null then
    return false;
  end if;
  select o.require_second_factor, o.second_factor_window_minutes into v_required, v_window
    from public.organizations o where o.id = v_org;
  if v_required is null then
    return false;
  end if;
  if not v_required then
    return true;
  end if;
  if v_second is null or v_second !~ '^[0-9]{1,6}$' then
    return false;
  end if;
  if not p_fresh then
    return true;
  end if;
  if v_iat is null or v_iat !~ '^[0-9]{1,12}$' then
    return false;
  end if;
  return v_second::integer * 60 + greatest(extract(epoch from now()) - v_iat::bigint, 0) <= v_window * 60;
end
$$;
grant execute on function private.second_factor_ok(boolean) to authenticated;

-- The RESTRICTIVE policies of one sensitive table: inserts, updates and deletes by `authenticated` need the second
-- factor the org requires (p_fresh_insert: a fresh one for inserts). Called by migrations only (nobody else may
-- execute it). To make another table sensitive, a later migration runs
--   select private.require_second_factor_on('public.<table>', false);
-- and tests/integration/second-factor-policies.test.ts lists the table in SENSITIVE_TABLES.
create or replace function private.require_second_factor_on(p_table regclass, p_fresh_insert boolean) returns void
language plpgsql volatile
set search_path = ''
as $$
declare
  v_name text := (select c.relname from pg_catalog.pg_class c where c.oid = p_table);
begin
  execute format('drop policy if exists %I on %s', v_name || '_second_factor_insert', p_table);
  execute format('drop policy if exists %I on %s', v_name || '_second_factor_update', p_table);
  execute format('drop policy if exists %I on %s', v_name || '_second_factor_delete', p_table);
  execute format('create policy %I on %s as restrictive for insert to authenticated with check ((select private.second_factor_ok(%L)))',
                 v_name || '_second_factor_insert', p_table, p_fresh_insert);
  execute format('create policy %I on %s as restrictive for update to authenticated using ((select private.second_factor_ok(false))) with check ((select private.second_factor_ok(false)))',
                 v_name || '_second_factor_update', p_table);
  execute format('create policy %I on %s as restrictive for delete to authenticated using ((select private.second_factor_ok(false)))',
                 v_name || '_second_factor_delete', p_table);
end
$$;
revoke all on function private.require_second_factor_on(regclass, boolean) from public;

-- The sensitive tables (keep in step with SENSITIVE_TABLES in tests/integration/second-factor-policies.test.ts).
select private.require_second_factor_on('public.api_keys', true);
select private.require_second_factor_on('public.memberships', false);
select private.require_second_factor_on('public.org_invites', false);
select private.require_second_factor_on('public.billing_customers', false);
select private.require_second_factor_on('public.subscriptions', false);
select private.require_second_factor_on('public.invoices', false);
select private.require_second_factor_on('public.entitlements', false);

-- Members and invites change through SECURITY DEFINER functions (20261202070000_members.sql), whose owner is not
-- bound by policies: a trigger applies the same rule to those writes. A request's own membership (joining through
-- an invite, leaving) and another org's invite (being redeemed) are the caller's business, not the org's
-- administration; writes without a subject (webhooks, jobs: service principals) are not a session's.
create or replace function private.enforce_second_factor_on_members() returns trigger
language plpgsql volatile
set search_path = ''
as $$
declare
  v_row jsonb;
  v_subject text := private.subject();
begin
  if tg_op = 'DELETE' then
    v_row := to_jsonb(old);
  else
    v_row := to_jsonb(new);
  end if;
  if v_subject is not null
     and not (tg_table_name = 'memberships' and v_row ->> 'user_id' = v_subject)
     and (v_row ->> 'org_id') = private.org_id()
     and not private.second_factor_ok(false) then
    raise exception 'this organisation requires two-step verification' using errcode = '42501', hint = 'second_factor_required';
  end if;
  if tg_op = 'DELETE' then
    return old;
  end if;
  return new;
end
$$;

create trigger memberships_second_factor before insert or update or delete on public.memberships
  for each row execute function private.enforce_second_factor_on_members();
create trigger org_invites_second_factor before insert or update or delete on public.org_invites
  for each row execute function private.enforce_second_factor_on_members();

-- Owners set the rule. Turning it on, or changing it while it is on, needs the owner's own fresh second factor:
-- the rule is never switched on by someone who could not meet it, nor off by a session that skipped it.
create or replace function private.set_org_second_factor_rule(p_required boolean, p_window_minutes integer)
returns table (previous_required boolean, previous_window_minutes integer)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_org text := private.org_id();
  v_prev_required boolean;
  v_prev_window integer;
  v_second text := auth.jwt() -> 'fva' ->> 1;
  v_iat text := auth.jwt() ->> 'iat';
begin
  if v_org is null or private.caller_org_role() is distinct from 'owner' then
    raise exception 'only owners change the two-step verification rule' using errcode = '42501';
  end if;
  select o.require_second_factor, o.second_factor_window_minutes into v_prev_required, v_prev_window
    from public.organizations o where o.id = v_org for update;
  if (p_required or v_prev_required) and not (
       v_second ~ '^[0-9]{1,6}$' and v_iat ~ '^[0-9]{1,12}$'
       and v_second::integer * 60 + greatest(extract(epoch from now()) - v_iat::bigint, 0) <= v_prev_window * 60) then
    raise exception 'verify your second factor first' using errcode = '42501', hint = 'second_factor_required';
  end if;
  update public.organizations o set require_second_factor = p_required, second_factor_window_minutes = p_window_minutes
   where o.id = v_org;
  return query select v_prev_required, v_prev_window;
end
$$;
grant execute on function private.set_org_second_factor_rule(boolean, integer) to authenticated;
