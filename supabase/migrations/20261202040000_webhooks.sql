-- WH-1..3: inbound provider webhooks (lib/webhooks). One table of deliveries, unique on (provider, event id), written
-- only through the SECURITY DEFINER functions below by a narrow role, `webhook_service`.
--
--   webhook_service  NOLOGIN, NOINHERIT, no BYPASSRLS, owns nothing. What the receiver kernel runs as (lib/db
--                    withWebhookService): it claims an event row (insert-on-conflict, then FOR UPDATE, so concurrent
--                    duplicates queue behind one transaction), enters the ONE org our own records link the event's
--                    object to (private.webhook_enter_org), applies the effect under RLS scoped to that org, and marks
--                    the row processed in the same transaction. It reads or writes no table directly except what the
--                    effect policies below grant it, and those are keyed on private.webhook_org(): the org entered in
--                    this very transaction, which the role cannot set itself (it cannot write private.webhook_scopes).
--   authenticated    owners and admins read their own org's deliveries, without the payload (column grants).

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'webhook_service') then
    create role webhook_service nologin noinherit nosuperuser nocreatedb nocreaterole nobypassrls;
  end if;
end
$$;

grant webhook_service to app_runtime;
grant usage on schema private to webhook_service;
grant usage on schema auth to webhook_service;
grant execute on function auth.jwt() to webhook_service;
grant execute on function private.org_id(), private.org_role(), private.subject() to webhook_service;

