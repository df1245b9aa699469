-- IDN-6: refresh-token rotation with reuse detection for the embedded identity provider. A session (idp.sessions)
-- is one refresh-token family. Each refresh uses up the presented token and issues its child; presenting a used
-- token again revokes the whole family (the session ends everywhere), except the immediate parent of the newest
-- generation inside a short grace window (two tabs refreshing at once). State lives here, so it holds across app
-- instances.

alter table idp.sessions
  add column active_org_id text,
  add column revoke_reason text check (revoke_reason in ('sign_out', 'revoked', 'refresh_reuse'));

create table idp.refresh_tokens (
  id uuid primary key default gen_random_uuid(),
  session_id text not null references idp.sessions (id) on delete cascade,
  parent_id uuid references idp.refresh_tokens (id) on delete cascade,
  token_hash bytea not null unique check (length(token_hash) = 32),
  created_at timestamptz not null default now(),
  used_at timestamptz
);
create index refresh_tokens_session_idx on idp.refresh_tokens (session_id);
create index refresh_tokens_parent_idx on idp.refresh_tokens (parent_id);

revoke all on idp.refresh_tokens from anon, authenticated, public;
alter table idp.refresh_tokens enable row level security;
alter table idp.refresh_tokens force row level security;
create policy refresh_tokens_no_direct_access on idp.refresh_tokens for all to authenticated using (false) with check (false);

-- The first token of a session's family (at sign-in).
create or replace function idp.start_refresh_family(p_session_id text, p_token_hash bytea, p_org_id text)
returns void
language sql volatile security definer
set search_path = ''
as $$
  update idp.sessions s set active_org_id = p_org_id where s.id = p_session_id;
  insert into idp.refresh_tokens (session_id, token_hash) values (p_session_id, p_token_hash);
$$;

-- The org switcher: later refreshes issue tokens for this org (only one the user is a member of).
create or replace function idp.set_active_org(p_session_id text, p_user_id text, p_org_id text)
returns boolean
language sql volatile security definer
set search_path = ''
as $$
  with changed as (
    update idp.sessions s set active_org_id = p_org_id
     where s.id = p_session_id and s.user_id = p_user_id and s.revoked_at is null
       and exists (select 1 from public.memberships m where m.org_id = p_org_id and m.user_id = p_user_id)
    returning 1
  )
  select exists (select 1 from changed)
$$;

-- One refresh. Outcomes:
--   rotated   the token was unused: it is used now, and p_new_hash is its child;
--   grace     the token was used within p_grace_seconds and none of its children has been used yet (it is the
--             immediate parent of the newest generation): p_new_hash becomes another child;
--   reused    any other used token: the family is revoked (revoke_reason refresh_reuse), an authentication event
--             is recorded and each of the user's orgs gets a notification for the user;
--   invalid   unknown token, or a family already revoked or expired.
-- The token row and its session are locked, so two instances presenting the same token are serialised.
create or replace function idp.rotate_refresh_token(p_token_hash bytea, p_new_hash bytea, p_grace_seconds integer, p_ip text, p_user_agent text)
returns table (outcome text, session_id text, user_id text, active_org_id text,
               first_factor_at timestamptz, second_factor_at timestamptz, expires_at timestamptz)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_token idp.refresh_tokens%rowtype;
  v_session idp.sessions%rowtype;
begin
  select * into v_token from idp.refresh_tokens t where t.token_hash = p_token_hash for update;
  if not found then
    return query select 'invalid'::text, null::text, null::text, null::text, null::timestamptz, null::timestamptz, null::timestamptz;
    return;
  end if;
  select * into v_session from idp.sessions s where s.id = v_token.session_id for update;
  if v_session.revoked_at is not null or v_session.expires_at <= now() then
    return query select 'invalid'::text, v_session.id, v_session.user_id, null::text, null::timestamptz, null::timestamptz, null::timestamptz;
    return;
  end if;

  if v_token.used_at is null then
    update idp.refresh_tokens t set used_at = now() where t.id = v_token.id;
    insert into idp.refresh_tokens (session_id, parent_id, token_hash) values (v_session.id, v_token.id, p_new_hash);
    update idp.sessions s set last_seen_at = now(), ip = coalesce(p_ip, s.ip) where s.id = v_session.id;
    return query select 'rotated'::text, v_session.id, v_session.user_id, v_session.active_org_id,
                        v_session.first_factor_at, v_session.second_factor_at, v_session.expires_at;
    return;
  end if;

  if v_token.used_at > now() - make_interval(secs => p_grace_seconds)
     and not exists (select 1 from idp.refresh_tokens c where c.parent_id = v_token.id and c.used_at is not null) then
    insert into idp.refresh_tokens (session_id, parent_id, token_hash) values (v_session.id, v_token.id, p_new_hash);
    update idp.sessions s set last_seen_at = now() where s.id = v_session.id;
    return query select 'grace'::text, v_session.id, v_session.user_id, v_session.active_org_id,
                        v_session.first_factor_at, v_session.second_factor_at, v_session.expires_at;
    return;
  end if;

  update idp.sessions s set revoked_at = now(), revoke_reason = 'refresh_reuse' where s.id = v_session.id;
  insert into idp.auth_events (kind, user_id, ip, user_agent) values ('refresh.reuse_detected', v_session.user_id, p_ip, left(p_user_agent, 512));
  insert into public.notifications (org_id, recipient_user_id, kind, body)
  select m.org_id, v_session.user_id, 'session.refresh_reuse',
         jsonb_build_object('session_id', v_session.id, 'ip', p_ip, 'detected_at', now())
    from public.memberships m where m.user_id = v_session.user_id;
  return query select 'reused'::text, v_session.id, v_session.user_id, null::text, null::timestamptz, null::timestamptz, null::timestamptz;
end
$$;

-- IDN-4: revoke every other session of the signed-in user (sessions page), against the claims' sub and sid.
create or replace function idp.revoke_other_sessions()
returns integer
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_count integer;
begin
  update idp.sessions s set revoked_at = now(), revoke_reason = 'revoked'
   where s.user_id = (auth.jwt() ->> 'sub') and s.id <> (auth.jwt() ->> 'sid') and s.revoked_at is null;
  get diagnostics v_count = row_count;
  return v_count;
end
$$;

revoke all on function idp.start_refresh_family(text, bytea, text), idp.set_active_org(text, text, text),
  idp.rotate_refresh_token(bytea, bytea, integer, text, text), idp.revoke_other_sessions() from public;
grant execute on function idp.start_refresh_family(text, bytea, text), idp.set_active_org(text, text, text),
  idp.rotate_refresh_token(bytea, bytea, integer, text, text) to embedded_idp;
grant execute on function idp.revoke_other_sessions() to authenticated;
