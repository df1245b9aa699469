-- bench:rls seed (scripts/bench-rls.ts): :orgs orgs × 50 projects, one admin and one member per org (the member
-- holds viewer grants on 5 of the org's 50 projects; base permission none, so only its grants let it read), and
-- :docs documents spread evenly over the projects, newest first by created_at. Run as the owner on a fresh,
-- migrated database. FK triggers are skipped while loading (session_replication_role): every row is generated
-- consistent with its parents, and the schema's constraints are checked again below.
set session_replication_role = replica;
insert into public.organizations (id, name, slug, base_permission)
  select 'org_rls' || o, 'Bench org ' || o, 'bench-rls-' || o, 'none' from generate_series(1, :orgs) o;
insert into public.users (id, email)
  select 'user_rlsadmin' || o, 'admin' || o || '@bench.test' from generate_series(1, :orgs) o
  union all
  select 'user_rlsmember' || o, 'member' || o || '@bench.test' from generate_series(1, :orgs) o;
insert into public.memberships (org_id, user_id, role)
  select 'org_rls' || o, 'user_rlsadmin' || o, 'admin' from generate_series(1, :orgs) o
  union all
  select 'org_rls' || o, 'user_rlsmember' || o, 'member' from generate_series(1, :orgs) o;
-- Project p of org o: a deterministic uuid, so documents and grants can name it without a join.
insert into public.projects (id, org_id, name, created_by, created_at, updated_at)
  select md5('rls-project-' || o || '-' || p)::uuid, 'org_rls' || o, 'Project ' || p, 'user_rlsadmin' || o,
         timestamptz '2026-01-01' + p * interval '1 minute', timestamptz '2026-01-01' + p * interval '1 minute'
    from generate_series(1, :orgs) o, generate_series(1, 50) p;
-- The member's grants: projects 1, 11, 21, 31, 41 (viewer, no expiry).
insert into public.project_grants (org_id, project_id, user_id, role, created_by)
  select 'org_rls' || o, md5('rls-project-' || o || '-' || p)::uuid, 'user_rlsmember' || o, 'viewer', 'user_rlsadmin' || o
    from generate_series(1, :orgs) o, generate_series(1, 41, 10) p;
-- Document n: org 1 + n % orgs, project 1 + (n / orgs) % 50, one second apart (interleaved across orgs).
insert into public.documents (id, org_id, project_id, name, mime_type, size_bytes, created_by, created_at)
  select md5('rls-doc-' || n)::uuid, 'org_rls' || (1 + n % :orgs), md5('rls-project-' || (1 + n % :orgs) || '-' || (1 + (n / :orgs) % 50))::uuid,
         'Document ' || n || '.pdf', 'application/pdf', 1000 + n % 100000, 'user_rlsadmin' || (1 + n % :orgs),
         timestamptz '2026-01-01' + n * interval '1 second'
    from generate_series(0, :docs - 1) n;
set session_replication_role = origin;
-- Every document's project exists in its org (what the skipped FK trigger would have checked).
do $$ begin
  if exists (select 1 from public.documents d where not exists (select 1 from public.projects p where p.org_id = d.org_id and p.id = d.project_id)) then
    raise exception 'bench:rls seed: a document without its project';
  end if;
end $$;
vacuum (analyze) public.organizations, public.users, public.memberships, public.projects, public.project_grants, public.documents;
