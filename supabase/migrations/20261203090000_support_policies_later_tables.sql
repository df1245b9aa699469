-- TEN-8: the restrictive support-consent policies on the tenant tables created after 20261203010000_support_access.sql
-- (that migration covered every public table with an org_id that existed before it).
select private.apply_support_policies('public.audit_checkpoints');
select private.apply_support_policies('public.audit_settings');
