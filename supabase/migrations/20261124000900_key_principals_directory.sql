-- TEN-6 / KEY-3, least privilege: an API key acts for its org's projects and documents, not for its people.
-- The directory policies (users_select, memberships_select) admit any principal of the org, which let a partner's
-- key read the org's member list and e-mail addresses. These restrictive policies narrow both tables to user
-- sessions (`sub` = user_...); API-key principals (`sub` = key_...) see no rows. No partner-API route needs them.
create policy users_sessions_only on public.users as restrictive for select to authenticated
  using ((select private.subject()) like 'user\_%');
create policy memberships_sessions_only on public.memberships as restrictive for select to authenticated
  using ((select private.subject()) like 'user\_%');
