-- TEN-7: who may see and change which project. Four inputs decide a caller's level on a project
-- (0 none, 1 read, 2 write, 3 manage):
--   * org owners and admins: 3 on every project of the org;
--   * org members: the org's base permission (none 0, read 1, write 2; default read), raised per project by a live
--     grant (viewer 1, editor 2, manager 3); the member who created a project manages it (3);
--   * guests (membership role `guest`: people invited to projects who are not members of the org): only their live
--     grants; no base permission, nothing at org level (member list, keys, audit log, billing, webhooks);
--   * API keys (TEN-6): unchanged; their own policies limit them to their project and their permissions.
-- A grant is live while expires_at is null or in the future: the helpers compare it with now(), so a grant stops
-- working at its expiry with no job to run.
--
-- Policies are RESTRICTIVE additions to the org policies already in place (org_id = the claims' org), so the org
-- boundary is unchanged and every new condition can only narrow. Each reads the caller's level through two
-- SECURITY DEFINER helpers evaluated once per statement as InitPlans (claims in sub-selects): the caller's org-wide
-- floor, and the array of project ids a live grant (or authorship) raises to a given level. No function runs per row.
-- Every grant and link write goes through a SECURITY DEFINER function below that re-reads the caller's level from
-- the tables; request roles have no INSERT/UPDATE/DELETE on these tables.

-- ---- schema ---------------------------------------------------------------------------------------------------

alter table public.organizations
  add column base_permission text not null default 'read' check (base_permission in ('none', 'read', 'write'));

alter table public.memberships drop constraint memberships_role_check;
alter table public.memberships add constraint memberships_role_check check (role in ('owner', 'admin', 'member', 'guest'));

-- The grant array reads a member's own projects through this index.
create index projects_org_id_created_by_idx on public.projects (org_id, created_by);

create table public.project_grants (
  org_id text not null,
  project_id uuid not null,
  user_id text not null references public.users (id) on delete cascade,
  role text not null check (role in ('viewer', 'editor', 'manager')),
  expires_at timestamptz,
  created_by text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (project_id, user_id),
  foreign key (org_id, project_id) references public.projects (org_id, id) on delete cascade
);
-- The helper's lookup: one index range per caller, covering every column it reads.
create index project_grants_user_id_org_id_idx on public.project_grants (user_id, org_id) include (project_id, role, expires_at);
create index project_grants_org_id_project_id_idx on public.project_grants (org_id, project_id);

create table public.project_invite_links (
  id uuid primary key default gen_random_uuid(),
  org_id text not null,
  project_id uuid not null,
  -- Links grant viewer or editor: managing a project's sharing is given by name, to org members only.
  role text not null check (role in ('viewer', 'editor')),
  -- SHA-256 of the 256-bit token in the link; the token itself is shown once and never stored.
  token_hash bytea not null unique check (length(token_hash) = 32),
  max_uses integer not null check (max_uses between 1 and 1000),
  uses integer not null default 0 check (uses >= 0 and uses <= max_uses),
  created_by text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  revoked_by text,
  check (expires_at > created_at),
  foreign key (org_id, project_id) references public.projects (org_id, id) on delete cascade
);
create index project_invite_links_org_id_project_id_idx on public.project_invite_links (org_id, project_id, created_at desc);

-- Who redeemed which link: a second redemption by the same person neither uses the link up nor duplicates a grant.
create table public.project_invite_redemptions (
  link_id uuid not null references public.project_invite_links (id) on delete cascade,
  user_id text not null references public.users (id) on delete cascade,
  org_id text not null,
  redeemed_at timestamptz not null default now(),
  primary key (link_id, user_id)
);
create index project_invite_redemptions_org_id_idx on public.project_invite_redemptions (org_id, redeemed_at desc);

revoke all on public.project_grants, public.project_invite_links, public.project_invite_redemptions from anon, authenticated, public;
grant select on public.project_grants, public.project_invite_links to authenticated;

alter table public.project_grants enable row level security;
alter table public.project_grants force row level security;
alter table public.project_invite_links enable row level security;
alter table public.project_invite_links force row level security;
alter table public.project_invite_redemptions enable row level security;
alter table public.project_invite_redemptions force row level security;

-- ---- helpers --------------------------------------------------------------------------------------------------

create or replace function private.grant_level(p_role text) returns integer
language plpgsql immutable
set search_path = ''
as $$
begin
  return case p_role when 'manager' then 3 when 'editor' then 2 when 'viewer' then 1 else 0 end;
end
$$;
revoke all on function private.grant_level(text) from public;

-- The caller's level on every project of its org, before grants: 3 owner/admin, the base permission for a member,
-- 2 for an API key (TEN-6: its own policies narrow it), 0 for a guest or any other principal.
create or replace function private.project_floor() returns integer
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_role text := private.org_role();
  v_base text;
begin
  if private.is_api_key() then
    return 2;
  end if;
  if private.subject() is null or private.subject() !~ '^user_' then
    return 0;
  end if;
  if v_role in ('owner', 'admin') then
    return 3;
  end if;
  if v_role = 'member' then
    select o.base_permission into v_base from public.organizations o where o.id = private.org_id();
    return case v_base when 'write' then 2 when 'read' then 1 else 0 end;
  end if;
  return 0;
end
$$;

-- The projects of the caller's org that a live grant of at least p_min raises it to, plus, for a member, the
-- projects it created (it manages them). Expired grants are not in it: expires_at is compared with now() here.
create or replace function private.granted_project_ids(p_min integer) returns uuid[]
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_user text := private.subject();
  v_org text := private.org_id();
  v_role text := private.org_role();
  v_ids uuid[];
begin
  if v_user is null or v_user !~ '^user_' or v_org is null or v_role not in ('member', 'guest') then
    return '{}'::uuid[];
  end if;
  select coalesce(array_agg(s.id), '{}'::uuid[]) into v_ids from (
    select g.project_id as id from public.project_grants g
     where g.user_id = v_user and g.org_id = v_org
       and private.grant_level(g.role) >= p_min
       and (g.expires_at is null or g.expires_at > now())
    union
    select p.id from public.projects p
     where v_role = 'member' and p.org_id = v_org and p.created_by = v_user
  ) s;
  return v_ids;
end
$$;

-- The caller's level on one project (0 when the project is not in its org): what the grant functions check.
create or replace function private.project_level(p_project_id uuid) returns integer
language plpgsql stable security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from public.projects p where p.id = p_project_id and p.org_id = private.org_id()) then
    return 0;
  end if;
  if private.is_api_key() then
    return 0;
  end if;
  if p_project_id = any (private.granted_project_ids(3)) then return 3; end if;
  return greatest(private.project_floor(),
                  case when p_project_id = any (private.granted_project_ids(2)) then 2
                       when p_project_id = any (private.granted_project_ids(1)) then 1 else 0 end);
