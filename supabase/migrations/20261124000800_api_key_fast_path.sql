-- KEY-2 / KEY-5: verifying a key without a database round trip of its own, and the key log without a write per
-- request.
--
-- The partner API caches what never changes about a key (its id, org, scope, permissions, allow-list) in
-- process, keyed by the key's hash (lib/api-keys/verify.ts). What can change — revocation, expiry, a rolled-away
-- secret's grace, deletion — is checked by private.assert_api_key_current below, inside the very transaction that
-- does the request's work, in the same round trip as BEGIN and the claims (lib/db). So a revocation still takes
-- effect on the very next request on every instance, and with no gap between "verified" and "used".
--
-- Successes and failures are buffered per instance and written in batches by private.record_key_uses, so
-- `last_used_at` and the verification log cost no write on the request path.

-- Raises 28000 (invalid_authorization_specification) unless the request's claims are exactly those of a current
-- key that the presented secret (its hash) still opens: same id, org, project scope, no permission the key lacks;
-- not revoked, not expired; the current secret, or the previous one within its grace. Runs as `authenticated`
-- after the claims are set; SECURITY DEFINER because key rows are invisible to API-key principals. Returns which
-- secret was presented: 'current', or 'previous' during a roll's grace (for the key's log).
create or replace function private.assert_api_key_current(p_hash text)
returns text
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_claims jsonb := auth.jwt();
  v_secret text;
begin
  if p_hash is null or p_hash !~ '^[0-9a-f]{64}$'
     or v_claims -> 'key' ->> 'id' is null
     or jsonb_typeof(v_claims -> 'key' -> 'permissions') is distinct from 'array'
     or v_claims ->> 'sub' is distinct from 'key_' || (v_claims -> 'key' ->> 'id')
     or (v_claims -> 'key' ->> 'id') !~ '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'
  then
    raise exception 'the API key is not current' using errcode = '28000';
  end if;
  select case when k.key_hash = p_hash then 'current' else 'previous' end into v_secret
    from public.api_keys k
   where k.id = (v_claims -> 'key' ->> 'id')::uuid
     and k.org_id = private.org_id()
     and k.project_id is not distinct from nullif(v_claims -> 'key' ->> 'project_id', '')::uuid
     and k.permissions @> array(select jsonb_array_elements_text(v_claims -> 'key' -> 'permissions'))
     and k.revoked_at is null
     and (k.expires_at is null or k.expires_at > now())
     and (k.key_hash = p_hash or (k.previous_key_hash = p_hash and k.previous_expires_at > now()));
  if v_secret is null then
    raise exception 'the API key is not current' using errcode = '28000';
  end if;
  return v_secret;
end
$$;
revoke all on function private.assert_api_key_current(text) from public;
grant execute on function private.assert_api_key_current(text) to authenticated;

-- Consecutive identical verifications of a key (same outcome, reason and IP) are one log entry: `repeats` counts
-- them and `at` is the latest. A busy partner costs one row per flush, not one per request, and the 200 entries
-- kept per key cover far more history.
alter table public.key_verifications
  add column repeats integer not null default 1 check (repeats between 1 and 100000000);

-- The batched verification log: an array of {key_id, at, outcome, reason, ip, repeats}, in the order they happened.
-- Entries of unknown (e.g. since deleted) keys are skipped; times in the future are clamped to now(). Trims the log
-- of each key in p_trim to its newest 200 entries (the app asks for each key at most once a minute per instance, so
-- trimming costs an index range scan per key per minute rather than per batch), and writes last_used_at at most
-- once a minute per key.
create or replace function private.record_key_uses(p_entries jsonb, p_trim uuid[])
returns void
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  if jsonb_typeof(p_entries) is distinct from 'array' or jsonb_array_length(p_entries) > 10000
     or cardinality(p_trim) > 10000 then
    raise exception 'at most 10000 entries and 10000 keys to trim' using errcode = 'invalid_parameter_value';
  end if;

  insert into public.key_verifications (org_id, key_id, at, outcome, reason, ip, repeats)
  select k.org_id, e.key_id, least(e.at, now()), e.outcome, left(e.reason, 40), left(e.ip, 64),
         least(greatest(coalesce(e.repeats, 1), 1), 100000000)
    from rows from (jsonb_to_recordset(p_entries) as (key_id uuid, at timestamptz, outcome text, reason text, ip text, repeats integer))
         with ordinality as e(key_id, at, outcome, reason, ip, repeats, n)
    join public.api_keys k on k.id = e.key_id
   where e.outcome in ('success', 'failure') and e.at is not null
   order by e.n;

  update public.api_keys k
     set last_used_at = u.at
    from (
      select e.key_id, least(max(e.at), now()) as at
        from jsonb_to_recordset(p_entries) as e(key_id uuid, at timestamptz, outcome text)
       where e.outcome = 'success' and e.at is not null
       group by e.key_id
    ) u
   where k.id = u.key_id
     and (k.last_used_at is null or k.last_used_at < u.at - interval '60 seconds');

  delete from public.key_verifications v
   using (select distinct t.key_id from unnest(p_trim) as t(key_id)) d
   where v.key_id = d.key_id
     and v.id <= (
       select o.id from public.key_verifications o
        where o.key_id = d.key_id
        order by o.id desc
        offset 200 limit 1
     );
end
$$;
revoke all on function private.record_key_uses(jsonb, uuid[]) from public;
grant execute on function private.record_key_uses(jsonb, uuid[]) to anon;

-- Replaced by the batch above: one fewer function that writes on behalf of unauthenticated callers.
drop function private.record_key_use(uuid, text, text, text);
