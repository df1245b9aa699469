-- Supabase compatibility shim (TEN-1, TEN-2).
-- On Supabase the `auth` schema, `auth.jwt()` and the roles `anon` / `authenticated` already exist and this
-- migration changes nothing. Elsewhere (PostgreSQL, PGlite) it creates them with Supabase's definitions, so
-- policies written against `auth.jwt()` behave identically on every engine.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
end
$$;

create schema if not exists auth;
grant usage on schema auth to anon, authenticated;

do $$
begin
  if not exists (
    select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'auth' and p.proname = 'jwt'
  ) then
    -- Supabase's definition: the verified claims the request set with set_config('request.jwt.claims', ..., true).
    execute $fn$
      create function auth.jwt() returns jsonb
      language sql stable
      as $body$
        select coalesce(
          nullif(current_setting('request.jwt.claim', true), ''),
          nullif(current_setting('request.jwt.claims', true), '')
        )::jsonb
      $body$
    $fn$;
    execute 'grant execute on function auth.jwt() to anon, authenticated';
  end if;
end
$$;
