-- ENC-1, ENC-2, ENC-5: envelope encryption of stored credentials (lib/crypto, docs/encryption.md).
--
-- Each org has data keys (DEKs): random AES-256 keys, stored only wrapped (AES-256-GCM) by a key-encryption key
-- (KEK) from the ENCRYPTION_KEYS environment variable, which the database never holds. A credential's ciphertext
-- names its data key; the associated data binds it to org, table, column and row.
--
-- Roles:
--   authenticated  reads its org's wrapped data keys (useless without a KEK) and adds one when the org has none,
--                  only through private.create_data_key (no INSERT on the table: a row planted through the Data API
--                  could otherwise make every instance's start-up key check refuse);
--                  org credentials: members read (to use them), owners/admins write; personal credentials: only
--                  the user who owns them, in that org (org admins cannot read them either).
--   key_rotation   NOLOGIN, the rotation command and the encryption live checks (lib/crypto/rotation.ts): reads and
--                  rewrites wrapped keys and ciphertexts of every org, deletes nothing.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'key_rotation') then
    create role key_rotation nologin noinherit nosuperuser nocreatedb nocreaterole nobypassrls;
  end if;
end
$$;
grant key_rotation to app_runtime;

create table public.data_keys (
  id uuid primary key default gen_random_uuid(),
  org_id text not null references public.organizations (id) on delete cascade,
  version int not null check (version between 1 and 1000000),
  -- The KEK that wraps this key now (re-wrapping changes it); NULL once the key is retired and its material erased.
  kek_id text check (kek_id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$'),
  wrapped_key text check (wrapped_key ~ '^[A-Za-z0-9_-]+$' and length(wrapped_key) between 40 and 2000),
  -- active: new ciphertexts use it (one per org); retiring: being re-encrypted away from; retired: nothing uses it.
  status text not null default 'active' check (status in ('active', 'retiring', 'retired')),
  created_at timestamptz not null default now(),
  rewrapped_at timestamptz,
  retired_at timestamptz,
  check ((wrapped_key is null) = (kek_id is null)),
  check ((status = 'retired') = (wrapped_key is null)),
  unique (org_id, version),
  unique (org_id, id)
);
create unique index data_keys_one_active_per_org on public.data_keys (org_id) where status = 'active';
create index data_keys_kek_id_idx on public.data_keys (kek_id, id) where kek_id is not null;
create index data_keys_retiring_idx on public.data_keys (org_id) where status = 'retiring';

create table public.integration_credentials (
  id uuid primary key,
  org_id text not null references public.organizations (id) on delete cascade,
  service text not null check (service in ('nylas', 'dub', 'webhook_signing')),
  ciphertext text not null check (length(ciphertext) between 1 and 8192),
  data_key_id uuid not null,
  -- What the dashboard shows instead of the secret.
  last4 text not null check (char_length(last4) between 1 and 4),
  set_by text not null,
  set_at timestamptz not null default now(),
  last_tested_at timestamptz,
  last_test_ok boolean,
  unique (org_id, service),
  foreign key (org_id, data_key_id) references public.data_keys (org_id, id)
);
create index integration_credentials_data_key_id_idx on public.integration_credentials (data_key_id);

create table public.personal_credentials (
  id uuid primary key,
  org_id text not null,
  user_id text not null,
  service text not null check (service in ('nylas', 'dub', 'webhook_signing')),
  ciphertext text not null check (length(ciphertext) between 1 and 8192),
  data_key_id uuid not null,
  last4 text not null check (char_length(last4) between 1 and 4),
  set_at timestamptz not null default now(),
  unique (org_id, user_id, service),
  -- Leaving the org (or being removed) deletes the person's credentials there.
  foreign key (org_id, user_id) references public.memberships (org_id, user_id) on delete cascade,
  foreign key (org_id, data_key_id) references public.data_keys (org_id, id)
);
create index personal_credentials_data_key_id_idx on public.personal_credentials (data_key_id);

revoke all on public.data_keys, public.integration_credentials, public.personal_credentials from public, anon, authenticated, key_rotation;

grant select (id, org_id, version, kek_id, wrapped_key, status) on public.data_keys to authenticated;
grant select, insert, delete on public.integration_credentials to authenticated;
grant update (ciphertext, data_key_id, last4, set_by, set_at, last_tested_at, last_test_ok) on public.integration_credentials to authenticated;
grant select, insert, delete on public.personal_credentials to authenticated;
grant update (ciphertext, data_key_id, last4, set_at) on public.personal_credentials to authenticated;

grant select, insert on public.data_keys to key_rotation;
grant update (kek_id, wrapped_key, status, rewrapped_at, retired_at) on public.data_keys to key_rotation;
grant select (id, org_id, ciphertext, data_key_id) on public.integration_credentials, public.personal_credentials to key_rotation;
grant update (ciphertext, data_key_id) on public.integration_credentials, public.personal_credentials to key_rotation;

alter table public.data_keys enable row level security;
alter table public.data_keys force row level security;
alter table public.integration_credentials enable row level security;
alter table public.integration_credentials force row level security;
alter table public.personal_credentials enable row level security;
alter table public.personal_credentials force row level security;

-- Any principal of the org may read its wrapped keys and add the first active one (the wrapping KEK stays outside).
create policy data_keys_select on public.data_keys for select to authenticated
  using (org_id = (select private.org_id()));
create policy data_keys_rotation on public.data_keys for all to key_rotation
  using (true) with check (true);

-- The org's first (or next, after a re-encryption) active data key, wrapped by the app (the KEK never reaches the
-- database): for the caller's own org, by its people only (not API keys or services), never beside an active one.
create or replace function private.create_data_key(p_id uuid, p_kek_id text, p_wrapped_key text)
returns table (id uuid, org_id text, version int, kek_id text, wrapped_key text, status text)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_org text := private.org_id();
begin
  if v_org is null or coalesce(private.org_role(), '') not in ('owner', 'admin', 'member') then
    raise exception 'a data key is created by a member of its organisation' using errcode = 'insufficient_privilege';
  end if;
  return query
    insert into public.data_keys as k (id, org_id, version, kek_id, wrapped_key)
    select p_id, v_org, coalesce((select max(d.version) from public.data_keys d where d.org_id = v_org), 0) + 1, p_kek_id, p_wrapped_key
     where not exists (select 1 from public.data_keys d where d.org_id = v_org and d.status = 'active')
    on conflict do nothing
    returning k.id, k.org_id, k.version, k.kek_id, k.wrapped_key, k.status;
