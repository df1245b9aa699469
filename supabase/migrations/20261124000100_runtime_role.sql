-- TEN-1: the login role the app connects as at run time.
-- It is not the owner of any table, has no BYPASSRLS, and NOINHERIT: it holds no privileges of its own and
-- can only switch (SET ROLE, inside each request's transaction) to `anon` or `authenticated`, where grants
-- and row-level security decide what it may do. On Supabase the equivalent is the built-in `authenticator`.
-- Set its password out of band in production: ALTER ROLE app_runtime PASSWORD '...'.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'app_runtime') then
    create role app_runtime login noinherit nosuperuser nocreatedb nocreaterole nobypassrls;
  end if;
end
$$;

grant anon, authenticated to app_runtime;

-- Helpers that policies call live in a schema the Supabase Data API does not expose.
create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to anon, authenticated;

-- The org the verified token is active in. Reads both Clerk token versions (v2 `o.id`, v1 `org_id`), the way
-- Supabase's Clerk integration does, in the same order as the app (lib/auth/claims.ts), which also refuses
-- tokens that carry both. A missing claim yields NULL, and `org_id = NULL` matches no row.
create or replace function private.org_id() returns text
language sql stable
set search_path = ''
as $$
  select coalesce(auth.jwt() -> 'o' ->> 'id', auth.jwt() ->> 'org_id')
$$;

-- The caller's role in that org, without Clerk's `org:` prefix (v1 `org:admin`, v2 `admin`).
create or replace function private.org_role() returns text
language sql stable
set search_path = ''
as $$
  select regexp_replace(coalesce(auth.jwt() -> 'o' ->> 'rol', auth.jwt() ->> 'org_role'), '^org:', '')
$$;

-- The verified subject (user id, or `key_<id>` for API keys).
create or replace function private.subject() returns text
language sql stable
set search_path = ''
as $$
  select auth.jwt() ->> 'sub'
$$;

-- TEN-6 seam: a credential scoped to one project carries its id; NULL means the whole org.
create or replace function private.scoped_project_id() returns uuid
language sql stable
set search_path = ''
as $$
  select nullif(auth.jwt() -> 'key' ->> 'project_id', '')::uuid
$$;

-- Roles allowed to manage the org (TEN-3).
create or replace function private.is_org_admin() returns boolean
language sql stable
set search_path = ''
as $$
  select coalesce(private.org_role() in ('owner', 'admin'), false)
$$;

grant execute on all functions in schema private to anon, authenticated;
