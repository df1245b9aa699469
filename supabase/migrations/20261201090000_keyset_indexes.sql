-- Keyset pagination (lib/pagination/keyset.ts): listings read one org's rows ordered by (created_at desc, id desc)
-- and continue with the row comparison (created_at, id) < ($1, $2). These indexes serve the order and the
-- comparison exactly (no sort, no lossy prefix condition); each replaces an index that is a prefix of it.
create index projects_org_id_created_at_id_idx on public.projects (org_id, created_at desc, id desc);
drop index public.projects_org_id_created_at_idx;

create index documents_org_id_created_at_id_idx on public.documents (org_id, created_at desc, id desc);
create index documents_org_id_project_id_created_at_id_idx on public.documents (org_id, project_id, created_at desc, id desc);
drop index public.documents_org_id_project_id_idx;