end
$$;

-- ---- policies on projects and project-scoped tables ----------------------------------------------------------

create policy projects_grants_select on public.projects as restrictive for select to authenticated
  using ((select private.project_floor()) >= 1 or id = any ((select private.granted_project_ids(1))::uuid[]));
create policy projects_grants_update on public.projects as restrictive for update to authenticated
  using ((select private.project_floor()) >= 2 or id = any ((select private.granted_project_ids(2))::uuid[]))
  with check ((select private.project_floor()) >= 2 or id = any ((select private.granted_project_ids(2))::uuid[]));
-- Guests never create projects; members, admins, owners and keys do as before.
create policy projects_grants_insert on public.projects as restrictive for insert to authenticated
  with check ((select private.org_role()) in ('owner', 'admin', 'member', 'api'));

create policy documents_grants_select on public.documents as restrictive for select to authenticated
  using ((select private.project_floor()) >= 1 or project_id = any ((select private.granted_project_ids(1))::uuid[]));
create policy documents_grants_insert on public.documents as restrictive for insert to authenticated
  with check ((select private.project_floor()) >= 2 or project_id = any ((select private.granted_project_ids(2))::uuid[]));
create policy documents_grants_update on public.documents as restrictive for update to authenticated
  using ((select private.project_floor()) >= 2 or project_id = any ((select private.granted_project_ids(2))::uuid[]))
  with check ((select private.project_floor()) >= 2 or project_id = any ((select private.granted_project_ids(2))::uuid[]));
