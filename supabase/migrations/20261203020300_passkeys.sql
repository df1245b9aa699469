-- IDN-2: passkeys (WebAuthn) as a second factor of the embedded identity provider. The signature counter is kept per
-- credential and only ever moves forward, in one UPDATE: a cloned authenticator presenting an older counter is refused.

create table idp.passkeys (
  credential_id text primary key check (credential_id ~ '^[A-Za-z0-9_-]+$' and length(credential_id) between 16 and 1366),
  user_id text not null references public.users (id) on delete cascade,
  public_key bytea not null check (length(public_key) between 16 and 2048),
  counter bigint not null default 0 check (counter >= 0),
  transports text[] not null default '{}',
  created_at timestamptz not null default now(),
  last_used_at timestamptz
);
create index passkeys_user_idx on idp.passkeys (user_id);

revoke all on idp.passkeys from anon, authenticated, public;
alter table idp.passkeys enable row level security;
alter table idp.passkeys force row level security;
create policy passkeys_no_direct_access on idp.passkeys for all to authenticated using (false) with check (false);

-- A user's passkeys (sign-in, embedded_idp): what the verification needs.
create or replace function idp.passkeys_of(p_user_id text)
returns table (credential_id text, public_key bytea, counter bigint, transports text[])
language sql stable security definer
set search_path = ''
as $$
  select p.credential_id, p.public_key, p.counter, p.transports from idp.passkeys p where p.user_id = p_user_id
$$;

-- Accepts a verified assertion's counter: only forward (or both 0, for authenticators without a counter).
create or replace function idp.accept_passkey_counter(p_user_id text, p_credential_id text, p_counter bigint)
returns boolean
language sql volatile security definer
set search_path = ''
as $$
  with accepted as (
    update idp.passkeys p set counter = p_counter, last_used_at = now()
     where p.user_id = p_user_id and p.credential_id = p_credential_id
       and (p.counter < p_counter or (p.counter = 0 and p_counter = 0))
    returning 1
  )
  select exists (select 1 from accepted)
$$;

-- The signed-in user registers a passkey (after the app verified the attestation).
create or replace function idp.add_own_passkey(p_credential_id text, p_public_key bytea, p_counter bigint, p_transports text[])
returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_user text := auth.jwt() ->> 'sub';
begin
  if v_user is null or v_user !~ '^user_' then
    raise exception 'only a signed-in user registers a passkey' using errcode = '42501';
  end if;
  insert into idp.passkeys (credential_id, user_id, public_key, counter, transports)
  values (p_credential_id, v_user, p_public_key, p_counter, coalesce(p_transports, '{}'))
  on conflict (credential_id) do nothing;
  return found;
end
$$;

-- How many passkeys the signed-in user has (account security page).
create or replace function idp.own_passkey_count()
returns integer
language sql stable security definer
set search_path = ''
as $$
  select count(*)::integer from idp.passkeys p where p.user_id = (auth.jwt() ->> 'sub')
$$;

-- Passkeys count as a second factor for the sign-in step.
create or replace function idp.second_factors_of(p_user_id text)
returns table (totp boolean, recovery_codes_left integer)
language sql stable security definer
set search_path = ''
as $$
  select exists (select 1 from idp.totp_factors t where t.user_id = p_user_id and t.confirmed_at is not null)
         or exists (select 1 from idp.passkeys p where p.user_id = p_user_id),
         (select count(*)::integer from idp.recovery_codes r where r.user_id = p_user_id and r.used_at is null)
$$;

revoke all on function idp.passkeys_of(text), idp.accept_passkey_counter(text, text, bigint),
  idp.add_own_passkey(text, bytea, bigint, text[]), idp.own_passkey_count() from public;
grant execute on function idp.passkeys_of(text), idp.accept_passkey_counter(text, text, bigint) to embedded_idp;
grant execute on function idp.add_own_passkey(text, bytea, bigint, text[]), idp.own_passkey_count() to authenticated;
