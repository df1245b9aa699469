-- TEN-3: members and roles. Owners and admins invite people by email (embedded provider: a one-use link whose token
-- is stored only as its SHA-256; Clerk: Clerk's invitations, recorded here by id), change roles and remove members;
-- members leave. Every membership write goes through a SECURITY DEFINER function below that reads the caller's role
-- from the memberships table itself (never from the token alone) and applies one rule against privilege escalation:
-- nobody grants, changes or removes a role above their own (owner > admin > member); only owners and admins manage
-- members. A trigger keeps at least one owner in every organisation, under a per-org lock, so concurrent demotions
-- or removals cannot leave none.
-- Clerk's webhooks keep the local copy in step through private.apply_clerk_membership, executable only by the
-- NOLOGIN role `membership_events`; public.membership_versions remembers the newest event applied per membership
-- (deletions too), so an older event, or an older token's JIT provisioning, never resurrects or re-roles it.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'membership_events') then
    create role membership_events nologin noinherit nosuperuser nocreatedb nocreaterole nobypassrls;
  end if;
end
$$;
grant membership_events to app_runtime;
grant usage on schema private to membership_events;

create or replace function private.role_rank(p_role text) returns integer
language plpgsql immutable
set search_path = ''
as $$
begin
  return case p_role when 'owner' then 3 when 'admin' then 2 when 'member' then 1 else 0 end;
end
$$;
revoke all on function private.role_rank(text) from public;

create table public.org_invites (
  id uuid primary key default gen_random_uuid(),
  org_id text not null references public.organizations (id) on delete cascade,
  email text not null check (length(email) between 3 and 320 and email = lower(email)),
  role text not null check (role in ('owner', 'admin', 'member')),
  -- Embedded provider: SHA-256 of the 256-bit token in the link. Clerk: Clerk's invitation id instead.
  token_hash bytea unique check (token_hash is null or length(token_hash) = 32),
  clerk_invitation_id text unique check (clerk_invitation_id is null or length(clerk_invitation_id) <= 128),
  created_by text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  revoked_by text,
  redeemed_at timestamptz,
  redeemed_by text,
  check ((token_hash is null) <> (clerk_invitation_id is null)),
  check (expires_at > created_at)
);
create index org_invites_org_id_created_at_idx on public.org_invites (org_id, created_at desc);

-- Newest Clerk membership event applied per (org, user), kept after a deletion as its tombstone.
create table public.membership_versions (
  org_id text not null,
  user_id text not null,
  event_at timestamptz not null,
  deleted boolean not null,
  primary key (org_id, user_id)
);

revoke all on public.org_invites, public.membership_versions from anon, authenticated, public;
grant select on public.org_invites to authenticated;

alter table public.org_invites enable row level security;
alter table public.org_invites force row level security;
alter table public.membership_versions enable row level security;
alter table public.membership_versions force row level security;

-- Pending and past invites: the org's owners and admins only.
create policy org_invites_select on public.org_invites for select to authenticated
  using (org_id = (select private.org_id()) and (select private.is_org_admin()));
-- Written only by private.apply_clerk_membership and read by provisioning, both SECURITY DEFINER.
create policy membership_versions_no_direct_access on public.membership_versions for all to authenticated
  using (false) with check (false);

-- The caller's role in the org of its claims, read from the table: a token naming a role the caller no longer has
-- gets the role it has (or none).
create or replace function private.caller_org_role() returns text
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_role text;
begin
  select m.role into v_role from public.memberships m
   where m.org_id = private.org_id() and m.user_id = private.subject();
  return v_role;
end
$$;
revoke all on function private.caller_org_role() from public;

-- At least one owner per organisation. The per-org advisory lock serialises every change that takes an owner away,
-- and the count runs after it with a fresh snapshot, so of two concurrent "last but one" demotions one fails.
-- Deleting the organisation itself, or the owner's user account (cascades), is not blocked.
create or replace function private.keep_one_owner() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and new.role = 'owner' then
    return null;
  end if;
  if not exists (select 1 from public.organizations o where o.id = old.org_id) then
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
revoke all on function private.keep_one_owner() from public;

create trigger memberships_keep_one_owner
  after update of role or delete on public.memberships
  for each row when (old.role = 'owner')
  execute function private.keep_one_owner();

-- Invite someone by email. p_token_hash for a link (embedded provider) or p_clerk_invitation_id (Clerk).
create or replace function private.create_org_invite(p_email text, p_role text, p_token_hash bytea, p_clerk_invitation_id text, p_expires_at timestamptz)
returns uuid
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_org text := private.org_id();
  v_actor text := private.subject();
  v_actor_role text := private.caller_org_role();
  v_id uuid;
begin
  if v_actor_role is null or v_actor_role not in ('owner', 'admin') then
    raise exception 'only owners and admins invite members' using errcode = '42501';
  end if;
  if private.role_rank(p_role) = 0 or private.role_rank(p_role) > private.role_rank(v_actor_role) then
    raise exception 'nobody grants a role above their own' using errcode = '42501', hint = 'escalation';
  end if;
  if p_expires_at <= now() or p_expires_at > now() + interval '30 days' then
    raise exception 'invite expiry out of range' using errcode = '22023';
  end if;
  insert into public.org_invites (org_id, email, role, token_hash, clerk_invitation_id, created_by, expires_at)
  values (v_org, lower(p_email), p_role, p_token_hash, p_clerk_invitation_id, v_actor, p_expires_at)
  returning id into v_id;
  return v_id;
end
$$;

-- Revoke a pending invite of the caller's org; no row when there is none (404 for the caller).
create or replace function private.revoke_org_invite(p_id uuid)
returns table (email text, role text, clerk_invitation_id text)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_actor_role text := private.caller_org_role();
begin
  if v_actor_role is null or v_actor_role not in ('owner', 'admin') then
    return;
  end if;
  return query
    update public.org_invites i set revoked_at = now(), revoked_by = private.subject()
     where i.id = p_id and i.org_id = private.org_id()
       and i.revoked_at is null and i.redeemed_at is null
       -- An admin cannot revoke an owner invite either: the rule is symmetric.
       and private.role_rank(i.role) <= private.role_rank(v_actor_role)
    returning i.email, i.role, i.clerk_invitation_id;
end
$$;

-- What the invite page shows to whoever holds the link: enough to say what it is, or why it no longer works.
create or replace function private.org_invite_preview(p_token_hash bytea)
returns table (status text, org_id text, org_name text, role text, email text, expires_at timestamptz, account_exists boolean)
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
    select case
             when i.revoked_at is not null then 'revoked'
             when i.redeemed_at is not null then 'used'
             when i.expires_at <= now() then 'expired'
             else 'valid'
           end,
           i.org_id, o.name, i.role, i.email, i.expires_at,
           exists (select 1 from public.users u where u.email = i.email)
      from public.org_invites i join public.organizations o on o.id = i.org_id
     where i.token_hash = p_token_hash;
end
$$;

-- Redeem a link as the signed-in user (claims with any or no active org). One use: the conditional UPDATE takes the
-- row lock, so of concurrent redemptions exactly one finds it unredeemed. The membership is added to the invite's
-- org, never to the caller's active one. The signed-in account's email must be the invited one.
create or replace function private.redeem_org_invite(p_token_hash bytea)
returns table (outcome text, org_id text, role text, invite_id uuid)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_user text := private.subject();
  v_email text;
  v_invite public.org_invites%rowtype;
  v_inserted int;
begin
  if v_user is null or v_user !~ '^user_' then
    return query select 'invalid'::text, null::text, null::text, null::uuid;
    return;
  end if;
  select u.email into v_email from public.users u where u.id = v_user;
  update public.org_invites i set redeemed_at = now(), redeemed_by = v_user
   where i.token_hash = p_token_hash and i.revoked_at is null and i.redeemed_at is null and i.expires_at > now()
     and i.email = v_email
  returning i.* into v_invite;
  if v_invite.id is null then
    select * into v_invite from public.org_invites i where i.token_hash = p_token_hash;
    return query select case
        when v_invite.id is null then 'invalid'
        when v_invite.revoked_at is not null then 'revoked'
        when v_invite.redeemed_at is not null then 'used'
        when v_invite.expires_at <= now() then 'expired'
        else 'wrong_account'
      end, null::text, null::text, null::uuid;
    return;
  end if;
  -- Already a member: the invite is used up and the existing role stays (an invite never demotes).
  insert into public.memberships (org_id, user_id, role) values (v_invite.org_id, v_user, v_invite.role)
  on conflict on constraint memberships_pkey do nothing;
  get diagnostics v_inserted = row_count;
  return query select case when v_inserted = 1 then 'joined' else 'already_member' end, v_invite.org_id, v_invite.role, v_invite.id;
end
$$;

-- Change a member's role. Rules: the caller is an owner or admin; neither the member's current role nor the new one
-- is above the caller's. Returns the previous role, or no row when the user is not a member of the caller's org.
create or replace function private.change_member_role(p_user_id text, p_role text)
returns table (previous_role text)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_actor_role text := private.caller_org_role();
  v_current text;
begin
  if v_actor_role is null or v_actor_role not in ('owner', 'admin') then
    raise exception 'only owners and admins change roles' using errcode = '42501';
  end if;
  select m.role into v_current from public.memberships m where m.org_id = private.org_id() and m.user_id = p_user_id for update;
  if v_current is null then
    return;
  end if;
  if private.role_rank(p_role) = 0 or private.role_rank(p_role) > private.role_rank(v_actor_role)
     or private.role_rank(v_current) > private.role_rank(v_actor_role) then
    raise exception 'nobody grants or changes a role above their own' using errcode = '42501', hint = 'escalation';
  end if;
  update public.memberships m set role = p_role where m.org_id = private.org_id() and m.user_id = p_user_id;
  return query select v_current;
end
$$;

-- Remove a member (not oneself: that is leaving). Same rules; the last owner stays (trigger).
create or replace function private.remove_member(p_user_id text)
returns table (previous_role text)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_actor_role text := private.caller_org_role();
  v_current text;
begin
  if v_actor_role is null or v_actor_role not in ('owner', 'admin') then
    raise exception 'only owners and admins remove members' using errcode = '42501';
  end if;
  if p_user_id = private.subject() then
    raise exception 'leave the organisation instead' using errcode = '22023';
  end if;
  select m.role into v_current from public.memberships m where m.org_id = private.org_id() and m.user_id = p_user_id for update;
  if v_current is null then
    return;
  end if;
  if private.role_rank(v_current) > private.role_rank(v_actor_role) then
    raise exception 'nobody removes a role above their own' using errcode = '42501', hint = 'escalation';
  end if;
  delete from public.memberships m where m.org_id = private.org_id() and m.user_id = p_user_id;
  return query select v_current;
end
$$;

-- Leave the org of the caller's claims (the last owner cannot: trigger).
create or replace function private.leave_org()
returns table (previous_role text)
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  return query
    delete from public.memberships m where m.org_id = private.org_id() and m.user_id = private.subject()
    returning m.role;
end
$$;

-- IDN-3 / WH-3: the effect of one Clerk membership event (organizationMembership.created/updated/deleted), in the
-- webhook kernel's transaction. Applied only when newer than the newest event applied to that membership.
create or replace function private.apply_clerk_membership(p_org_id text, p_user_id text, p_role text, p_deleted boolean, p_event_at timestamptz)
returns text
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_seen timestamptz;
begin
  if p_org_id !~ '^org_[A-Za-z0-9]{1,64}$' or p_user_id !~ '^user_[A-Za-z0-9]{1,64}$' or p_event_at is null then
    raise exception 'invalid membership event' using errcode = '22023';
  end if;
  if not p_deleted and (p_role is null or p_role not in ('owner', 'admin', 'member')) then
    raise exception 'invalid membership role' using errcode = '22023';
  end if;
  -- One event per membership at a time.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('tg.membership:' || p_org_id || ':' || p_user_id, 0));
  select v.event_at into v_seen from public.membership_versions v where v.org_id = p_org_id and v.user_id = p_user_id;
  if v_seen is not null and v_seen >= p_event_at then
    return 'stale';
  end if;
  begin
    if p_deleted then
      delete from public.memberships m where m.org_id = p_org_id and m.user_id = p_user_id;
    else
      insert into public.users (id) values (p_user_id) on conflict (id) do nothing;
      insert into public.organizations (id, name, slug)
      values (p_org_id, p_org_id, lower(replace(p_org_id, '_', '-'))) on conflict (id) do nothing;
      insert into public.memberships (org_id, user_id, role) values (p_org_id, p_user_id, p_role)
      on conflict on constraint memberships_pkey do update set role = excluded.role
      where public.memberships.role is distinct from excluded.role;
    end if;
  exception when raise_exception then
    -- The last owner (keep_one_owner): nothing changes and the event is not recorded, so a retry can apply it.
    return 'last_owner';
  end;
  insert into public.membership_versions (org_id, user_id, event_at, deleted) values (p_org_id, p_user_id, p_event_at, p_deleted)
  on conflict (org_id, user_id) do update set event_at = excluded.event_at, deleted = excluded.deleted;
  return 'applied';
