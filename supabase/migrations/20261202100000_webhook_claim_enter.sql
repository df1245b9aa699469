-- WH-2 / WH-1: claim and enter in one call. private.webhook_claim_enter does what private.webhook_claim followed by
-- private.webhook_enter_org does (same checks, same locks, same outcome) in one statement, for events whose effect
-- runs in an org (lib/webhooks/kernel.ts processEvent). A first delivery is inserted with its attempt counted and
-- the org our records link the object to already set, so the row is written once here and once by webhook_finish
-- (it was inserted and then updated twice: each update a new row version and new index entries, as status,
-- updated_at and org_id are indexed). Replay and the Clerk events that act outside an org keep the two calls.
--
-- Returns the row (id, status, attempts) and the entered org: status processed or ignored is a duplicate (nothing
-- entered, org NULL); otherwise the attempt is counted and, when our records link the object to an org, that org
-- is entered (scope row, claims) and returned; NULL means no local record (nothing entered).
create or replace function private.webhook_claim_enter(p_provider text, p_event_id text, p_event_type text, p_payload jsonb, p_kind text, p_external_id text)
returns table (id uuid, status text, attempts int, org_id text)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_row public.webhook_events%rowtype;
  v_org text;
begin
  if exists (select 1 from private.webhook_scopes s where s.txid = pg_catalog.txid_current()) then
    raise exception 'one webhook event per transaction' using errcode = '55000';
  end if;
  -- The org from our own records (provider_objects, or organizations for Clerk), never from the payload.
  v_org := private.webhook_resolve_org(p_provider, p_kind, p_external_id);
  insert into public.webhook_events as e (provider, event_id, event_type, payload, object_id, attempts, org_id)
  values (p_provider, p_event_id, p_event_type, p_payload, left(p_external_id, 255), 1, v_org)
  on conflict on constraint webhook_events_provider_event_id_key do nothing
  returning e.* into v_row;
  if v_row.id is null then
    -- Delivered before: wait for any transaction processing it, then decide from its committed state.
    select * into v_row from public.webhook_events e
     where e.provider = p_provider and e.event_id = p_event_id
     for update;
    if v_row.status in ('processed', 'ignored') then
      return query select v_row.id, v_row.status, v_row.attempts, null::text;
      return;
    end if;
    update public.webhook_events e
       set attempts = e.attempts + 1, updated_at = now(), org_id = coalesce(v_org, e.org_id)
     where e.id = v_row.id
    returning e.* into v_row;
  end if;
  if v_org is not null then
    insert into private.webhook_scopes (txid, event_row, org_id) values (pg_catalog.txid_current(), v_row.id, v_org);
    perform pg_catalog.set_config('request.jwt.claims',
      pg_catalog.jsonb_build_object('sub', 'service:webhooks', 'o', pg_catalog.jsonb_build_object('id', v_org, 'rol', 'service'),
                                    'webhook', pg_catalog.jsonb_build_object('provider', p_provider, 'event', p_event_id))::text,
      true);
  end if;
  return query select v_row.id, v_row.status, v_row.attempts, v_org;
end
$$;

revoke all on function private.webhook_claim_enter(text, text, text, jsonb, text, text) from public;
grant execute on function private.webhook_claim_enter(text, text, text, jsonb, text, text) to webhook_service;
