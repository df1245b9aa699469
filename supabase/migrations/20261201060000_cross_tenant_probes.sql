-- TEN-4: every resource a caller can name by id records a probe of another tenant's id as a security event.
-- Tells whether an id the caller cannot see names a row of another organisation (for sign-in sessions, of
-- another user). Returns only a boolean: never the other tenant's identity or anything about the row.
create or replace function private.exists_elsewhere(p_resource text, p_id text) returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_uuid uuid;
begin
  if p_resource = 'session' then
    return exists (select 1 from idp.sessions s where s.id = p_id and s.user_id is distinct from private.subject());
  end if;
  if p_id !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return false;
  end if;
  v_uuid := p_id::uuid;
  return case p_resource
    when 'project' then exists (select 1 from public.projects p where p.id = v_uuid and p.org_id is distinct from private.org_id())
    when 'document' then exists (select 1 from public.documents d where d.id = v_uuid and d.org_id is distinct from private.org_id())
    when 'api_key' then exists (select 1 from public.api_keys k where k.id = v_uuid and k.org_id is distinct from private.org_id())
    else false
  end;
end
$$;
revoke all on function private.exists_elsewhere(text, text) from public;
grant execute on function private.exists_elsewhere(text, text) to authenticated;