end
$$;
revoke all on function private.create_data_key(uuid, text, text) from public;
grant execute on function private.create_data_key(uuid, text, text) to authenticated;

-- Org credentials: the org's people use them (members read the ciphertext through lib/credentials), owners and
-- admins manage them. API-key principals and services read nothing.
create policy integration_credentials_select on public.integration_credentials for select to authenticated
  using (org_id = (select private.org_id()) and (select private.org_role()) in ('owner', 'admin', 'member'));
create policy integration_credentials_insert on public.integration_credentials for insert to authenticated
  with check (org_id = (select private.org_id()) and (select private.is_org_admin()) and set_by = (select private.subject()));
create policy integration_credentials_update on public.integration_credentials for update to authenticated
  using (org_id = (select private.org_id()) and (select private.is_org_admin()))
  with check (org_id = (select private.org_id()) and (select private.is_org_admin()));
create policy integration_credentials_delete on public.integration_credentials for delete to authenticated
  using (org_id = (select private.org_id()) and (select private.is_org_admin()));
create policy integration_credentials_rotation_select on public.integration_credentials for select to key_rotation using (true);
create policy integration_credentials_rotation_update on public.integration_credentials for update to key_rotation using (true) with check (true);

-- ENC-5: the owner only, in the org the token is active in. No role condition: an owner or admin is nobody else's owner.
create policy personal_credentials_owner on public.personal_credentials for all to authenticated
  using (org_id = (select private.org_id()) and user_id = (select private.subject()))
  with check (org_id = (select private.org_id()) and user_id = (select private.subject()));
create policy personal_credentials_rotation_select on public.personal_credentials for select to key_rotation using (true);
create policy personal_credentials_rotation_update on public.personal_credentials for update to key_rotation using (true) with check (true);