create table public.webhook_events (
  id uuid primary key default gen_random_uuid(),
  provider text not null check (provider in ('clerk', 'stripe', 'mux', 'nylas', 'dub')),
  event_id text not null check (length(event_id) between 1 and 255),
  event_type text not null check (length(event_type) between 1 and 128),
  status text not null default 'received' check (status in ('received', 'processed', 'failed', 'ignored')),
  attempts int not null default 0 check (attempts >= 0),
  -- A short, sanitised message (the error's kind and SQLSTATE), never a stack, SQL text or payload.
  last_error text check (last_error is null or length(last_error) <= 300),
  -- Why an event was ignored: a type not handled, an object we have no record of, superseded by a newer event.
  note text check (note is null or length(note) <= 200),
  -- The org our own records link the event's object to (NULL until resolved, or when none does).
  org_id text references public.organizations (id) on delete set null,
  object_id text check (object_id is null or length(object_id) <= 255),
  -- The verified payload, kept for replay (never shown: authenticated has no grant on this column).
  payload jsonb not null check (octet_length(payload::text) <= 2097152),
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  updated_at timestamptz not null default now(),
  unique (provider, event_id)
);
create index webhook_events_org_id_received_at_idx on public.webhook_events (org_id, received_at desc);
create index webhook_events_received_at_idx on public.webhook_events (received_at);
create index webhook_events_open_idx on public.webhook_events (updated_at) where status in ('received', 'failed');

revoke all on public.webhook_events from public, anon, authenticated, webhook_service;
grant select (id, provider, event_id, event_type, status, attempts, last_error, note, org_id, object_id, received_at, processed_at, updated_at)
  on public.webhook_events to authenticated;
alter table public.webhook_events enable row level security;
alter table public.webhook_events force row level security;
create policy webhook_events_admin_select on public.webhook_events for select to authenticated
  using (org_id = (select private.org_id()) and (select private.is_org_admin()));

-- Objects we created at a provider for an org (a Stripe customer, a Mux asset, a Nylas grant, a Dub link): how an
-- event is tied to an org from our own records. The capability that creates the object records the link; webhooks
-- update its status.
create table public.provider_objects (
  org_id text not null references public.organizations (id) on delete cascade,
  provider text not null check (provider in ('stripe', 'mux', 'nylas', 'dub')),
  kind text not null check (kind ~ '^[a-z][a-z_]{1,31}$'),
  external_id text not null check (length(external_id) between 1 and 255),
  status text not null default 'unknown' check (length(status) between 1 and 40),
  attributes jsonb not null default '{}'::jsonb check (jsonb_typeof(attributes) = 'object' and octet_length(attributes::text) <= 4096),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (provider, kind, external_id)
);
create index provider_objects_org_id_idx on public.provider_objects (org_id, provider, kind);

revoke all on public.provider_objects from public, anon, authenticated, webhook_service;
grant select on public.provider_objects to authenticated;
grant select (org_id, provider, kind, external_id, status, attributes, updated_at), update (status, attributes, updated_at)
  on public.provider_objects to webhook_service;
alter table public.provider_objects enable row level security;
alter table public.provider_objects force row level security;
create policy provider_objects_select on public.provider_objects for select to authenticated
  using (org_id = (select private.org_id()));

-- The org a webhook_service transaction entered, per transaction id: written only by private.webhook_enter_org, so
-- the effect's policies cannot be widened by the role itself (it may set request.jwt.claims, not this table).
create table private.webhook_scopes (
  txid bigint primary key,
  event_row uuid not null,
  org_id text not null
);
revoke all on private.webhook_scopes from public, anon, authenticated, webhook_service;
alter table private.webhook_scopes enable row level security;
alter table private.webhook_scopes force row level security;
create policy webhook_scopes_no_direct_access on private.webhook_scopes for all to authenticated using (false) with check (false);

-- WH-3: the newest provider version applied per object, so an older event never overwrites newer state.
create table private.webhook_object_versions (
  provider text not null,
  object_type text not null check (length(object_type) between 1 and 64),
  object_id text not null check (length(object_id) between 1 and 255),
  org_id text not null references public.organizations (id) on delete cascade,
  version bigint not null,
  event_row uuid not null,
  updated_at timestamptz not null default now(),
  primary key (provider, object_type, object_id)
);
create index webhook_object_versions_org_id_idx on private.webhook_object_versions (org_id);
revoke all on private.webhook_object_versions from public, anon, authenticated, webhook_service;
alter table private.webhook_object_versions enable row level security;
alter table private.webhook_object_versions force row level security;
create policy webhook_object_versions_no_direct_access on private.webhook_object_versions for all to authenticated using (false) with check (false);

-- AUD-3 / WH-1: rejected deliveries (bad or missing signature, stale or future timestamp, malformed), counted per
-- provider, reason and minute. No payload, no header values: only the address and request id of the latest one.
create table private.webhook_rejections (
  provider text not null,
  reason text not null check (reason ~ '^[a-z_]{1,40}$'),
  minute timestamptz not null,
  count bigint not null default 1 check (count >= 1),
  last_ip text check (last_ip is null or length(last_ip) <= 64),
  last_request_id text check (last_request_id is null or length(last_request_id) <= 128),
  primary key (provider, reason, minute)
);
create index webhook_rejections_minute_idx on private.webhook_rejections (minute);
revoke all on private.webhook_rejections from public, anon, authenticated, webhook_service;
alter table private.webhook_rejections enable row level security;
alter table private.webhook_rejections force row level security;
create policy webhook_rejections_no_direct_access on private.webhook_rejections for all to authenticated using (false) with check (false);

-- webhook_service reads its own transaction's scope row, never writes one.
grant select on private.webhook_scopes to webhook_service;
create policy webhook_scopes_own_select on private.webhook_scopes for select to webhook_service
  using (txid = pg_catalog.txid_current());

-- The org this transaction entered (NULL before private.webhook_enter_org). The effect policies read it. PL/pgSQL,
-- not SECURITY DEFINER, search_path pinned: like every policy helper (planned once per session).
create or replace function private.webhook_org() returns text
language plpgsql stable
set search_path = ''
as $$
begin
  return (select s.org_id from private.webhook_scopes s where s.txid = pg_catalog.txid_current());
end
$$;

-- Claims one delivery for processing: inserts it (status received) unless it exists, then locks it FOR UPDATE, so a
-- concurrent duplicate waits here until this transaction ends and then sees its outcome. A row already processed or
-- ignored is returned as it is (a duplicate: the caller applies nothing); otherwise the attempt is counted.
create or replace function private.webhook_claim(p_provider text, p_event_id text, p_event_type text, p_payload jsonb, p_object_id text)
returns table (id uuid, status text, attempts int)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_row public.webhook_events%rowtype;
begin
  if exists (select 1 from private.webhook_scopes s where s.txid = pg_catalog.txid_current()) then
    raise exception 'one webhook event per transaction' using errcode = '55000';
  end if;
  insert into public.webhook_events (provider, event_id, event_type, payload, object_id)
  values (p_provider, p_event_id, p_event_type, p_payload, left(p_object_id, 255))
  on conflict on constraint webhook_events_provider_event_id_key do nothing;
  select * into v_row from public.webhook_events e
   where e.provider = p_provider and e.event_id = p_event_id
   for update;
  if v_row.status in ('processed', 'ignored') then
    return query select v_row.id, v_row.status, v_row.attempts;
    return;
  end if;
  update public.webhook_events e set attempts = e.attempts + 1, updated_at = now()
   where e.id = v_row.id
  returning e.id, e.status, e.attempts into id, status, attempts;
  return next;
end
$$;

-- Replay (the admin log): the stored, already verified event of a failed row, locked like webhook_claim. Returns
-- nothing unless the row exists and is failed or received.
create or replace function private.webhook_claim_stored(p_row uuid)
returns table (id uuid, provider text, event_id text, event_type text, payload jsonb, status text, attempts int)
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  return query
    update public.webhook_events e set attempts = e.attempts + 1, updated_at = now()
     where e.id = (select l.id from public.webhook_events l where l.id = p_row and l.status in ('failed', 'received') for update)
    returning e.id, e.provider, e.event_id, e.event_type, e.payload, e.status, e.attempts;
end
$$;

-- The org our own records link a provider's object to: a Clerk organisation is ours when public.organizations has
-- it (its id is the Clerk org id, JIT-provisioned); any other object when public.provider_objects links it to an org
-- for that provider. Called only by the functions below (no grant to anyone).
create or replace function private.webhook_resolve_org(p_provider text, p_kind text, p_external_id text) returns text
language plpgsql stable
set search_path = ''
as $$
begin
  if p_provider = 'clerk' then
    if p_kind <> 'organization' then
      return null;
    end if;
    return (select o.id from public.organizations o where o.id = p_external_id);
  end if;
  return (select p.org_id from public.provider_objects p where p.provider = p_provider and p.kind = p_kind and p.external_id = p_external_id);
end
$$;

-- Enters the one org our own records link (p_kind, p_external_id) to, for the claimed row p_row: a Clerk
-- organisation is ours when public.organizations has it (its id is the Clerk org id, JIT-provisioned); any other
-- object when public.provider_objects links it to an org for the event's provider. Sets the transaction's scope and
-- claims; returns the org, or NULL when none is linked (nothing is entered then).
create or replace function private.webhook_enter_org(p_row uuid, p_kind text, p_external_id text) returns text
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_event public.webhook_events%rowtype;
  v_org text;
begin
  select * into v_event from public.webhook_events e where e.id = p_row for update;
  if v_event.id is null or v_event.status not in ('received', 'failed') then
    raise exception 'no claimed webhook event %', p_row using errcode = '55000';
  end if;
  if exists (select 1 from private.webhook_scopes s where s.txid = pg_catalog.txid_current()) then
    raise exception 'this transaction already entered an org' using errcode = '55000';
  end if;
  v_org := private.webhook_resolve_org(v_event.provider, p_kind, p_external_id);
  if v_org is null then
    return null;
  end if;
  insert into private.webhook_scopes (txid, event_row, org_id) values (pg_catalog.txid_current(), p_row, v_org);
  update public.webhook_events e set org_id = v_org, updated_at = now() where e.id = p_row;
  perform pg_catalog.set_config('request.jwt.claims',
    pg_catalog.jsonb_build_object('sub', 'service:webhooks', 'o', pg_catalog.jsonb_build_object('id', v_org, 'rol', 'service'),
                                  'webhook', pg_catalog.jsonb_build_object('provider', v_event.provider, 'event', v_event.event_id))::text,
    true);
  return v_org;
end
$$;

-- WH-3: records p_version for the object in the entered org and answers true when it is not older than the newest
-- applied (ties apply: the provider's clock cannot order them); false means a newer event was already applied.
create or replace function private.webhook_advance_version(p_object_type text, p_object_id text, p_version bigint) returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_scope private.webhook_scopes%rowtype;
  v_provider text;
  v_applied boolean;
begin
  select * into v_scope from private.webhook_scopes s where s.txid = pg_catalog.txid_current();
  if v_scope.txid is null then
    raise exception 'no org entered in this transaction' using errcode = '55000';
  end if;
  select e.provider into v_provider from public.webhook_events e where e.id = v_scope.event_row;
  insert into private.webhook_object_versions as v (provider, object_type, object_id, org_id, version, event_row)
  values (v_provider, p_object_type, p_object_id, v_scope.org_id, p_version, v_scope.event_row)
  on conflict (provider, object_type, object_id) do update
     set version = excluded.version, event_row = excluded.event_row, updated_at = now()
   where v.version <= excluded.version and v.org_id = excluded.org_id
  returning true into v_applied;
  return coalesce(v_applied, false);
end
$$;

-- Ends processing of the claimed row: processed (the effect committed with this mark) or ignored (with a note).
create or replace function private.webhook_finish(p_row uuid, p_status text, p_note text) returns void
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  if p_status not in ('processed', 'ignored') then
    raise exception 'webhook_finish: processed or ignored' using errcode = '22023';
  end if;
  update public.webhook_events e
     set status = p_status, processed_at = now(), updated_at = now(), last_error = null, note = left(p_note, 200)
   where e.id = p_row and e.status in ('received', 'failed');
  if not found then
    raise exception 'no claimed webhook event %', p_row using errcode = '55000';
  end if;
  delete from private.webhook_scopes s where s.txid = pg_catalog.txid_current();
end
$$;

-- WH-3: a failed attempt, in a transaction of its own after the processing one rolled back: the row (inserted if
-- that rollback took it away) becomes failed, with the attempt counted and the sanitised error. A row that is
-- processed or ignored meanwhile is left alone.
-- The org is resolved here too (from our records, as when processing), so the org's admins see the failure in their
-- log and can replay it.
create or replace function private.webhook_fail(p_provider text, p_event_id text, p_event_type text, p_payload jsonb, p_kind text, p_object_id text, p_error text)
returns void
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_org text := case when p_kind is not null and p_object_id is not null then private.webhook_resolve_org(p_provider, p_kind, p_object_id) end;
begin
  insert into public.webhook_events as e (provider, event_id, event_type, payload, object_id, org_id, status, attempts, last_error)
  values (p_provider, p_event_id, p_event_type, p_payload, left(p_object_id, 255), v_org, 'failed', 1, left(coalesce(p_error, 'failed'), 300))
  on conflict on constraint webhook_events_provider_event_id_key do update
     set status = 'failed', attempts = e.attempts + 1, last_error = left(coalesce(p_error, 'failed'), 300),
         org_id = coalesce(e.org_id, excluded.org_id), updated_at = now()
   where e.status in ('received', 'failed');
end
$$;

-- A rejected delivery, counted per provider, reason and minute (bounded: one row per minute and reason).
create or replace function private.record_webhook_rejection(p_provider text, p_reason text, p_ip text, p_request_id text) returns void
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  insert into private.webhook_rejections as r (provider, reason, minute, last_ip, last_request_id)
  values (left(p_provider, 16), p_reason, pg_catalog.date_trunc('minute', now()), left(p_ip, 64), left(p_request_id, 128))
  on conflict (provider, reason, minute) do update
     set count = r.count + 1, last_ip = excluded.last_ip, last_request_id = excluded.last_request_id;
end
$$;

-- Retention: deliveries (and rejection counts) older than p_older_than, which must exceed every provider's retry
-- horizon (Stripe retries for 3 days, Svix for about 75 hours): at least 4 days. Returns the deliveries removed.
create or replace function private.prune_webhook_events(p_older_than interval) returns bigint
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_removed bigint;
begin
  if p_older_than is null or p_older_than < interval '4 days' then
    raise exception 'webhook retention must be at least 4 days (longer than every provider retries)' using errcode = '22023';
  end if;
  delete from public.webhook_events e where e.received_at < now() - p_older_than;
  get diagnostics v_removed = row_count;
  delete from private.webhook_rejections r where r.minute < now() - p_older_than;
  return v_removed;
end
$$;

-- Live checks (lib/controls/checks/webhooks.ts): counts only, no provider payload or org.
create or replace function private.webhook_health()
returns table (rejected_24h bigint, failed bigint, stuck_received bigint)
language sql stable security definer
set search_path = ''
as $$
  select (select coalesce(sum(r.count), 0)::bigint from private.webhook_rejections r where r.minute >= now() - interval '24 hours'),
         (select count(*) from public.webhook_events e where e.status = 'failed' and e.updated_at < now() - interval '1 hour'),
         (select count(*) from public.webhook_events e where e.status = 'received' and e.updated_at < now() - interval '1 hour')
$$;

revoke all on function private.webhook_org() from public;
revoke all on function private.webhook_resolve_org(text, text, text) from public;
revoke all on function private.webhook_claim(text, text, text, jsonb, text) from public;
revoke all on function private.webhook_claim_stored(uuid) from public;
revoke all on function private.webhook_enter_org(uuid, text, text) from public;
revoke all on function private.webhook_advance_version(text, text, bigint) from public;
revoke all on function private.webhook_finish(uuid, text, text) from public;
revoke all on function private.webhook_fail(text, text, text, jsonb, text, text, text) from public;
revoke all on function private.record_webhook_rejection(text, text, text, text) from public;
revoke all on function private.prune_webhook_events(interval) from public;
revoke all on function private.webhook_health() from public;
grant execute on function private.webhook_org() to webhook_service;
grant execute on function private.webhook_claim(text, text, text, jsonb, text) to webhook_service;
grant execute on function private.webhook_claim_stored(uuid) to webhook_service;
grant execute on function private.webhook_enter_org(uuid, text, text) to webhook_service;
grant execute on function private.webhook_advance_version(text, text, bigint) to webhook_service;
grant execute on function private.webhook_finish(uuid, text, text) to webhook_service;
grant execute on function private.webhook_fail(text, text, text, jsonb, text, text, text) to webhook_service;
grant execute on function private.record_webhook_rejection(text, text, text, text) to webhook_service;
grant execute on function private.prune_webhook_events(interval) to webhook_service;
grant execute on function private.webhook_health() to webhook_service;

-- The effects, under RLS as webhook_service in the entered org only.
-- IDN-3 (first part): a Clerk organisation's name follows organization.updated.
grant select (id, name), update (name) on public.organizations to webhook_service;
create policy organizations_webhook_select on public.organizations for select to webhook_service
  using (id = (select private.webhook_org()));
create policy organizations_webhook_update on public.organizations for update to webhook_service
  using (id = (select private.webhook_org()))
  with check (id = (select private.webhook_org()));
-- The status of an object we created at a provider follows that provider's events.
create policy provider_objects_webhook_select on public.provider_objects for select to webhook_service
  using (org_id = (select private.webhook_org()));
create policy provider_objects_webhook_update on public.provider_objects for update to webhook_service
  using (org_id = (select private.webhook_org()))
  with check (org_id = (select private.webhook_org()));
-- AUD-3: an effect's audit entry, in the effect's transaction, as the `webhook` actor of the entered org.
grant select, insert on public.audit_logs to webhook_service;
create policy audit_logs_webhook_insert on public.audit_logs for insert to webhook_service
  with check (org_id = (select private.webhook_org()) and actor_type = 'webhook');
create policy audit_logs_webhook_select on public.audit_logs for select to webhook_service
  using (org_id = (select private.webhook_org()));
-- audit_chain_head checks the org against the claims, which private.webhook_enter_org set for the entered org.
grant execute on function private.audit_chain_head(text) to webhook_service;