end
$$;

-- IDN-3 again, now aware of Clerk's events: a token issued before the newest applied event for its membership neither
-- recreates a deleted membership nor restores an older role.
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
  insert into public.users (id, email) values (v_sub, v_email)
  on conflict (id) do update set email = coalesce(excluded.email, public.users.email);
  if v_org is null then
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

-- Embedded provider: an invited person without an account creates one, with the invited email, while the link is
-- live. Redeeming still happens in their own session afterwards.
create or replace function idp.create_invited_account(p_token_hash bytea, p_user_id text, p_display_name text, p_password_hash text)
returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_email text;
begin
  select i.email into v_email from public.org_invites i
   where i.token_hash = p_token_hash and i.revoked_at is null and i.redeemed_at is null and i.expires_at > now()
   for update;
  if v_email is null or exists (select 1 from public.users u where u.email = v_email) then
    return false;
  end if;
  insert into public.users (id, email, display_name) values (p_user_id, v_email, nullif(btrim(p_display_name), ''));
  insert into idp.credentials (user_id, password_hash) values (p_user_id, p_password_hash);
  return true;
end
$$;

revoke all on function private.caller_org_role() from public;
revoke all on function private.create_org_invite(text, text, bytea, text, timestamptz) from public;
revoke all on function private.revoke_org_invite(uuid) from public;
revoke all on function private.org_invite_preview(bytea) from public;
revoke all on function private.redeem_org_invite(bytea) from public;
revoke all on function private.change_member_role(text, text) from public;
revoke all on function private.remove_member(text) from public;
revoke all on function private.leave_org() from public;
revoke all on function private.apply_clerk_membership(text, text, text, boolean, timestamptz) from public;
revoke all on function idp.create_invited_account(bytea, text, text, text) from public;

grant execute on function private.caller_org_role() to authenticated;
grant execute on function private.create_org_invite(text, text, bytea, text, timestamptz) to authenticated;
grant execute on function private.revoke_org_invite(uuid) to authenticated;
grant execute on function private.org_invite_preview(bytea) to anon;
grant execute on function private.redeem_org_invite(bytea) to authenticated;
grant execute on function private.change_member_role(text, text) to authenticated;
grant execute on function private.remove_member(text) to authenticated;
grant execute on function private.leave_org() to authenticated;
grant execute on function private.apply_clerk_membership(text, text, text, boolean, timestamptz) to membership_events;
grant execute on function idp.create_invited_account(bytea, text, text, text) to embedded_idp;
