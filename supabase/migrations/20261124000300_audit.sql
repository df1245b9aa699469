-- AUD-1 / AUD-2: append-only, per-org hash-chained audit log.

create table public.audit_logs (
  id bigint generated always as identity primary key,
  org_id text not null,
  seq bigint not null check (seq >= 1),
  actor_type text not null check (actor_type in ('user', 'api_key', 'system', 'webhook', 'anonymous')),
  actor_id text,
  action text not null check (action ~ '^[a-z][a-z0-9_.]{1,99}$'),
  target_type text,
  target_id text,
  ip text,
  user_agent text check (user_agent is null or length(user_agent) <= 512),
  request_id text,
  changes jsonb not null default '{}'::jsonb,
  created_at timestamptz not null,
  prev_hash text not null check (prev_hash ~ '^[0-9a-f]{64}$'),
  hash text not null check (hash ~ '^[0-9a-f]{64}$'),
  unique (org_id, seq)
);

revoke all on public.audit_logs from anon, public;
-- AUD-1: INSERT and SELECT only. No UPDATE, DELETE or TRUNCATE for the roles requests run as.
grant select, insert on public.audit_logs to authenticated;

alter table public.audit_logs enable row level security;
alter table public.audit_logs force row level security;

create policy audit_logs_select on public.audit_logs for select to authenticated
  using (org_id = (select private.org_id()) and (select private.is_org_admin()));
-- A principal appends only to its own org, and a "user" entry only in its own name.
create policy audit_logs_insert on public.audit_logs for insert to authenticated
  with check (
    org_id = (select private.org_id())
    and (actor_type <> 'user' or actor_id = (select private.subject()))
  );

-- AUD-1: even a role that was granted UPDATE or DELETE by mistake cannot change history.
create or replace function private.reject_audit_change() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'audit_logs is append-only: % is not allowed', tg_op
    using errcode = 'insufficient_privilege';
end
$$;

create trigger audit_logs_append_only
  before update or delete on public.audit_logs
  for each row execute function private.reject_audit_change();

create trigger audit_logs_no_truncate
  before truncate on public.audit_logs
  for each statement execute function private.reject_audit_change();

-- AUD-2: each org's latest (seq, hash), kept outside the log by a trigger the runtime role cannot bypass, so
-- the verifier also detects entries removed from the END of a chain (a truncated chain is otherwise a valid one).
create table private.audit_heads (
  org_id text primary key,
  seq bigint not null,
  hash text not null,
  updated_at timestamptz not null default now()
);
revoke all on private.audit_heads from public, anon, authenticated;
alter table private.audit_heads enable row level security;
alter table private.audit_heads force row level security;
create policy audit_heads_no_direct_access on private.audit_heads for all to authenticated
  using (false) with check (false);

create or replace function private.advance_audit_head() returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  insert into private.audit_heads (org_id, seq, hash) values (new.org_id, new.seq, new.hash)
  on conflict (org_id) do update set seq = excluded.seq, hash = excluded.hash, updated_at = now()
  where private.audit_heads.seq < excluded.seq;
  return new;
end
$$;
revoke all on function private.advance_audit_head() from public;

create trigger audit_logs_advance_head
  after insert on public.audit_logs
  for each row execute function private.advance_audit_head();

-- AUD-2: the head of an org's chain, read under a per-org transaction lock so that concurrent appends queue
-- up and the chain stays linear. Only for the org the caller's verified claims name.
create or replace function private.audit_chain_head(p_org_id text)
returns table (seq bigint, hash text)
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  if p_org_id is null or p_org_id is distinct from private.org_id() then
    raise exception 'audit chain head requested for an org the caller is not in'
      using errcode = 'insufficient_privilege';
  end if;
  perform pg_advisory_xact_lock(hashtextextended('audit_logs:' || p_org_id, 0));
  return query
    select a.seq, a.hash from public.audit_logs a
    where a.org_id = p_org_id
    order by a.seq desc
    limit 1;
end
$$;
revoke all on function private.audit_chain_head(text) from public;
grant execute on function private.audit_chain_head(text) to authenticated;
