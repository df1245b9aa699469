-- IDN-3 / TEN-3: Clerk's webhooks keep the local copy of organisations, users and memberships in step (lib/webhooks
-- providers/clerk.ts). Every effect runs as webhook_service, the kernel's narrow principal:
--   * organisation-scoped events (organizationMembership.*, organization.updated/deleted) in the ONE org our records
--     hold under the event's Clerk org id (private.webhook_enter_org), under RLS keyed on private.webhook_org();
--   * events that belong to no single org (user.*, organization.created) through the SECURITY DEFINER functions
--     below, each bound to the claimed delivery row (provider clerk, that event type, that object id, still open),
--     touching only that user's (or that new org's) rows. webhook_service's RLS is not widened to other orgs.

-- Membership effects read the member's current role in the entered org (for the audit entry's `from`).
grant select (org_id, user_id, role) on public.memberships to webhook_service;
create policy memberships_webhook_select on public.memberships for select to webhook_service
  using (org_id = (select private.webhook_org()));

-- Newest Clerk user event applied per user (user.created/updated/deleted, Clerk's updated_at or the event time in
-- ms); a deletion stays as the tombstone, so neither a late user.updated nor an older session token brings it back.
create table private.clerk_user_versions (
  user_id text primary key check (user_id ~ '^user_[A-Za-z0-9]{1,64}$'),
  version bigint not null,
  deleted boolean not null,
  updated_at timestamptz not null default now()
);
revoke all on private.clerk_user_versions from public;
alter table private.clerk_user_versions enable row level security;
alter table private.clerk_user_versions force row level security;
-- Written and read only by the SECURITY DEFINER functions below.
create policy clerk_user_versions_no_direct_access on private.clerk_user_versions for all to public using (false) with check (false);

-- Clerk organisations deleted at Clerk: the local org row and its audit trail stay (AUD-2), nobody is a member any
-- more, and neither JIT provisioning nor a late membership event makes anyone one again.
create table private.clerk_deleted_orgs (
  org_id text primary key references public.organizations (id) on delete cascade,
  deleted_at timestamptz not null default now()
);
revoke all on private.clerk_deleted_orgs from public;
alter table private.clerk_deleted_orgs enable row level security;
alter table private.clerk_deleted_orgs force row level security;
create policy clerk_deleted_orgs_no_direct_access on private.clerk_deleted_orgs for all to public using (false) with check (false);

-- Orgs a user-scoped effect of this very transaction removed the user from: the audit entries of those removals
-- (AUD-3) may be written there, and nowhere else. Rows live for the transaction only (deleted by the writer).
create table private.webhook_user_scopes (
  txid bigint not null,
  org_id text not null,
  primary key (txid, org_id)
);
revoke all on private.webhook_user_scopes from public;
grant select on private.webhook_user_scopes to webhook_service;
alter table private.webhook_user_scopes enable row level security;
alter table private.webhook_user_scopes force row level security;
create policy webhook_user_scopes_own_select on private.webhook_user_scopes for select to webhook_service
  using (txid = pg_catalog.txid_current());
create policy audit_logs_webhook_user_insert on public.audit_logs for insert to webhook_service
  with check (actor_type = 'webhook' and exists (
    select 1 from private.webhook_user_scopes s where s.txid = pg_catalog.txid_current() and s.org_id = audit_logs.org_id));

-- The claimed, still open Clerk delivery p_row of type p_type about p_object, and no org entered in this transaction:
-- what every function below requires before it touches anything.
create or replace function private.webhook_clerk_claimed(p_row uuid, p_types text[], p_object text) returns void
language plpgsql stable
set search_path = ''
as $$
begin
  if not exists (
    select 1 from public.webhook_events e
     where e.id = p_row and e.provider = 'clerk' and e.event_type = any (p_types) and e.object_id = p_object
       and e.status in ('received', 'failed')
  ) or exists (select 1 from private.webhook_scopes s where s.txid = pg_catalog.txid_current()) then
    raise exception 'no claimed Clerk event % for this object', p_row using errcode = '55000';
  end if;
end
$$;

