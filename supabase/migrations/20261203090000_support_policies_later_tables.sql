-- TEN-8: the restrictive support-consent policies on the tenant tables created after 20261203010000_support_access.sql
-- (that migration covered every public table with an org_id that existed before it).
select private.apply_support_policies('public.audit_checkpoints');
select private.apply_support_policies('public.audit_settings');

-- IDN-5: granting support access is a sensitive operation: in an org that requires two-step verification it needs a
-- session with a second factor. Consents are written through SECURITY DEFINER functions
-- (private.grant_support_access / revoke_support_access), which policies do not bind, so the same trigger as for
-- members and invites applies the rule to a grant. Revoking is never held back by it: ending access stays possible.
select private.require_second_factor_on('public.support_grants', false);
create trigger support_grants_second_factor before insert on public.support_grants
  for each row execute function private.enforce_second_factor_on_members();

-- TEN-8: the tenant tables of envelope encryption (20261203030000_encryption.sql).
select private.apply_support_policies('public.data_keys');
select private.apply_support_policies('public.integration_credentials');
select private.apply_support_policies('public.personal_credentials');

-- IDN-5: an org's integration credentials are managed by its admins, a sensitive operation: with the org's
-- two-step rule on, storing, replacing or deleting one needs a session with a second factor.
select private.require_second_factor_on('public.integration_credentials', false);
