-- TEN-7 x TEN-8: a support session (org role `support`, an `act` claim, a live consent) reads the org's projects
-- at its consent's level: read-only -> 1 (read), read-write -> 2 (write); without a live consent -> 0. The
-- restrictive support policies (20261203010000_support_access.sql) still refuse every write of a read-only session
-- and everything without a consent; a support session never manages grants (level 3).
create or replace function private.project_floor() returns integer
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_role text := private.org_role();
  v_base text;
begin
  if private.is_api_key() then
    return 2;
  end if;
  if private.subject() is null or private.subject() !~ '^user_' then
    return 0;
  end if;
  if v_role in ('owner', 'admin') then
    return 3;
  end if;
  if v_role = 'member' then
    select o.base_permission into v_base from public.organizations o where o.id = private.org_id();
    return case v_base when 'write' then 2 when 'read' then 1 else 0 end;
  end if;
  if v_role = 'support' then
    return case private.support_state() when 'write' then 2 when 'read' then 1 else 0 end;
  end if;
  return 0;
end
$$;

-- A read-write support session creates projects as a member would (read-only and consent-less sessions are refused
-- by the support policies before this one matters).
drop policy projects_grants_insert on public.projects;
create policy projects_grants_insert on public.projects as restrictive for insert to authenticated
  with check ((select private.org_role()) in ('owner', 'admin', 'member', 'api') or (select private.support_state()) = 'write');