-- user.created / user.updated: the local user's email and name, when this event is newer than the newest applied.
-- Returns applied, stale or deleted (the user was deleted at Clerk: nothing changes).
create or replace function private.webhook_clerk_user_sync(p_row uuid, p_user_id text, p_email text, p_name text, p_version bigint)
returns text
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_seen private.clerk_user_versions%rowtype;
begin
  perform private.webhook_clerk_claimed(p_row, array['user.created', 'user.updated'], p_user_id);
  if p_version is null then
    raise exception 'invalid user event' using errcode = '22023';
  end if;
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('tg.clerk_user:' || p_user_id, 0));
  select * into v_seen from private.clerk_user_versions v where v.user_id = p_user_id;
  if v_seen.deleted then
    return 'deleted';
  end if;
  if v_seen.version is not null and v_seen.version > p_version then
    return 'stale';
  end if;
  insert into public.users (id, email, display_name) values (p_user_id, lower(nullif(p_email, '')), nullif(btrim(p_name), ''))
  on conflict (id) do update set email = excluded.email, display_name = excluded.display_name;
  insert into private.clerk_user_versions (user_id, version, deleted) values (p_user_id, p_version, false)
  on conflict (user_id) do update set version = excluded.version, updated_at = now();
  return 'applied';
end
$$;

-- user.deleted: the user loses every membership and every local session at once. The users row goes (its email and
-- name with it; memberships and embedded-provider credentials and sessions cascade; the last-owner trigger lets an
-- account deletion through), each membership keeps a tombstone in membership_versions and the user one in
-- clerk_user_versions, so no older token or late event restores any of it. Returns the orgs and roles removed; each
-- org is opened for this transaction's audit entries of those removals (private.webhook_user_scopes).
create or replace function private.webhook_clerk_user_delete(p_row uuid, p_user_id text, p_version bigint)
returns table (org_id text, role text)
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  perform private.webhook_clerk_claimed(p_row, array['user.deleted'], p_user_id);
  if p_version is null then
    raise exception 'invalid user event' using errcode = '22023';
  end if;
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('tg.clerk_user:' || p_user_id, 0));
  insert into private.clerk_user_versions (user_id, version, deleted) values (p_user_id, p_version, true)
  on conflict (user_id) do update set version = greatest(private.clerk_user_versions.version, excluded.version), deleted = true, updated_at = now();
  insert into public.membership_versions (org_id, user_id, event_at, deleted)
  select m.org_id, m.user_id, greatest(now(), pg_catalog.to_timestamp(p_version / 1000.0)), true
    from public.memberships m where m.user_id = p_user_id
  on conflict on constraint membership_versions_pkey do update set event_at = greatest(public.membership_versions.event_at, excluded.event_at), deleted = true;
  insert into private.webhook_user_scopes (txid, org_id)
  select pg_catalog.txid_current(), m.org_id from public.memberships m where m.user_id = p_user_id
  on conflict do nothing;
  return query
    with removed as (select m.org_id, m.role from public.memberships m where m.user_id = p_user_id)
    select r.org_id, r.role from removed r;
  delete from public.users u where u.id = p_user_id;
end
$$;

-- Ends a user-scoped effect: the orgs it opened for audit entries close.
create or replace function private.webhook_user_scope_close() returns void
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  delete from private.webhook_user_scopes s where s.txid = pg_catalog.txid_current();
end
$$;

-- organization.created: the local org whose id is the Clerk org id, unless JIT provisioning made it already (then
-- nothing changes). A deleted org is not recreated. The slug falls back to one derived from the id when taken.
create or replace function private.webhook_clerk_org_create(p_row uuid, p_org_id text, p_name text, p_slug text)
returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_slug text := case when p_slug ~ '^[a-z0-9][a-z0-9-]{0,62}$' then p_slug end;
  v_inserted int;
begin
  perform private.webhook_clerk_claimed(p_row, array['organization.created'], p_org_id);
  if p_org_id !~ '^org_[A-Za-z0-9]{1,64}$' then
    raise exception 'invalid organisation event' using errcode = '22023';
  end if;
  if v_slug is null or exists (select 1 from public.organizations o where o.slug = v_slug and o.id <> p_org_id) then
    v_slug := lower(replace(p_org_id, '_', '-'));
  end if;
  insert into public.organizations (id, name, slug) values (p_org_id, left(coalesce(nullif(btrim(p_name), ''), p_org_id), 100), v_slug)
  on conflict (id) do nothing;
  get diagnostics v_inserted = row_count;
  return v_inserted = 1;
end
$$;

-- organization.deleted, in the entered org: every membership goes (tombstoned), the org is marked deleted, its rows
-- and audit trail stay. Returns the memberships removed.
create or replace function private.webhook_clerk_org_delete(p_event_at timestamptz)
returns table (user_id text, role text)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_org text := private.webhook_org();
begin
  if v_org is null then
    raise exception 'no org entered in this transaction' using errcode = '55000';
  end if;
  insert into private.clerk_deleted_orgs (org_id) values (v_org) on conflict (org_id) do nothing;
  insert into public.membership_versions (org_id, user_id, event_at, deleted)
  select m.org_id, m.user_id, greatest(now(), p_event_at), true from public.memberships m where m.org_id = v_org
  on conflict on constraint membership_versions_pkey do update set event_at = greatest(public.membership_versions.event_at, excluded.event_at), deleted = true;
  return query
    delete from public.memberships m where m.org_id = v_org returning m.user_id, m.role;
