-- TEN-8: consented, time-boxed, audited support access. No standing access for anyone.
--
-- * private.platform_operators: the deployment's operators, managed only by `npm run operators` as the owner. Being
--   listed grants nothing: no policy reads this table except through a consent.
-- * public.support_grants: an owner's consent naming one operator, read-only or read-write, for 15 minutes to
--   8 hours, revocable by any owner. It ends at expires_at (compared with now() on every statement), no job needed.
-- * A support session's token carries the consented org (`o.id`, `o.rol = 'support'`) and Clerk's actor claim
--   (`act.sub` = the operator). private.support_allows_read() / support_allows_write() tell the policies whether
--   the statement runs in such a session and whether its consent is live (and read-write); RESTRICTIVE policies on
--   every tenant table (every public table with an org_id) refuse everything without a live consent and every
--   write under a read-only one. Ordinary sessions (no `act`, role not `support`) are unaffected.
-- * Audit rows carry `act_sub`, the operator behind a support session's action; the chain hashes it only when set,
--   so entries written before this column existed verify unchanged.

create table private.platform_operators (
  user_id text primary key references public.users (id) on delete cascade,
  added_at timestamptz not null default now()
);
revoke all on private.platform_operators from public, anon, authenticated;
alter table private.platform_operators enable row level security;
alter table private.platform_operators force row level security;
create policy platform_operators_no_direct_access on private.platform_operators for all to authenticated
  using (false) with check (false);

create table public.support_grants (
  id uuid primary key default gen_random_uuid(),
  org_id text not null references public.organizations (id) on delete cascade,
  operator_user_id text not null references public.users (id) on delete cascade,
  -- The operator's email when consent was given, so past grants stay readable after the operator is removed.
  operator_email text,
  access_level text not null check (access_level in ('read', 'write')),
  reason text not null check (length(btrim(reason)) between 3 and 500),
  granted_by text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  revoked_by text,
  check (expires_at >= created_at + interval '15 minutes' and expires_at <= created_at + interval '8 hours'),
  check ((revoked_at is null) = (revoked_by is null))
);
create index support_grants_org_operator_idx on public.support_grants (org_id, operator_user_id, expires_at desc);
create index support_grants_operator_idx on public.support_grants (operator_user_id, expires_at desc);

revoke all on public.support_grants from public, anon, authenticated;
-- Reads only: grants and revocations go through the functions below, which re-check the caller's role.
grant select on public.support_grants to authenticated;
alter table public.support_grants enable row level security;
alter table public.support_grants force row level security;
-- Owners see their org's consents, past and active.
create policy support_grants_select on public.support_grants for select to authenticated
  using (org_id = (select private.org_id()) and (select private.org_role()) = 'owner');

-- The live consent level of the statement's support session: 'write', 'read', or NULL (none live). Reads only the
-- caller's own verified claims (no parameters, so it answers nothing about other orgs or operators). SECURITY
-- DEFINER because the operator cannot read the consents or the operator list themselves.
create or replace function private.live_support_level() returns text
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_org text := private.org_id();
  v_operator text := auth.jwt() -> 'act' ->> 'sub';
  v_level text;
begin
  if v_org is null or v_operator is null then
    return null;
  end if;
  select max(g.access_level) into v_level
    from public.support_grants g
   where g.org_id = v_org
     and g.operator_user_id = v_operator
     and g.revoked_at is null
     and g.expires_at > now()
     and exists (select 1 from private.platform_operators o where o.user_id = v_operator);
  return v_level; -- 'write' > 'read' in text order: read-write wins when both are live
end
$$;
revoke all on function private.live_support_level() from public;
grant execute on function private.live_support_level() to authenticated;

-- 'none' (not a support session), 'read', 'write', or 'refused' (an actor or the support role without a live consent).
create or replace function private.support_state() returns text
language plpgsql stable
set search_path = ''
as $$
declare
  v_claims jsonb := auth.jwt();
begin
  if v_claims is null or not (v_claims ? 'act') then
    return case when private.org_role() = 'support' then 'refused' else 'none' end;
  end if;
  return coalesce(private.live_support_level(), 'refused');
end
$$;

create or replace function private.support_allows_read() returns boolean
language plpgsql stable
set search_path = ''
as $$
begin
  return private.support_state() in ('none', 'read', 'write');
end
$$;

create or replace function private.support_allows_write() returns boolean
language plpgsql stable
set search_path = ''
as $$
begin
  return private.support_state() in ('none', 'write');
end
$$;

revoke all on function private.support_state(), private.support_allows_read(), private.support_allows_write() from public;
grant execute on function private.support_state(), private.support_allows_read(), private.support_allows_write() to authenticated;

