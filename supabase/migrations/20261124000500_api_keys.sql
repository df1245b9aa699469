-- KEY-1..5, TEN-6: partner API keys, their verification log, and in-app notices to admins.
--
-- Only a SHA-256 hash of each key is stored (KEY-1); requests read key rows only through the SECURITY DEFINER
-- lookup below, by exact hash. Admins manage keys under RLS; members and API keys themselves see nothing.
-- A verified key becomes claims `{ sub: "key_<id>", o: { id, rol: "api" }, key: { id, project_id, permissions } }`
-- (lib/api-keys/verify.ts), and the policies at the end of this file make those claims act like any principal:
-- project scope through private.scoped_project_id() (core schema), write permission through restrictive policies.

create table public.api_keys (
  id uuid primary key default gen_random_uuid(),
  org_id text not null references public.organizations (id) on delete cascade,
  -- NULL: the whole org. Otherwise one project of the same org (composite key: never another org's project).
  project_id uuid,
  name text not null check (length(btrim(name)) between 1 and 64),
  -- Non-secret, for recognising a key in lists and logs: `tg_live_` / `tg_test_` and the first 4 characters.
  prefix text not null check (prefix ~ '^tg_(live|test)_[0-9A-Za-z]{4}$'),
  key_hash text not null unique check (key_hash ~ '^[0-9a-f]{64}$'),
  permissions text[] not null check (
    permissions <@ array['read', 'write']::text[]
    and 'read' = any (permissions)
    and cardinality(permissions) between 1 and 2
  ),
  -- NULL or empty: any address. Otherwise the caller's IP must be inside one of these networks.
  ip_allowlist cidr[] check (ip_allowlist is null or cardinality(ip_allowlist) <= 50),
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz,
  -- Rotation: the secret before the last roll keeps working until previous_expires_at.
  previous_key_hash text unique check (previous_key_hash is null or previous_key_hash ~ '^[0-9a-f]{64}$'),
  previous_expires_at timestamptz,
  created_by text not null,
  created_at timestamptz not null default now(),
  check ((previous_key_hash is null) = (previous_expires_at is null)),
  unique (org_id, id),
  foreign key (org_id, project_id) references public.projects (org_id, id) on delete cascade
);
create index api_keys_org_id_created_at_idx on public.api_keys (org_id, created_at desc);
create index api_keys_org_id_project_id_idx on public.api_keys (org_id, project_id) where project_id is not null;

create table public.key_verifications (
  id bigint generated always as identity primary key,
  org_id text not null,
  key_id uuid not null,
  at timestamptz not null default now(),
  outcome text not null check (outcome in ('success', 'failure')),
  reason text check (reason is null or reason ~ '^[a-z][a-z_]{0,39}$'),
  ip text check (ip is null or length(ip) <= 64),
  foreign key (org_id, key_id) references public.api_keys (org_id, id) on delete cascade
);
create index key_verifications_org_id_key_id_id_idx on public.key_verifications (org_id, key_id, id desc);
create index key_verifications_key_id_id_idx on public.key_verifications (key_id, id desc);

create table public.notifications (
  id uuid primary key default gen_random_uuid(),
  org_id text not null references public.organizations (id) on delete cascade,
  -- Either every owner/admin of the org ('admin') or one user.
  recipient_role text check (recipient_role in ('admin')),
  recipient_user_id text check (recipient_user_id is null or recipient_user_id ~ '^user_[A-Za-z0-9]{1,64}$'),
  kind text not null check (kind ~ '^[a-z][a-z0-9_.]{1,63}$'),
  body jsonb not null default '{}'::jsonb check (jsonb_typeof(body) = 'object'),
  created_by text,
  created_at timestamptz not null default now(),
  read_at timestamptz,
  check (num_nonnulls(recipient_role, recipient_user_id) = 1)
);
create index notifications_org_id_created_at_idx on public.notifications (org_id, created_at desc);

-- Grants. anon gets nothing on the tables (it verifies keys only through the functions below).
-- The hashes are not even readable by admins: no SELECT on key_hash / previous_key_hash. Admins may change only
-- the columns revoke and roll need; expiry, scope, permissions and allow-list are fixed at creation (roll never
-- extends an expiry), and last_used_at is written only by private.record_key_use.
revoke all on public.api_keys, public.key_verifications, public.notifications from anon, authenticated, public;
grant select (id, org_id, project_id, name, prefix, permissions, ip_allowlist, expires_at, revoked_at, last_used_at,
              previous_expires_at, created_by, created_at)
  on public.api_keys to authenticated;
grant insert (org_id, project_id, name, prefix, key_hash, permissions, ip_allowlist, expires_at, created_by)
  on public.api_keys to authenticated;
grant update (name, prefix, key_hash, previous_expires_at, revoked_at) on public.api_keys to authenticated;
grant delete on public.api_keys to authenticated;
grant select on public.key_verifications to authenticated;
grant select, insert on public.notifications to authenticated;
grant update (read_at) on public.notifications to authenticated;

alter table public.api_keys enable row level security;
alter table public.api_keys force row level security;
alter table public.key_verifications enable row level security;
alter table public.key_verifications force row level security;
alter table public.notifications enable row level security;
alter table public.notifications force row level security;

-- TEN-3 / KEY-1: keys are managed by owners and admins only; members and API keys see none.
create policy api_keys_select on public.api_keys for select to authenticated
  using (org_id = (select private.org_id()) and (select private.is_org_admin()));
create policy api_keys_insert on public.api_keys for insert to authenticated
  with check (
    org_id = (select private.org_id())
    and (select private.is_org_admin())
    and created_by = (select private.subject())
  );
create policy api_keys_update on public.api_keys for update to authenticated
  using (org_id = (select private.org_id()) and (select private.is_org_admin()))
  with check (org_id = (select private.org_id()) and (select private.is_org_admin()));
create policy api_keys_delete on public.api_keys for delete to authenticated
  using (org_id = (select private.org_id()) and (select private.is_org_admin()));

-- Written only by private.record_key_use; admins read their org's log.
create policy key_verifications_select on public.key_verifications for select to authenticated
  using (org_id = (select private.org_id()) and (select private.is_org_admin()));

create policy notifications_select on public.notifications for select to authenticated
  using (
    org_id = (select private.org_id())
    and (
      (recipient_role = 'admin' and (select private.is_org_admin()))
      or recipient_user_id = (select private.subject())
    )
  );
create policy notifications_insert on public.notifications for insert to authenticated
  with check (
    org_id = (select private.org_id())
    and (select private.is_org_admin())
    and created_by = (select private.subject())
  );
create policy notifications_mark_read on public.notifications for update to authenticated
  using (
    org_id = (select private.org_id())
    and (
      (recipient_role = 'admin' and (select private.is_org_admin()))
      or recipient_user_id = (select private.subject())
    )
  )
  with check (org_id = (select private.org_id()));

-- KEY-2: the rules of revoke and roll, enforced below the app too.
--   * revocation is final: revoked_at can be set once, never cleared or moved;
--   * a roll (new key_hash) keeps the replaced hash as previous_key_hash — set here, never by the caller —
--     and needs a grace end no later than 7 days ahead; a revoked key cannot be rolled.
create or replace function private.guard_api_key_update() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if old.revoked_at is not null and new.revoked_at is distinct from old.revoked_at then
    raise exception 'an API key revocation is final' using errcode = 'check_violation';
  end if;
  if new.key_hash is distinct from old.key_hash then
    if old.revoked_at is not null then
      raise exception 'a revoked API key cannot be rolled' using errcode = 'check_violation';
    end if;
    new.previous_key_hash := old.key_hash;
    if new.previous_expires_at is null or new.previous_expires_at > now() + interval '7 days 1 minute' then
      raise exception 'a rolled API key needs a grace end within 7 days' using errcode = 'check_violation';
    end if;
  elsif new.previous_expires_at is distinct from old.previous_expires_at
        and new.previous_expires_at > greatest(old.previous_expires_at, now()) then
    raise exception 'the grace period of a rolled API key cannot be extended' using errcode = 'check_violation';
  end if;
  return new;
end
$$;
revoke all on function private.guard_api_key_update() from public;

create trigger api_keys_guard_update
  before update on public.api_keys
  for each row execute function private.guard_api_key_update();

-- KEY-5: the lookup the partner API runs before anyone is authenticated (role anon). Exact hash only: never by
-- prefix, never a list, never a hash. Returns what verification needs; the app decides, and logs the reason.
create or replace function private.verify_api_key(p_hash text)
returns table (
  key_id uuid,
  org_id text,
  project_id uuid,
  permissions text[],
  expires_at timestamptz,
  revoked_at timestamptz,
  ip_allowlist text[],
  matched text,
  previous_expires_at timestamptz,
  checked_at timestamptz
)
language sql stable security definer
set search_path = ''
as $$
  select k.id, k.org_id, k.project_id, k.permissions, k.expires_at, k.revoked_at,
         k.ip_allowlist::text[],
         m.matched, k.previous_expires_at, now()
  from (
    select c.id, 'current'::text as matched from public.api_keys c where c.key_hash = p_hash
    union all
    select p.id, 'previous'::text from public.api_keys p where p.previous_key_hash = p_hash
  ) m
  join public.api_keys k on k.id = m.id
  where p_hash ~ '^[0-9a-f]{64}$'
  limit 1
$$;
revoke all on function private.verify_api_key(text) from public;
grant execute on function private.verify_api_key(text) to anon;

-- KEY-2: the verification log and last-used time. The log keeps the newest 200 entries per key; last_used_at
-- is written at most once a minute per key, so a busy key does not rewrite its row on every request.
-- SECURITY DEFINER: it runs as the tables' owner, which is the only writer of key_verifications.
create or replace function private.record_key_use(p_key_id uuid, p_outcome text, p_reason text, p_ip text)
returns void
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_org text;
begin
  if p_outcome is null or p_outcome not in ('success', 'failure') then
    raise exception 'outcome must be success or failure' using errcode = 'invalid_parameter_value';
  end if;
  select k.org_id into v_org from public.api_keys k where k.id = p_key_id;
  if v_org is null then
    return;
  end if;
  insert into public.key_verifications (org_id, key_id, outcome, reason, ip)
  values (v_org, p_key_id, p_outcome, left(p_reason, 40), left(p_ip, 64));
  if p_outcome = 'success' then
    update public.api_keys
       set last_used_at = now()
     where id = p_key_id and (last_used_at is null or last_used_at < now() - interval '60 seconds');
  end if;
  delete from public.key_verifications v
   where v.key_id = p_key_id
     and v.id <= (
       select o.id from public.key_verifications o
        where o.key_id = p_key_id
        order by o.id desc
        offset 200 limit 1
     );
end
$$;
revoke all on function private.record_key_use(uuid, text, text, text) from public;
grant execute on function private.record_key_use(uuid, text, text, text) to anon;

-- TEN-6 / KEY-3: write permission for API-key principals. Sessions (no `key` claim) pass; a key passes only
-- when its permissions include 'write'. Restrictive, so they narrow every permissive policy on these tables.
create or replace function private.key_may_write() returns boolean
language sql stable
set search_path = ''
as $$
  select auth.jwt() -> 'key' is null
      or coalesce(jsonb_typeof(auth.jwt() -> 'key' -> 'permissions') = 'array'
                  and (auth.jwt() -> 'key' -> 'permissions') ? 'write', false)
$$;

-- True only for an API-key principal: `sub` is `key_<key.id>` (session tokens must have `sub` = `user_...`).
create or replace function private.is_api_key() returns boolean
language sql stable
set search_path = ''
as $$
  select coalesce(
    auth.jwt() ->> 'sub' = 'key_' || (auth.jwt() -> 'key' ->> 'id')
    and private.org_role() = 'api',
    false
  )
$$;
revoke all on function private.key_may_write(), private.is_api_key() from public;
grant execute on function private.key_may_write(), private.is_api_key() to anon, authenticated;

create policy projects_key_write_insert on public.projects as restrictive for insert to authenticated
  with check ((select private.key_may_write()));
create policy projects_key_write_update on public.projects as restrictive for update to authenticated
  using ((select private.key_may_write()))
  with check ((select private.key_may_write()));
create policy projects_key_write_delete on public.projects as restrictive for delete to authenticated
  using ((select private.key_may_write()));
create policy documents_key_write_insert on public.documents as restrictive for insert to authenticated
  with check ((select private.key_may_write()));
create policy documents_key_write_update on public.documents as restrictive for update to authenticated
  using ((select private.key_may_write()))
  with check ((select private.key_may_write()));
create policy documents_key_write_delete on public.documents as restrictive for delete to authenticated
  using ((select private.key_may_write()));

-- The partner API deletes projects with org-wide write keys. projects_delete admits owners/admins only, and a
-- key's role is 'api', so this permissive policy admits exactly those keys. A project-scoped key cannot delete
-- (it also cannot create projects, and deleting its own project would delete the key with it).
create policy projects_delete_by_org_write_key on public.projects for delete to authenticated
  using (
    org_id = (select private.org_id())
    and (select private.is_api_key())
    and (select private.scoped_project_id()) is null
    and (select private.key_may_write())
  );
