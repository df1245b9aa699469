-- VAL-4: Idempotency-Key for partner-API writes. The first response to a (principal, key) pair is stored and
-- replayed for 24 hours; the same key with a different request is refused. Rows belong to the caller's org.

create table public.idempotency_keys (
  org_id text not null,
  principal text not null,
  idempotency_key text not null check (length(idempotency_key) between 1 and 255),
  request_hash text not null check (request_hash ~ '^[0-9a-f]{64}$'),
  response_status int,
  response_body jsonb,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null default now() + interval '24 hours',
  primary key (org_id, principal, idempotency_key)
);
create index idempotency_keys_expires_at_idx on public.idempotency_keys (expires_at);

revoke all on public.idempotency_keys from anon, public;
grant select, insert, update, delete on public.idempotency_keys to authenticated;

alter table public.idempotency_keys enable row level security;
alter table public.idempotency_keys force row level security;

-- Only the principal that made the request sees or completes its own records.
create policy idempotency_keys_own on public.idempotency_keys for all to authenticated
  using (org_id = (select private.org_id()) and principal = (select private.subject()))
  with check (org_id = (select private.org_id()) and principal = (select private.subject()));
