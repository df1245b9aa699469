-- AUD-5: signed checkpoints of each org's audit chain head, and the threshold counters of repeated security events.
--
-- A checkpoint is (org, seq, hash, signed_at) signed with Ed25519 by the app (lib/audit/checkpoints.ts) under
-- AUDIT_SIGNING_KEY, a key the database never holds: the row stores the key id and the signature only. Rows are
-- append-only like the log itself. They are also written to an external sink (a directory or a bucket) and into
-- every export, so rewriting a chain together with its stored checkpoints is still detected by a verifier that
-- holds the public key (scripts/verify-audit-chain.ts --file ... --public-key ...).

create table public.audit_checkpoints (
  id bigint generated always as identity primary key,
  org_id text not null,
  seq bigint not null check (seq >= 1),
  hash text not null check (hash ~ '^[0-9a-f]{64}$'),
  signed_at timestamptz not null,
  -- AUD-4: 'retention-cut' marks the last entry removed by retention; the remaining chain starts after it.
  purpose text not null default 'head' check (purpose in ('head', 'retention-cut')),
  key_id text not null check (key_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
  signature text not null check (signature ~ '^[A-Za-z0-9_-]{80,100}$'),
  created_at timestamptz not null default now(),
  unique (org_id, seq, purpose)
);

revoke all on public.audit_checkpoints from anon, public;
grant select, insert on public.audit_checkpoints to authenticated;
alter table public.audit_checkpoints enable row level security;
alter table public.audit_checkpoints force row level security;

-- Admins read their org's checkpoints and sign one on demand (the app signs; the database only stores).
create policy audit_checkpoints_select on public.audit_checkpoints for select to authenticated
  using (org_id = (select private.org_id()) and (select private.is_org_admin()));
create policy audit_checkpoints_insert on public.audit_checkpoints for insert to authenticated
  with check (org_id = (select private.org_id()) and (select private.is_org_admin()));

create trigger audit_checkpoints_append_only
  before update or delete on public.audit_checkpoints
  for each row execute function private.reject_audit_change();
create trigger audit_checkpoints_no_truncate
  before truncate on public.audit_checkpoints
  for each statement execute function private.reject_audit_change();

-- The scheduled task `audit.checkpoint`: heads of the chains that grew since their latest checkpoint, each confirmed
-- against the entry it names (a head whose entry does not match is not offered for signing).
create or replace function private.audit_heads_to_checkpoint(p_lease uuid, p_limit int)
returns table (org_id text, seq bigint, hash text)
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  perform private.assert_schedule_lease('audit.checkpoint', p_lease);
  if p_limit is null or p_limit < 1 or p_limit > 10000 then
    raise exception 'audit_heads_to_checkpoint: limit 1..10000' using errcode = '22023';
  end if;
  return query
    select h.org_id, h.seq, h.hash
      from private.audit_heads h
      join public.audit_logs l on l.org_id = h.org_id and l.seq = h.seq and l.hash = h.hash
     where not exists (select 1 from public.audit_checkpoints c where c.org_id = h.org_id and c.seq >= h.seq and c.purpose = 'head')
     order by h.updated_at
     limit p_limit;
end
$$;
revoke all on function private.audit_heads_to_checkpoint(uuid, int) from public, anon, authenticated;
grant execute on function private.audit_heads_to_checkpoint(uuid, int) to job_runner;

create or replace function private.record_audit_checkpoint(
  p_lease uuid, p_org_id text, p_seq bigint, p_hash text, p_signed_at timestamptz, p_key_id text, p_signature text
) returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_inserted boolean := false;
begin
  perform private.assert_schedule_lease('audit.checkpoint', p_lease);
  insert into public.audit_checkpoints (org_id, seq, hash, signed_at, key_id, signature)
  values (p_org_id, p_seq, p_hash, p_signed_at, p_key_id, p_signature)
  on conflict (org_id, seq, purpose) do nothing
  returning true into v_inserted;
  return coalesce(v_inserted, false);
end
$$;
revoke all on function private.record_audit_checkpoint(uuid, text, bigint, text, timestamptz, text, text) from public, anon, authenticated;
grant execute on function private.record_audit_checkpoint(uuid, text, bigint, text, timestamptz, text, text) to job_runner;

-- AUD-5 / RL-3: fixed-window counters for the threshold rules of lib/audit/events.ts (e.g. 20 failed key
-- verifications from one address in a minute). Shared by every app instance; the count and the single "crossed"
-- answer come from one upsert, so exactly one caller per window raises the alert.
create table private.security_event_windows (
  rule text not null check (rule ~ '^[a-z][a-z0-9_.-]{1,63}$'),
  subject text not null check (length(subject) between 1 and 200),
  window_start timestamptz not null,
  hits int not null,
  primary key (rule, subject, window_start)
);
revoke all on private.security_event_windows from public, anon, authenticated;
alter table private.security_event_windows enable row level security;
alter table private.security_event_windows force row level security;
create policy security_event_windows_no_direct_access on private.security_event_windows for all to authenticated
  using (false) with check (false);

create or replace function private.count_security_event(p_rule text, p_subject text, p_window_seconds int, p_threshold int)
returns table (hits int, crossed boolean)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_start timestamptz;
  v_hits int;
begin
  if p_window_seconds is null or p_window_seconds < 1 or p_window_seconds > 86400 or p_threshold is null or p_threshold < 1 then
    raise exception 'count_security_event: window 1..86400 s, threshold >= 1' using errcode = '22023';
  end if;
  v_start := to_timestamp(floor(extract(epoch from now()) / p_window_seconds) * p_window_seconds);
  insert into private.security_event_windows as w (rule, subject, window_start, hits)
  values (p_rule, left(p_subject, 200), v_start, 1)
  on conflict (rule, subject, window_start) do update set hits = w.hits + 1
  returning w.hits into v_hits;
  -- Old windows of this subject go as new ones open (one row per rule and subject stays).
  if v_hits = 1 then
    delete from private.security_event_windows w
     where w.rule = p_rule and w.subject = left(p_subject, 200) and w.window_start < v_start;
  end if;
  return query select v_hits, v_hits = p_threshold;
end
$$;
revoke all on function private.count_security_event(text, text, int, int) from public;
grant execute on function private.count_security_event(text, text, int, int) to anon, authenticated;
