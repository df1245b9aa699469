-- TEN-3: owners and admins rename their organisation; every signed-in user edits their own display name.
-- Neither table grants UPDATE to `authenticated`: each change goes through one security-definer function that reads
-- the caller from the verified claims (never from its arguments), refuses support sessions (`act`), API-key
-- principals and anything it cannot read, and returns the previous value for the audit entry.

create or replace function private.rename_org(p_name text)
returns text
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_org text := private.org_id();
  v_previous text;
begin
  if v_org is null or auth.jwt() ? 'act' or coalesce(private.caller_org_role() not in ('owner', 'admin'), true) then
    raise exception 'only owners and admins rename the organisation' using errcode = '42501';
  end if;
  if p_name is null or length(btrim(p_name)) = 0 or length(p_name) > 100 then
    raise exception 'organisation name must be 1 to 100 characters' using errcode = '22023';
  end if;
  select o.name into v_previous from public.organizations o where o.id = v_org for update;
  update public.organizations o set name = p_name where o.id = v_org;
  return v_previous;
end
$$;
revoke all on function private.rename_org(text) from public;
grant execute on function private.rename_org(text) to authenticated;

create or replace function private.set_own_display_name(p_name text)
returns text
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_user text := private.subject();
  v_previous text;
begin
  if v_user is null or v_user not like 'user\_%' or auth.jwt() ? 'act' then
    raise exception 'only a signed-in user edits their own display name' using errcode = '42501';
  end if;
  if p_name is null or length(btrim(p_name)) = 0 or length(p_name) > 100 then
    raise exception 'display name must be 1 to 100 characters' using errcode = '22023';
  end if;
  select u.display_name into v_previous from public.users u where u.id = v_user for update;
  if not found then
    raise exception 'no such user' using errcode = '42501';
  end if;
  update public.users u set display_name = p_name where u.id = v_user;
  return v_previous;
end
$$;
revoke all on function private.set_own_display_name(text) from public;
grant execute on function private.set_own_display_name(text) to authenticated;
