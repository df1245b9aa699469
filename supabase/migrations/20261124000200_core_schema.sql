-- Core tenant schema (TEN-1): organizations, users, memberships, projects, documents.
-- Every table has RLS ENABLED and FORCED; policies read the verified org claim through a sub-select
-- (`(select private.org_id())`) so it is evaluated once per statement; every org_id is first in an index.


create table public.organizations (
  id text primary key check (id ~ '^org_[A-Za-z0-9]{1,64}$'),
  name text not null check (length(name) between 1 and 100),
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  created_at timestamptz not null default now()
);

create table public.users (
  id text primary key check (id ~ '^user_[A-Za-z0-9]{1,64}$'),
  email text unique check (email is null or (length(email) <= 320 and email = lower(email))),
  display_name text check (display_name is null or length(display_name) <= 100),
  created_at timestamptz not null default now()
);

create table public.memberships (
  org_id text not null references public.organizations (id) on delete cascade,
  user_id text not null references public.users (id) on delete cascade,
  role text not null check (role in ('owner', 'admin', 'member')),
  created_at timestamptz not null default now(),
  primary key (org_id, user_id)
);
create index memberships_user_id_idx on public.memberships (user_id);

create table public.projects (
  id uuid primary key default gen_random_uuid(),
  org_id text not null references public.organizations (id) on delete cascade,
  name text not null check (length(btrim(name)) between 1 and 100),
  created_by text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (org_id, id)
);
create index projects_org_id_created_at_idx on public.projects (org_id, created_at desc);

create table public.documents (
  id uuid primary key default gen_random_uuid(),
  org_id text not null,
  project_id uuid not null,
  name text not null check (length(name) between 1 and 255),
  mime_type text not null check (length(mime_type) <= 255),
  size_bytes bigint not null check (size_bytes >= 0),
  created_by text not null,
  created_at timestamptz not null default now(),
  -- A document can only belong to a project of its own org: the composite key makes a cross-org link impossible.
  foreign key (org_id, project_id) references public.projects (org_id, id) on delete cascade
);
create index documents_org_id_project_id_idx on public.documents (org_id, project_id);

-- Grants: anon gets nothing; authenticated gets only the verbs its policies allow.
revoke all on public.organizations, public.users, public.memberships, public.projects, public.documents from anon, public;
grant select on public.organizations, public.users, public.memberships to authenticated;
grant select, insert, update, delete on public.projects to authenticated;
grant select, insert, update, delete on public.documents to authenticated;

alter table public.organizations enable row level security;
alter table public.organizations force row level security;
alter table public.users enable row level security;
alter table public.users force row level security;
alter table public.memberships enable row level security;
alter table public.memberships force row level security;
alter table public.projects enable row level security;
alter table public.projects force row level security;
alter table public.documents enable row level security;
alter table public.documents force row level security;

create policy organizations_select on public.organizations for select to authenticated
  using (id = (select private.org_id()));

create policy memberships_select on public.memberships for select to authenticated
  using (org_id = (select private.org_id()));

-- A user sees themself and the members of the org they are active in.
create policy users_select on public.users for select to authenticated
  using (
    id = (select private.subject())
    or exists (
      select 1 from public.memberships m
      where m.user_id = users.id and m.org_id = (select private.org_id())
    )
  );

create policy projects_select on public.projects for select to authenticated
  using (
    org_id = (select private.org_id())
    and ((select private.scoped_project_id()) is null or id = (select private.scoped_project_id()))
  );
create policy projects_insert on public.projects for insert to authenticated
  with check (
    org_id = (select private.org_id())
    and created_by = (select private.subject())
    and (select private.scoped_project_id()) is null
  );
create policy projects_update on public.projects for update to authenticated
  using (
    org_id = (select private.org_id())
    and ((select private.scoped_project_id()) is null or id = (select private.scoped_project_id()))
  )
  with check (org_id = (select private.org_id()));
-- TEN-3 in the database too: only owners and admins delete projects.
create policy projects_delete on public.projects for delete to authenticated
  using (org_id = (select private.org_id()) and (select private.is_org_admin()));

create policy documents_select on public.documents for select to authenticated
  using (
    org_id = (select private.org_id())
    and ((select private.scoped_project_id()) is null or project_id = (select private.scoped_project_id()))
  );
create policy documents_insert on public.documents for insert to authenticated
  with check (
    org_id = (select private.org_id())
    and created_by = (select private.subject())
    and ((select private.scoped_project_id()) is null or project_id = (select private.scoped_project_id()))
  );
create policy documents_update on public.documents for update to authenticated
  using (
    org_id = (select private.org_id())
    and ((select private.scoped_project_id()) is null or project_id = (select private.scoped_project_id()))
  )
  with check (org_id = (select private.org_id()));
create policy documents_delete on public.documents for delete to authenticated
  using (
    org_id = (select private.org_id())
    and ((select private.scoped_project_id()) is null or project_id = (select private.scoped_project_id()))
  );

-- IDN-3: just-in-time provisioning of the local user, org and membership from verified token claims.
-- SECURITY DEFINER because a first-time user has no rows yet to be allowed to write; it trusts only
-- auth.jwt(), which the app sets from a token whose signature it has verified.
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
begin
  if v_sub is null or v_sub !~ '^user_' then
    return;
  end if;
  insert into public.users (id, email) values (v_sub, v_email)
  on conflict (id) do update set email = coalesce(excluded.email, public.users.email);
  if v_org is null then
    return;
  end if;
  insert into public.organizations (id, name, slug)
  values (v_org, coalesce(v_slug, v_org), coalesce(v_slug, lower(replace(v_org, '_', '-'))))
  on conflict (id) do nothing;
  -- A role we do not know grants nothing (the app maps it to "no role" too): no membership is created, and an
  -- existing one is removed rather than left with rights the token no longer states.
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
revoke all on function private.provision_from_claims() from public;
grant execute on function private.provision_from_claims() to authenticated;

-- TEN-4: tells whether an id the caller cannot see belongs to another org, so the attempt can be recorded
-- as a security event. Returns only a boolean, never the other org's identity.
create or replace function private.project_exists_elsewhere(p_id uuid) returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.projects p
    where p.id = p_id and p.org_id is distinct from private.org_id()
  )
$$;
revoke all on function private.project_exists_elsewhere(uuid) from public;
grant execute on function private.project_exists_elsewhere(uuid) to authenticated;