create policy documents_grants_delete on public.documents as restrictive for delete to authenticated
  using ((select private.project_floor()) >= 2 or project_id = any ((select private.granted_project_ids(2))::uuid[]));

create policy videos_grants_select on public.videos as restrictive for select to authenticated
  using ((select private.project_floor()) >= 1 or project_id = any ((select private.granted_project_ids(1))::uuid[]));
create policy videos_grants_insert on public.videos as restrictive for insert to authenticated
  with check ((select private.project_floor()) >= 2 or project_id = any ((select private.granted_project_ids(2))::uuid[]));

-- Guests see nothing at org level: of the member list only their own membership, of users only themselves, and no
-- provider records. (API keys, audit log, billing, invites, webhook log are owner/admin-only already.)
create policy memberships_no_guests on public.memberships as restrictive for select to authenticated
  using ((select private.org_role()) is distinct from 'guest' or user_id = (select private.subject()));
create policy users_no_guests on public.users as restrictive for select to authenticated
  using ((select private.org_role()) is distinct from 'guest' or id = (select private.subject()));
create policy provider_objects_no_guests on public.provider_objects as restrictive for select to authenticated
  using ((select private.org_role()) is distinct from 'guest');

-- Grants of a project: its managers and the org's owners and admins; each person also sees their own grants.
create policy project_grants_select on public.project_grants for select to authenticated
  using (
    org_id = (select private.org_id())
    and (user_id = (select private.subject())
         or (select private.is_org_admin())
         or project_id = any ((select private.granted_project_ids(3))::uuid[]))
  );
create policy project_invite_links_select on public.project_invite_links for select to authenticated
  using (
    org_id = (select private.org_id())
    and ((select private.is_org_admin()) or project_id = any ((select private.granted_project_ids(3))::uuid[]))
  );
-- Written and read only by the SECURITY DEFINER functions below.
create policy project_invite_redemptions_no_direct_access on public.project_invite_redemptions for all to authenticated
  using (false) with check (false);

-- ---- writes: grants ------------------------------------------------------------------------------------------

-- Set (create or change) a person's grant on a project, by email. The caller manages the project (level 3). The
-- person must already be in the org, as a member or a guest: the lookup never looks outside it, so a manager cannot
-- learn whether an email has an account elsewhere on the deployment (people outside the org come in through an
-- invite link). Owners and admins need no grant (refused, so the list never shows meaningless rows); guests can be
-- viewers or editors only.
create or replace function private.set_project_grant(p_project_id uuid, p_email text, p_role text, p_expires_at timestamptz)
returns table (user_id text, previous_role text, previous_expires_at timestamptz)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_org text := private.org_id();
  v_actor text := private.subject();
  v_user text;
  v_member_role text;
  v_prev public.project_grants%rowtype;
