-- KEY-2 / TEN-1: the batched API-key verification log is written by a role of its own, no longer by `anon`.
--
-- private.record_key_uses (SECURITY DEFINER) inserts log entries for any key id and moves last_used_at. Granted to
-- `anon`, any session that could run SQL as `anon` (on Supabase: the public anon key, should the private schema
-- ever be exposed to the Data API) could forge a key's history. The app writes the log only after verifying keys,
-- so it now switches to `key_log_writer` for that one statement, the same way it switches to `anon` or
-- `authenticated` for requests: NOLOGIN, NOINHERIT, no BYPASSRLS, owns nothing, may only execute this function.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'key_log_writer') then
    create role key_log_writer nologin noinherit nosuperuser nocreatedb nocreaterole nobypassrls;
  end if;
end
$$;

grant key_log_writer to app_runtime;
grant usage on schema private to key_log_writer;

revoke all on function private.record_key_uses(jsonb, uuid[]) from public, anon, authenticated;
grant execute on function private.record_key_uses(jsonb, uuid[]) to key_log_writer;
