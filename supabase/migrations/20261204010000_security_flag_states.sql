-- OPS-4: which state of each security flag each organisation's audit log has recorded. When an org's tenant
-- transactions start in an app or worker instance, the instance compares the flags it runs with (lib/flags) with
-- this table: a security flag newly off is written once as a `security.flag_off` audit entry (high severity,
-- alerted), a flag back on once as `flag.security_restored`, however many instances start at once. Only the org's
-- own verified claims can record its states, and only through the functions below (SECURITY DEFINER, so that a
-- read-only support session's request still records them); nobody reads or writes the table directly.

create table private.security_flag_states (
  org_id text not null,
  flag text not null check (flag ~ '^[a-z][a-z0-9_]{1,63}$'),
  state text not null check (state in ('on', 'off', 'off_acknowledged')),
  recorded_at timestamptz not null default now(),
  primary key (org_id, flag)
);
revoke all on private.security_flag_states from public, anon, authenticated;
alter table private.security_flag_states enable row level security;
alter table private.security_flag_states force row level security;
create policy security_flag_states_no_direct_access on private.security_flag_states for all to authenticated
  using (false) with check (false);

-- Records that a flag is off (or off and acknowledged) in the caller's org; true when that is a change, so the
-- caller writes the audit entry in the same transaction. Concurrent callers queue on the row: exactly one sees
-- the change.
create or replace function private.record_security_flag_off(p_flag text, p_state text) returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_org text := private.org_id();
  v_changed boolean;
begin
  if v_org is null then
    raise exception 'security flag state recorded without an org' using errcode = 'insufficient_privilege';
  end if;
  if p_state not in ('off', 'off_acknowledged') then
    raise exception 'not an off state: %', p_state using errcode = '22023';
  end if;
  insert into private.security_flag_states as s (org_id, flag, state) values (v_org, p_flag, p_state)
  on conflict (org_id, flag) do update set state = excluded.state, recorded_at = now()
    where s.state is distinct from excluded.state
  returning true into v_changed;
  return coalesce(v_changed, false);
end
$$;
revoke all on function private.record_security_flag_off(text, text) from public;
grant execute on function private.record_security_flag_off(text, text) to authenticated;

-- The flags among p_flags (those the instance runs with on) that the caller's org last recorded as off: now
-- recorded as on, returned so the caller audits each once.
create or replace function private.record_security_flags_on(p_flags text[]) returns setof text
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_org text := private.org_id();
begin
  if v_org is null then
    raise exception 'security flag state recorded without an org' using errcode = 'insufficient_privilege';
  end if;
  return query
    update private.security_flag_states s set state = 'on', recorded_at = now()
     where s.org_id = v_org and s.flag = any(p_flags) and s.state <> 'on'
    returning s.flag;
end
$$;
revoke all on function private.record_security_flags_on(text[]) from public;
grant execute on function private.record_security_flags_on(text[]) to authenticated;

-- The flags page (owners and admins): when each state was recorded in the caller's org.
create or replace function private.security_flag_states_of_org() returns table (flag text, state text, recorded_at timestamptz)
language sql stable security definer
set search_path = ''
as $$
  select s.flag, s.state, s.recorded_at from private.security_flag_states s
   where s.org_id = private.org_id() and private.is_org_admin()
   order by s.flag
$$;
revoke all on function private.security_flag_states_of_org() from public;
grant execute on function private.security_flag_states_of_org() to authenticated;