begin
  if v_actor is null or v_actor !~ '^user_' or private.project_level(p_project_id) < 3 then
    return;
  end if;
  if private.grant_level(p_role) = 0 then
    raise exception 'unknown project role' using errcode = '22023';
  end if;
  if p_expires_at is not null and (p_expires_at <= now() or p_expires_at > now() + interval '366 days') then
    raise exception 'grant expiry out of range' using errcode = '22023', hint = 'expiry';
  end if;
  select u.id, m.role into v_user, v_member_role
    from public.users u join public.memberships m on m.user_id = u.id and m.org_id = v_org
   where u.email = lower(p_email);
  if v_user is null then
    raise exception 'nobody in the organisation has that email' using errcode = 'P0002', hint = 'not_in_org';
  end if;
  if v_member_role in ('owner', 'admin') then
    raise exception 'owners and admins have every project already' using errcode = '22023', hint = 'org_admin';
  end if;
  if v_member_role = 'guest' and p_role = 'manager' then
    raise exception 'guests can be viewers or editors' using errcode = '22023', hint = 'guest_manager';
  end if;
  select * into v_prev from public.project_grants g where g.project_id = p_project_id and g.user_id = v_user for update;
  insert into public.project_grants (org_id, project_id, user_id, role, expires_at, created_by)
  values (v_org, p_project_id, v_user, p_role, p_expires_at, v_actor)
  on conflict on constraint project_grants_pkey do update
    set role = excluded.role, expires_at = excluded.expires_at, updated_at = now();
  return query select v_user, v_prev.role, v_prev.expires_at;
end
$$;

-- Revoke a grant. A guest left with no grant in the org leaves it (the membership goes too).
create or replace function private.revoke_project_grant(p_project_id uuid, p_user_id text)
returns table (previous_role text, guest_removed boolean)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_org text := private.org_id();
  v_role text;
  v_removed boolean := false;
begin
  if private.subject() !~ '^user_' or private.project_level(p_project_id) < 3 then
    return;
  end if;
  delete from public.project_grants g where g.project_id = p_project_id and g.user_id = p_user_id and g.org_id = v_org
  returning g.role into v_role;
  if v_role is null then
    return;
  end if;
  if not exists (select 1 from public.project_grants g where g.org_id = v_org and g.user_id = p_user_id) then
    delete from public.memberships m where m.org_id = v_org and m.user_id = p_user_id and m.role = 'guest';
    v_removed := found;
  end if;
  return query select v_role, v_removed;
end
$$;

-- A member removed from the org (or who leaves) keeps no grant in it.
create or replace function private.drop_grants_of_former_member() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  delete from public.project_grants g where g.org_id = old.org_id and g.user_id = old.user_id;
  return null;
end
$$;
revoke all on function private.drop_grants_of_former_member() from public;
create trigger memberships_drop_grants after delete on public.memberships
  for each row execute function private.drop_grants_of_former_member();

-- Owners and admins set the org's base permission for members.
create or replace function private.set_base_permission(p_permission text)
returns text
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_prev text;
begin
  if private.subject() !~ '^user_' or private.caller_org_role() is null or private.caller_org_role() not in ('owner', 'admin') then
    raise exception 'only owners and admins set the base permission' using errcode = '42501';
  end if;
  if p_permission not in ('none', 'read', 'write') then
    raise exception 'unknown base permission' using errcode = '22023';
  end if;
  select o.base_permission into v_prev from public.organizations o where o.id = private.org_id() for update;
  update public.organizations o set base_permission = p_permission where o.id = private.org_id();
  return v_prev;
end
$$;

-- ---- writes: invite links ------------------------------------------------------------------------------------

create or replace function private.create_project_link(p_project_id uuid, p_role text, p_token_hash bytea, p_expires_at timestamptz, p_max_uses integer)
returns uuid
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_id uuid;
begin
  if private.subject() !~ '^user_' or private.project_level(p_project_id) < 3 then
    return null;
  end if;
  if p_role not in ('viewer', 'editor') then
    raise exception 'links grant viewer or editor' using errcode = '22023';
  end if;
  if p_expires_at <= now() or p_expires_at > now() + interval '30 days' then
    raise exception 'link expiry out of range' using errcode = '22023', hint = 'expiry';
  end if;
  insert into public.project_invite_links (org_id, project_id, role, token_hash, max_uses, created_by, expires_at)
  values (private.org_id(), p_project_id, p_role, p_token_hash, p_max_uses, private.subject(), p_expires_at)
  returning id into v_id;
  return v_id;
end
$$;

