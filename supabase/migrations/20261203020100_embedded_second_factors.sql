-- IDN-2: second factors in the embedded identity provider (TOTP and one-time recovery codes), the factors each
-- session was verified with (the token's `fva`), and AUD-3's authentication events (sign-in failures, lockouts,
-- second-factor failures). Everything is reached through SECURITY DEFINER functions; no role reads these tables.

alter table idp.sessions
  add column first_factor_at timestamptz not null default now(),
  add column second_factor_at timestamptz,
  add column second_factor_method text check (second_factor_method in ('totp', 'recovery_code', 'passkey')),
  add column last_seen_at timestamptz;

-- One TOTP factor per user. `last_step` is the last accepted RFC 6238 time step: a code is accepted only by an
-- UPDATE whose WHERE clause requires a later step, so the same code (or an older one) never counts twice, even when
-- two requests present it at the same moment.
create table idp.totp_factors (
  user_id text primary key references public.users (id) on delete cascade,
  secret text not null check (secret ~ '^[A-Z2-7]{16,128}$'),
  confirmed_at timestamptz,
  last_step bigint,
  created_at timestamptz not null default now()
);

-- Recovery codes: SHA-256 of 80-bit random codes (shown once), each usable once.
create table idp.recovery_codes (
  user_id text not null references public.users (id) on delete cascade,
  code_hash bytea not null check (length(code_hash) = 32),
  created_at timestamptz not null default now(),
  used_at timestamptz,
  primary key (user_id, code_hash)
);

-- AUD-3: authentication events that happen before anyone has an org (no per-org audit chain to write to).
-- The account is named by its user id when known, and otherwise by a keyed hash of the email, never the email.
create table idp.auth_events (
  id bigint generated always as identity primary key,
  user_id text,
  account_hash text check (account_hash is null or account_hash ~ '^[0-9a-f]{64}$'),
  kind text not null check (kind in ('sign_in.failed', 'sign_in.locked', 'second_factor.failed', 'second_factor.locked',
                                     'recovery_code.used', 'refresh.reuse_detected')),
  ip text,
  user_agent text check (user_agent is null or length(user_agent) <= 512),
  created_at timestamptz not null default now()
);
create index auth_events_created_at_idx on idp.auth_events (created_at);
create index auth_events_account_idx on idp.auth_events ((coalesce(user_id, account_hash)), kind, created_at);

revoke all on idp.totp_factors, idp.recovery_codes, idp.auth_events from anon, authenticated, public;
alter table idp.totp_factors enable row level security;
alter table idp.totp_factors force row level security;
alter table idp.recovery_codes enable row level security;
alter table idp.recovery_codes force row level security;
alter table idp.auth_events enable row level security;
alter table idp.auth_events force row level security;
create policy totp_factors_no_direct_access on idp.totp_factors for all to authenticated using (false) with check (false);
create policy recovery_codes_no_direct_access on idp.recovery_codes for all to authenticated using (false) with check (false);
create policy auth_events_no_direct_access on idp.auth_events for all to authenticated using (false) with check (false);

-- Sign-in (embedded_idp): which second factors a user has, their TOTP secret, and accepting a step or a code.
create or replace function idp.second_factors_of(p_user_id text)
returns table (totp boolean, recovery_codes_left integer)
language sql stable security definer
set search_path = ''
as $$
  select exists (select 1 from idp.totp_factors t where t.user_id = p_user_id and t.confirmed_at is not null),
         (select count(*)::integer from idp.recovery_codes r where r.user_id = p_user_id and r.used_at is null)
$$;

create or replace function idp.totp_secret_of(p_user_id text)
returns text
language sql stable security definer
set search_path = ''
as $$
  select t.secret from idp.totp_factors t where t.user_id = p_user_id and t.confirmed_at is not null
$$;

create or replace function idp.accept_totp_step(p_user_id text, p_step bigint)
returns boolean
language sql volatile security definer
set search_path = ''
as $$
  with accepted as (
    update idp.totp_factors t set last_step = p_step
     where t.user_id = p_user_id and t.confirmed_at is not null and (t.last_step is null or t.last_step < p_step)
    returning 1
  )
  select exists (select 1 from accepted)
$$;

create or replace function idp.use_recovery_code(p_user_id text, p_code_hash bytea)
returns boolean
language sql volatile security definer
set search_path = ''
as $$
  with used as (
    update idp.recovery_codes r set used_at = now()
     where r.user_id = p_user_id and r.code_hash = p_code_hash and r.used_at is null
    returning 1
  )
  select exists (select 1 from used)
$$;

-- A session started after both factors: its row records when and with what the second factor was verified.
create or replace function idp.start_session_with_second_factor(p_session_id text, p_user_id text, p_expires_at timestamptz,
                                                                p_ip text, p_user_agent text, p_method text)
returns void
language sql volatile security definer
set search_path = ''
as $$
  insert into idp.sessions (id, user_id, expires_at, ip, user_agent, second_factor_at, second_factor_method)
  values (p_session_id, p_user_id, p_expires_at, p_ip, left(p_user_agent, 512), now(), p_method)
$$;

-- The factor times of a live session (to issue its tokens' `fva`).
create or replace function idp.session_factors(p_session_id text, p_user_id text)
returns table (first_factor_at timestamptz, second_factor_at timestamptz, second_factor_method text)
language sql stable security definer
set search_path = ''
as $$
  select s.first_factor_at, s.second_factor_at, s.second_factor_method from idp.sessions s
   where s.id = p_session_id and s.user_id = p_user_id and s.revoked_at is null and s.expires_at > now()
$$;

-- AUD-3: a lockout is recorded once a minute per account, however many refused attempts follow it.
create or replace function idp.record_auth_event(p_kind text, p_user_id text, p_account_hash text, p_ip text, p_user_agent text)
returns void
language sql volatile security definer
set search_path = ''
as $$
  insert into idp.auth_events (kind, user_id, account_hash, ip, user_agent)
  select p_kind, p_user_id, p_account_hash, p_ip, left(p_user_agent, 512)
   where p_kind not like '%.locked'
      or not exists (select 1 from idp.auth_events e
                      where coalesce(e.user_id, e.account_hash) = coalesce(p_user_id, p_account_hash)
                        and e.kind = p_kind and e.created_at > now() - interval '1 minute')
$$;

-- The signed-in user's own factors (authenticated, against the verified claims' `sub` and `sid`).
create or replace function idp.own_second_factors()
returns table (totp boolean, totp_pending boolean, recovery_codes_left integer)
language sql stable security definer
set search_path = ''
as $$
  select exists (select 1 from idp.totp_factors t where t.user_id = (auth.jwt() ->> 'sub') and t.confirmed_at is not null),
         exists (select 1 from idp.totp_factors t where t.user_id = (auth.jwt() ->> 'sub') and t.confirmed_at is null),
         (select count(*)::integer from idp.recovery_codes r where r.user_id = (auth.jwt() ->> 'sub') and r.used_at is null)
$$;

-- Enrolment: a new secret replaces an unconfirmed one; a confirmed factor is never replaced this way.
create or replace function idp.begin_own_totp_enrolment(p_secret text)
returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_user text := auth.jwt() ->> 'sub';
begin
  if v_user is null or v_user !~ '^user_' then
    raise exception 'only a signed-in user enrols a second factor' using errcode = '42501';
  end if;
  insert into idp.totp_factors as t (user_id, secret) values (v_user, p_secret)
  on conflict (user_id) do update set secret = excluded.secret, last_step = null, created_at = now()
   where t.confirmed_at is null;
  return found;
end
$$;

-- The secret of the caller's own factor, pending or confirmed (to check a code they typed).
create or replace function idp.own_totp_secret()
returns text
language sql stable security definer
set search_path = ''
as $$
  select t.secret from idp.totp_factors t where t.user_id = (auth.jwt() ->> 'sub')
$$;

-- Accepts a step for the caller's own factor (p_confirm: also the pending one, which it confirms) and, in the same
-- statement, records the step-up on the caller's session. Returns the session's factor times, or nothing.
create or replace function idp.accept_own_totp_step(p_step bigint, p_confirm boolean)
returns table (first_factor_at timestamptz, second_factor_at timestamptz)
language sql volatile security definer
set search_path = ''
as $$
  with accepted as (
    update idp.totp_factors t set last_step = p_step, confirmed_at = coalesce(t.confirmed_at, now())
     where t.user_id = (auth.jwt() ->> 'sub') and (t.confirmed_at is not null or p_confirm)
       and (t.last_step is null or t.last_step < p_step)
    returning t.user_id
  )
  update idp.sessions s set second_factor_at = now(), second_factor_method = 'totp'
    from accepted a
   where s.id = (auth.jwt() ->> 'sid') and s.user_id = a.user_id and s.revoked_at is null and s.expires_at > now()
  returning s.first_factor_at, s.second_factor_at
$$;

-- New recovery codes replace the old ones; only with a confirmed TOTP factor.
create or replace function idp.replace_own_recovery_codes(p_code_hashes bytea[])
returns integer
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_user text := auth.jwt() ->> 'sub';
  v_count integer;
begin
  if not exists (select 1 from idp.totp_factors t where t.user_id = v_user and t.confirmed_at is not null) then
    raise exception 'enable an authenticator app first' using errcode = '42501';
  end if;
  if cardinality(p_code_hashes) not between 1 and 20 then
    raise exception 'between 1 and 20 recovery codes' using errcode = '22023';
  end if;
  delete from idp.recovery_codes r where r.user_id = v_user;
  insert into idp.recovery_codes (user_id, code_hash) select v_user, h from unnest(p_code_hashes) h;
  get diagnostics v_count = row_count;
  return v_count;
end
$$;

revoke all on function idp.second_factors_of(text), idp.totp_secret_of(text), idp.accept_totp_step(text, bigint),
  idp.use_recovery_code(text, bytea), idp.start_session_with_second_factor(text, text, timestamptz, text, text, text),
  idp.session_factors(text, text), idp.record_auth_event(text, text, text, text, text), idp.own_second_factors(),
  idp.begin_own_totp_enrolment(text), idp.own_totp_secret(), idp.accept_own_totp_step(bigint, boolean),
  idp.replace_own_recovery_codes(bytea[]) from public;
grant execute on function idp.second_factors_of(text), idp.totp_secret_of(text), idp.accept_totp_step(text, bigint),
  idp.use_recovery_code(text, bytea), idp.start_session_with_second_factor(text, text, timestamptz, text, text, text),
  idp.session_factors(text, text), idp.record_auth_event(text, text, text, text, text) to embedded_idp;
grant execute on function idp.own_second_factors(), idp.begin_own_totp_enrolment(text), idp.own_totp_secret(),
  idp.accept_own_totp_step(bigint, boolean), idp.replace_own_recovery_codes(bytea[]) to authenticated;
