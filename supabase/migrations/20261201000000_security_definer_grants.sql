-- TEN-1 / IDN-2 / KEY-5: who may execute a SECURITY DEFINER function.
--
-- Such a function runs with its owner's rights, so whoever may EXECUTE it may read what it returns, whatever the
-- grants and policies on the tables say. PostgreSQL grants EXECUTE on every new function to PUBLIC, and `anon` is
-- also what Supabase's public anon key runs as: should a schema holding these functions ever be exposed to the Data
-- API by mistake, `idp.credentials_for_email` would hand out password hashes to anyone, and `idp.user_organizations`
-- any user's organisations. So each function is executable only by the one role that calls it:
--
--   embedded_idp    the embedded identity provider (lib/auth/embedded): credentials by email, a user's orgs, a new
--                   session. NOLOGIN; the app switches to it for those statements only (lib/db withEmbeddedIdp).
--   key_verifier    the partner API's lookup of a presented key by the hash of its secret (lib/api-keys/verify.ts).
--   key_log_writer  the batched key verification log (20261124001100_key_log_writer.sql).
--   authenticated   the checks that run inside a request's tenant transaction, against its own verified claims
--                   (session still current, JIT provisioning, audit chain head, API key still current, the
--                   cross-tenant probe, which answers one boolean for an id the caller names).
--   anon            only the CSP report sink, which writes a bounded sample and returns nothing (the endpoint it
--                   serves takes reports from anyone anyway).
--
-- Like key_log_writer, the new roles are NOLOGIN, NOINHERIT, no BYPASSRLS, own nothing, and hold nothing but
-- USAGE on the function's schema and EXECUTE on their functions. Runs unchanged on Supabase: the migration role
-- creates roles there too, and only functions that role owns are touched.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'embedded_idp') then
    create role embedded_idp nologin noinherit nosuperuser nocreatedb nocreaterole nobypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'key_verifier') then
    create role key_verifier nologin noinherit nosuperuser nocreatedb nocreaterole nobypassrls;
  end if;
end
$$;

grant embedded_idp, key_verifier to app_runtime;
grant usage on schema idp to embedded_idp;
grant usage on schema private to key_verifier;

-- Functions created from now on by this role (every later migration) are executable by nobody but their owner until
-- a migration grants it. (Per-schema default privileges can only add to the global ones, so this is global.)
alter default privileges revoke execute on functions from public;

-- Every SECURITY DEFINER function the app's migrations created: PUBLIC loses EXECUTE.
do $$
declare
  f regprocedure;
begin
  for f in
    select p.oid::regprocedure
      from pg_catalog.pg_proc p
      join pg_catalog.pg_namespace n on n.oid = p.pronamespace
     where p.prosecdef
       and n.nspname in ('public', 'private', 'idp')
       and p.proowner = (select r.oid from pg_catalog.pg_roles r where r.rolname = current_user)
  loop
    execute format('revoke all on function %s from public', f);
  end loop;
end
$$;

-- The embedded identity provider's functions: embedded_idp only.
revoke all on function idp.credentials_for_email(text) from public, anon, authenticated;
grant execute on function idp.credentials_for_email(text) to embedded_idp;
revoke all on function idp.user_organizations(text) from public, anon, authenticated;
grant execute on function idp.user_organizations(text) to embedded_idp;
revoke all on function idp.start_session(text, text, timestamptz, text, text) from public, anon, authenticated;
grant execute on function idp.start_session(text, text, timestamptz, text, text) to embedded_idp;

-- Called in the request's tenant transaction (lib/auth/session.ts), never before sign-in.
revoke all on function idp.session_is_current(text, text, text, text) from public, anon;

-- The key lookup by hash: key_verifier only.
revoke all on function private.verify_api_key(text) from public, anon, authenticated;
grant execute on function private.verify_api_key(text) to key_verifier;