create or replace function private.revoke_project_link(p_id uuid)
returns table (project_id uuid, role text)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_project uuid;
begin
  select l.project_id into v_project from public.project_invite_links l where l.id = p_id and l.org_id = private.org_id();
  if v_project is null or private.subject() !~ '^user_' or private.project_level(v_project) < 3 then
    return;
  end if;
  return query
    update public.project_invite_links l set revoked_at = now(), revoked_by = private.subject()
     where l.id = p_id and l.revoked_at is null
    returning l.project_id, l.role;
end
$$;

-- What the link page shows to whoever holds it (signed in or not).
create or replace function private.project_link_preview(p_token_hash bytea)
returns table (status text, org_id text, org_name text, project_id uuid, project_name text, role text, expires_at timestamptz)
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
    select case
             when l.revoked_at is not null then 'revoked'
             when l.uses >= l.max_uses then 'used'
             when l.expires_at <= now() then 'expired'
             else 'valid'
           end,
           l.org_id, o.name, l.project_id, p.name, l.role, l.expires_at
      from public.project_invite_links l
      join public.organizations o on o.id = l.org_id
      join public.projects p on p.id = l.project_id
     where l.token_hash = p_token_hash;
end
$$;

-- Redeem as the signed-in user (any or no active org). The link must be for p_project_id (the project named in the
-- URL). The conditional UPDATE takes the row lock, so of concurrent redemptions of the last use exactly one wins.
-- A person who redeemed the link before gets 'already' without using it again; a grant is never lowered.
create or replace function private.redeem_project_link(p_token_hash bytea, p_project_id uuid)
returns table (outcome text, org_id text, project_id uuid, role text, link_id uuid)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_user text := private.subject();
  v_link public.project_invite_links%rowtype;
  v_member_role text;
begin
  if v_user is null or v_user !~ '^user_' or not exists (select 1 from public.users u where u.id = v_user) then
    return query select 'invalid'::text, null::text, null::uuid, null::text, null::uuid;
    return;
  end if;
  select * into v_link from public.project_invite_links l where l.token_hash = p_token_hash for update;
  if v_link.id is null then
    return query select 'invalid'::text, null::text, null::uuid, null::text, null::uuid;
    return;
  end if;
  if v_link.project_id is distinct from p_project_id then
    return query select 'wrong_project'::text, null::text, null::uuid, null::text, null::uuid;
    return;
  end if;
  if exists (select 1 from public.project_invite_redemptions r where r.link_id = v_link.id and r.user_id = v_user) then
    return query select 'already'::text, v_link.org_id, v_link.project_id, v_link.role, v_link.id;
    return;
  end if;
  if v_link.revoked_at is not null or v_link.expires_at <= now() or v_link.uses >= v_link.max_uses then
    return query select case when v_link.revoked_at is not null then 'revoked'
                             when v_link.uses >= v_link.max_uses then 'used' else 'expired' end,
                        null::text, null::uuid, null::text, null::uuid;
    return;
  end if;
  select m.role into v_member_role from public.memberships m where m.org_id = v_link.org_id and m.user_id = v_user;
  update public.project_invite_links l set uses = l.uses + 1 where l.id = v_link.id;
  insert into public.project_invite_redemptions (link_id, user_id, org_id) values (v_link.id, v_user, v_link.org_id);
  if v_member_role in ('owner', 'admin') then
    return query select 'already'::text, v_link.org_id, v_link.project_id, v_link.role, v_link.id;
    return;
  end if;
  if v_member_role is null then
    insert into public.memberships (org_id, user_id, role) values (v_link.org_id, v_user, 'guest');
  end if;
  insert into public.project_grants (org_id, project_id, user_id, role, expires_at, created_by)
  values (v_link.org_id, v_link.project_id, v_user, v_link.role, null, 'link:' || v_link.id::text)
  on conflict on constraint project_grants_pkey do update
    set role = case when private.grant_level(excluded.role) > private.grant_level(public.project_grants.role)
                    then excluded.role else public.project_grants.role end,
        -- A live link makes an expiring grant of the same person lasting only when it raises the role.
        expires_at = case when private.grant_level(excluded.role) > private.grant_level(public.project_grants.role)
                          then null else public.project_grants.expires_at end,
        updated_at = now();
  return query select 'granted'::text, v_link.org_id, v_link.project_id, v_link.role, v_link.id;
