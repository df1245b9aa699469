-- IDN-2 / IDN-4: storage for the embedded identity provider (development, tests, offline demos).
-- Password hashes are argon2id. Sessions are listed and revoked by their own user; sign-in reads
-- credentials only through a SECURITY DEFINER function, never through table grants.

create schema if not exists idp;
revoke all on schema idp from public;
grant usage on schema idp to anon, authenticated;

create table idp.credentials (
  user_id text primary key references public.users (id) on delete cascade,
  password_hash text not null check (password_hash like '$argon2id$%'),
  updated_at timestamptz not null default now()
);

create table idp.sessions (
  id text primary key check (id ~ '^sess_[A-Za-z0-9]{16,64}$'),
  user_id text not null references public.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  ip text,
  user_agent text check (user_agent is null or length(user_agent) <= 512)
);
create index sessions_user_id_idx on idp.sessions (user_id);

revoke all on idp.credentials, idp.sessions from anon, authenticated, public;
grant select on idp.sessions to authenticated;
grant update (revoked_at) on idp.sessions to authenticated;

alter table idp.credentials enable row level security;
alter table idp.credentials force row level security;
alter table idp.sessions enable row level security;
alter table idp.sessions force row level security;

-- No role reads credentials directly; the explicit policy documents that (TEN-5 wants a policy on every table).
create policy credentials_no_direct_access on idp.credentials for all to authenticated
  using (false) with check (false);

create policy sessions_select_own on idp.sessions for select to authenticated
  using (user_id = (select private.subject()));
create policy sessions_revoke_own on idp.sessions for update to authenticated
  using (user_id = (select private.subject()))
  with check (user_id = (select private.subject()));

-- Sign-in: the user id and password hash for an email, for the app to verify with argon2id.
create or replace function idp.credentials_for_email(p_email text)
returns table (user_id text, password_hash text)
language sql stable security definer
set search_path = ''
as $$
  select c.user_id, c.password_hash
  from public.users u join idp.credentials c on c.user_id = u.id
  where u.email = lower(p_email)
$$;

-- The organisations a user may activate, for sign-in and the org switcher.
create or replace function idp.user_organizations(p_user_id text)
returns table (org_id text, role text, slug text, name text)
language sql stable security definer
set search_path = ''
as $$
  select m.org_id, m.role, o.slug, o.name
  from public.memberships m join public.organizations o on o.id = m.org_id
  where m.user_id = p_user_id
  order by o.name
$$;

create or replace function idp.start_session(p_session_id text, p_user_id text, p_expires_at timestamptz, p_ip text, p_user_agent text)
returns void
language sql volatile security definer
set search_path = ''
as $$
  insert into idp.sessions (id, user_id, expires_at, ip, user_agent)
  values (p_session_id, p_user_id, p_expires_at, p_ip, left(p_user_agent, 512))
$$;

-- True while a session has been neither revoked nor expired and, when the token names an org, the user is
-- still a member with the role the token claims. Checked on every request, so revoking a session, removing
-- a member or changing a role takes effect at once even though the signed token lives longer.
create or replace function idp.session_is_current(p_session_id text, p_user_id text, p_org_id text, p_role text)
returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (
    select 1 from idp.sessions s
    where s.id = p_session_id and s.user_id = p_user_id and s.revoked_at is null and s.expires_at > now()
  )
  and (
    p_org_id is null
    or exists (
      select 1 from public.memberships m
      where m.org_id = p_org_id and m.user_id = p_user_id and m.role = p_role
    )
  )
$$;

revoke all on all functions in schema idp from public;
grant execute on function idp.credentials_for_email(text) to anon;
grant execute on function idp.user_organizations(text) to anon, authenticated;
grant execute on function idp.start_session(text, text, timestamptz, text, text) to anon;
grant execute on function idp.session_is_current(text, text, text, text) to anon, authenticated;