-- The restrictive policies of one tenant table. Run as the owner by this migration for every public table with an
-- org_id, and by later migrations for the tenant tables they create: `select private.apply_support_policies('public.t')`.
-- audit_logs keeps INSERT in read-only sessions (the operator's reads and session start/end are audited), and its
-- rows must then name the operator (act_sub).
create or replace function private.apply_support_policies(p_table regclass) returns void
language plpgsql
set search_path = ''
as $$
declare
  v_name text := (select c.relname from pg_catalog.pg_class c where c.oid = p_table);
begin
  execute format('drop policy if exists %I on %s', v_name || '_support_access', p_table);
  execute format('drop policy if exists %I on %s', v_name || '_support_insert', p_table);
  execute format('drop policy if exists %I on %s', v_name || '_support_update', p_table);
  execute format('drop policy if exists %I on %s', v_name || '_support_delete', p_table);
  execute format('create policy %I on %s as restrictive for all to authenticated using ((select private.support_allows_read())) with check ((select private.support_allows_read()))', v_name || '_support_access', p_table);
  if p_table = 'public.audit_logs'::regclass then
    execute format('create policy %I on %s as restrictive for insert to authenticated with check (act_sub is not distinct from (select auth.jwt() -> ''act'' ->> ''sub''))', v_name || '_support_insert', p_table);
  else
    execute format('create policy %I on %s as restrictive for insert to authenticated with check ((select private.support_allows_write()))', v_name || '_support_insert', p_table);
  end if;
  execute format('create policy %I on %s as restrictive for update to authenticated using ((select private.support_allows_write())) with check ((select private.support_allows_write()))', v_name || '_support_update', p_table);
  execute format('create policy %I on %s as restrictive for delete to authenticated using ((select private.support_allows_write()))', v_name || '_support_delete', p_table);
end
$$;
revoke all on function private.apply_support_policies(regclass) from public, anon, authenticated;

alter table public.audit_logs add column act_sub text check (act_sub is null or length(act_sub) <= 128);
-- The TEN-8 live check looks for support entries outside any consent window.
create index audit_logs_act_sub_idx on public.audit_logs (org_id, act_sub, created_at) where act_sub is not null;

do $$
declare
  r record;
begin
  for r in
    select c.oid::regclass as tbl
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'p')
       and exists (select 1 from pg_catalog.pg_attribute a where a.attrelid = c.oid and a.attname = 'org_id' and not a.attisdropped)
  loop
    perform private.apply_support_policies(r.tbl);
  end loop;
end
$$;

-- An owner grants a listed operator time-boxed access. The role is read from the memberships table (not the token),
-- and a support session can never grant or extend consent, even one whose claims name an owner (Clerk actor token).
create or replace function private.grant_support_access(p_operator text, p_level text, p_minutes integer, p_reason text)
returns uuid
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_id uuid;
begin
  if auth.jwt() ? 'act' or private.caller_org_role() is distinct from 'owner' then
    raise exception 'only owners grant support access' using errcode = '42501';
  end if;
  if not exists (select 1 from private.platform_operators o where o.user_id = p_operator) then
    raise exception 'not a platform operator' using errcode = 'P0002';
  end if;
  if p_minutes is null or p_minutes < 15 or p_minutes > 480 then
    raise exception 'support access lasts 15 minutes to 8 hours' using errcode = '22023';
  end if;
  insert into public.support_grants (org_id, operator_user_id, operator_email, access_level, reason, granted_by, expires_at)
  values (private.org_id(), p_operator, (select u.email from public.users u where u.id = p_operator), p_level, btrim(p_reason),
          private.subject(), now() + make_interval(mins => p_minutes))
  returning id into v_id;
  return v_id;
end
$$;
revoke all on function private.grant_support_access(text, text, integer, text) from public;
grant execute on function private.grant_support_access(text, text, integer, text) to authenticated;

-- Any owner revokes any live consent of their org; returns the operator it named, or NULL when nothing was live.
create or replace function private.revoke_support_access(p_id uuid) returns text
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_operator text;
begin
  if auth.jwt() ? 'act' or private.caller_org_role() is distinct from 'owner' then
    raise exception 'only owners revoke support access' using errcode = '42501';
  end if;
  update public.support_grants g set revoked_at = now(), revoked_by = private.subject()
   where g.id = p_id and g.org_id = private.org_id() and g.revoked_at is null and g.expires_at > now()
  returning g.operator_user_id into v_operator;
  return v_operator;
end
$$;
revoke all on function private.revoke_support_access(uuid) from public;
grant execute on function private.revoke_support_access(uuid) to authenticated;

-- The grant form's operator picker: the deployment's operators, for an org owner only.
create or replace function private.support_operators() returns table (user_id text, email text, display_name text)
language plpgsql stable security definer
set search_path = ''
as $$
begin
  if auth.jwt() ? 'act' or private.caller_org_role() is distinct from 'owner' then
    return;
  end if;
  return query
    select u.id, u.email, u.display_name
      from private.platform_operators o join public.users u on u.id = o.user_id
     order by u.email;
end
$$;
revoke all on function private.support_operators() from public;
grant execute on function private.support_operators() to authenticated;

-- The operator's side: the live consents naming the signed-in operator (while they are still listed).
create or replace function private.my_support_consents()
returns table (id uuid, org_id text, org_name text, org_slug text, access_level text, reason text, expires_at timestamptz)
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
    select g.id, g.org_id, o.name, o.slug, g.access_level, g.reason, g.expires_at
      from public.support_grants g
      join public.organizations o on o.id = g.org_id
     where g.operator_user_id = private.subject()
       and g.revoked_at is null and g.expires_at > now()
       and exists (select 1 from private.platform_operators p where p.user_id = private.subject())
     order by g.expires_at desc;
end
$$;
revoke all on function private.my_support_consents() from public;
grant execute on function private.my_support_consents() to authenticated;
