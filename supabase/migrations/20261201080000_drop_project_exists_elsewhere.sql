-- TEN-4 / TEN-1: private.exists_elsewhere (20261201060000_cross_tenant_probes.sql) answers the cross-tenant probe for
-- every resource; the project-only SECURITY DEFINER probe it replaced has no caller left. A definer function nobody
-- needs is one more thing that answers about other organisations: dropped.
drop function if exists private.project_exists_elsewhere(uuid);