end
$$;

-- The last-owner rule does not hold an org deleted at Clerk.
create or replace function private.keep_one_owner() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and new.role = 'owner' then
    return null;
  end if;
  if not exists (select 1 from public.organizations o where o.id = old.org_id)
     or exists (select 1 from private.clerk_deleted_orgs d where d.org_id = old.org_id) then
    return null;
  end if;
  -- The person's account itself is deleted (e.g. Clerk's user.deleted): the local copy follows, and the live check
  -- reports the org as having members but no owner.
  if tg_op = 'DELETE' and not exists (select 1 from public.users u where u.id = old.user_id) then
    return null;
  end if;
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('tg.org_owners:' || old.org_id, 0));
  if not exists (select 1 from public.memberships m where m.org_id = old.org_id and m.role = 'owner') then
    raise exception 'an organisation must keep at least one owner' using errcode = 'P0001', hint = 'last_owner';
  end if;
  return null;
end
$$;

-- Whether the Clerk user of the caller's claims may hold a session: not deleted at Clerk (user.deleted applied).
create or replace function private.clerk_user_active() returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return not exists (select 1 from private.clerk_user_versions v where v.user_id = private.subject() and v.deleted);
end
$$;

-- JIT provisioning (IDN-3), now aware of user and organisation deletions too: a deleted user or a deleted org is
-- never provisioned again.
create or replace function private.provision_from_claims() returns void
language plpgsql security definer
set search_path = ''
as $$
declare
  v_sub text := auth.jwt() ->> 'sub';
  v_org text := private.org_id();
  v_slug text := coalesce(auth.jwt() -> 'o' ->> 'slg', auth.jwt() ->> 'org_slug');
  v_role text := private.org_role();
  v_email text := lower(nullif(auth.jwt() ->> 'email', ''));
  v_iat timestamptz := to_timestamp(nullif(auth.jwt() ->> 'iat', '')::double precision);
begin
  if v_sub is null or v_sub !~ '^user_' then
    return;
  end if;
  if exists (select 1 from private.clerk_user_versions v where v.user_id = v_sub and v.deleted) then
    return;
  end if;
  insert into public.users (id, email) values (v_sub, v_email)
  on conflict (id) do update set email = coalesce(excluded.email, public.users.email);
  if v_org is null or exists (select 1 from private.clerk_deleted_orgs d where d.org_id = v_org) then
    return;
  end if;
  if v_iat is null or exists (
    select 1 from public.membership_versions v where v.org_id = v_org and v.user_id = v_sub and v.event_at >= v_iat
  ) then
    return;
  end if;
  insert into public.organizations (id, name, slug)
  values (v_org, coalesce(v_slug, v_org), coalesce(v_slug, lower(replace(v_org, '_', '-'))))
  on conflict (id) do nothing;
  if v_role is null or v_role not in ('owner', 'admin', 'member') then
    delete from public.memberships where org_id = v_org and user_id = v_sub;
    return;
  end if;
  insert into public.memberships (org_id, user_id, role)
  values (v_org, v_sub, v_role)
  on conflict (org_id, user_id) do update set role = excluded.role
  where public.memberships.role is distinct from excluded.role;
end
$$;

revoke all on function private.webhook_clerk_claimed(uuid, text[], text) from public;
revoke all on function private.webhook_clerk_user_sync(uuid, text, text, text, bigint) from public;
revoke all on function private.webhook_clerk_user_delete(uuid, text, bigint) from public;
revoke all on function private.webhook_user_scope_close() from public;
revoke all on function private.webhook_clerk_org_create(uuid, text, text, text) from public;
revoke all on function private.webhook_clerk_org_delete(timestamptz) from public;
revoke all on function private.keep_one_owner() from public;
revoke all on function private.clerk_user_active() from public;
revoke all on function private.provision_from_claims() from public;
grant execute on function private.webhook_clerk_user_sync(uuid, text, text, text, bigint) to webhook_service;
grant execute on function private.webhook_clerk_user_delete(uuid, text, bigint) to webhook_service;
grant execute on function private.webhook_user_scope_close() to webhook_service;
grant execute on function private.webhook_clerk_org_create(uuid, text, text, text) to webhook_service;
grant execute on function private.webhook_clerk_org_delete(timestamptz) to webhook_service;
grant execute on function private.clerk_user_active() to authenticated;
grant execute on function private.provision_from_claims() to authenticated;