end
$$;

-- Embedded provider: someone holding a live link and no account creates one (then signs in and redeems).
create or replace function idp.create_link_account(p_token_hash bytea, p_user_id text, p_email text, p_display_name text, p_password_hash text)
returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  if not exists (
    select 1 from public.project_invite_links l
     where l.token_hash = p_token_hash and l.revoked_at is null and l.expires_at > now() and l.uses < l.max_uses
  ) or exists (select 1 from public.users u where u.email = lower(p_email)) then
    return false;
  end if;
  insert into public.users (id, email, display_name) values (p_user_id, lower(p_email), nullif(btrim(p_display_name), ''));
  insert into idp.credentials (user_id, password_hash) values (p_user_id, p_password_hash);
  return true;
end
$$;

-- TEN-7 live check (owner only): rows of project-scoped tables that the policy helper would let through only by an
-- expired grant. Must be 0 by construction; the check runs the helper itself under each expired grant's claims.
create or replace function private.expired_grants_effective() returns integer
language plpgsql volatile
set search_path = ''
as $$
declare
  v_count integer := 0;
  g record;
begin
  for g in
    select pg.org_id, pg.user_id, pg.project_id, m.role
      from public.project_grants pg join public.memberships m on m.org_id = pg.org_id and m.user_id = pg.user_id
     where pg.expires_at is not null and pg.expires_at <= now()
     limit 200
  loop
    perform pg_catalog.set_config('request.jwt.claims',
      pg_catalog.json_build_object('sub', g.user_id, 'o', pg_catalog.json_build_object('id', g.org_id, 'rol', g.role))::text, true);
    if g.project_id = any (private.granted_project_ids(1)) and not exists (
      select 1 from public.projects p where p.id = g.project_id and p.created_by = g.user_id and g.role = 'member')
    then
      v_count := v_count + 1;
    end if;
  end loop;
  perform pg_catalog.set_config('request.jwt.claims', '', true);
  return v_count;
end
$$;

revoke all on function private.project_floor() from public;
revoke all on function private.granted_project_ids(integer) from public;
revoke all on function private.project_level(uuid) from public;
revoke all on function private.set_project_grant(uuid, text, text, timestamptz) from public;
revoke all on function private.revoke_project_grant(uuid, text) from public;
revoke all on function private.set_base_permission(text) from public;
revoke all on function private.create_project_link(uuid, text, bytea, timestamptz, integer) from public;
revoke all on function private.revoke_project_link(uuid) from public;
revoke all on function private.project_link_preview(bytea) from public;
revoke all on function private.redeem_project_link(bytea, uuid) from public;
revoke all on function idp.create_link_account(bytea, text, text, text, text) from public;
revoke all on function private.expired_grants_effective() from public;

grant execute on function private.project_floor() to authenticated;
grant execute on function private.granted_project_ids(integer) to authenticated;
grant execute on function private.project_level(uuid) to authenticated;
grant execute on function private.set_project_grant(uuid, text, text, timestamptz) to authenticated;
grant execute on function private.revoke_project_grant(uuid, text) to authenticated;
grant execute on function private.set_base_permission(text) to authenticated;
grant execute on function private.create_project_link(uuid, text, bytea, timestamptz, integer) to authenticated;
grant execute on function private.revoke_project_link(uuid) to authenticated;
grant execute on function private.project_link_preview(bytea) to anon, authenticated;
grant execute on function private.redeem_project_link(bytea, uuid) to authenticated;
grant execute on function idp.create_link_account(bytea, text, text, text, text) to embedded_idp;
