-- AUD-4: audit retention (one year by default, per-org setting, legal hold), enforced by a dedicated maintenance
-- role that can delete only expired, non-held entries, after a signed checkpoint at the cut (lib/audit/retention.ts).

create table public.audit_settings (
  org_id text primary key references public.organizations (id) on delete cascade,
  retention_days int not null default 365 check (retention_days between 30 and 3650),
  legal_hold boolean not null default false,
  updated_at timestamptz not null default now()
);
revoke all on public.audit_settings from public, anon;
grant select, insert, update (retention_days, legal_hold, updated_at) on public.audit_settings to authenticated;
alter table public.audit_settings enable row level security;
alter table public.audit_settings force row level security;
create policy audit_settings_select on public.audit_settings for select to authenticated
  using (org_id = (select private.org_id()) and (select private.is_org_admin()));
create policy audit_settings_insert on public.audit_settings for insert to authenticated
  with check (org_id = (select private.org_id()) and (select private.is_org_admin()));
create policy audit_settings_update on public.audit_settings for update to authenticated
  using (org_id = (select private.org_id()) and (select private.is_org_admin()))
  with check (org_id = (select private.org_id()) and (select private.is_org_admin()));

-- The maintenance principal: NOLOGIN, owns nothing; the runtime login role switches to it for the retention task only.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'audit_maintenance') then
    create role audit_maintenance nologin noinherit nosuperuser nocreatedb nocreaterole nobypassrls;
  end if;
end
$$;
grant audit_maintenance to app_runtime;
grant usage on schema private to audit_maintenance;

-- The maintenance role reads every org's setting (retention days and hold only: nothing else is in the table).
grant select on public.audit_settings to audit_maintenance;
create policy audit_settings_retention_select on public.audit_settings for select to audit_maintenance using (true);

-- Whether an entry is past its org's retention and not under legal hold (the one rule the policies below apply).
create or replace function private.audit_entry_expired(p_org_id text, p_created_at timestamptz) returns boolean
language plpgsql stable
set search_path = ''
as $$
declare
  v_days int;
  v_hold boolean;
begin
  select s.retention_days, s.legal_hold into v_days, v_hold from public.audit_settings s where s.org_id = p_org_id;
  return not coalesce(v_hold, false) and p_created_at < now() - make_interval(days => coalesce(v_days, 365));
end
$$;
revoke all on function private.audit_entry_expired(text, timestamptz) from public;
grant execute on function private.audit_entry_expired(text, timestamptz) to audit_maintenance;

-- DELETE (and the SELECT a DELETE ... WHERE needs) on expired, non-held rows only; nothing else on the log.
grant select, delete on public.audit_logs to audit_maintenance;
create policy audit_logs_retention_select on public.audit_logs for select to audit_maintenance
  using (private.audit_entry_expired(org_id, created_at));
create policy audit_logs_retention_delete on public.audit_logs for delete to audit_maintenance
  using (private.audit_entry_expired(org_id, created_at));

-- The checkpoint at the cut, written before the delete, naming an entry the maintenance role can see (an expired one).
grant select, insert on public.audit_checkpoints to audit_maintenance;
create policy audit_checkpoints_retention_select on public.audit_checkpoints for select to audit_maintenance using (purpose = 'retention-cut');
create policy audit_checkpoints_retention_insert on public.audit_checkpoints for insert to audit_maintenance
  with check (
    purpose = 'retention-cut'
    and exists (select 1 from public.audit_logs l where l.org_id = audit_checkpoints.org_id and l.seq = audit_checkpoints.seq and l.hash = audit_checkpoints.hash)
  );

-- Each org's cut: the last seq of its longest expired, non-held prefix, never the head itself (the newest entry stays,
-- so an emptied chain is always a break). Entries are in seq order, and so are their times, up to clock skew between
-- instances: the cut stops before the first entry that is not expired.
create or replace function private.audit_retention_cuts(p_limit int)
returns table (org_id text, seq bigint, hash text)
language plpgsql stable security definer
set search_path = ''
as $$
begin
  if p_limit is null or p_limit < 1 or p_limit > 10000 then
    raise exception 'audit_retention_cuts: limit 1..10000' using errcode = '22023';
  end if;
  return query
    with firsts as (
      select l.org_id, min(l.seq) as first_seq
        from public.audit_logs l
       where private.audit_entry_expired(l.org_id, l.created_at)
       group by l.org_id
    ), cuts as (
      select f.org_id,
             least(
               coalesce((select min(k.seq) - 1 from public.audit_logs k
                          where k.org_id = f.org_id and not private.audit_entry_expired(k.org_id, k.created_at)),
                        (select max(k.seq) from public.audit_logs k where k.org_id = f.org_id)),
               (select max(k.seq) - 1 from public.audit_logs k where k.org_id = f.org_id)
             ) as cut_seq,
             f.first_seq
        from firsts f
    )
    select c.org_id, c.cut_seq, l.hash
      from cuts c join public.audit_logs l on l.org_id = c.org_id and l.seq = c.cut_seq
     where c.cut_seq >= c.first_seq
     order by c.org_id
     limit p_limit;
end
$$;
revoke all on function private.audit_retention_cuts(int) from public;
grant execute on function private.audit_retention_cuts(int) to audit_maintenance;

-- AUD-1 still holds for everyone else: the append-only trigger lets through only the maintenance role's DELETE of a
-- row its policy let it reach (an expired, non-held one).
create or replace function private.reject_audit_change() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' and tg_table_name = 'audit_logs' and current_user = 'audit_maintenance' then
    if private.audit_entry_expired(old.org_id, old.created_at) then
      return old;
    end if;
  end if;
  raise exception 'audit_logs is append-only: % is not allowed', tg_op
    using errcode = 'insufficient_privilege';
end
$$;
