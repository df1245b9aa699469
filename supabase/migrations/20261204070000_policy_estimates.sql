-- TEN-1, TEN-6, TEN-7: the same policies on projects, documents and videos, shaped so the planner estimates them
-- well. Each test of a claim now sits inside its sub-select: `(select private.scoped_project_id() is null)` instead of
-- `(select private.scoped_project_id()) is null`, `(select private.project_floor() >= 1)` instead of
-- `(select private.project_floor()) >= 1`. Every helper is still evaluated once per statement (an InitPlan), and each
-- policy admits exactly the rows it admitted before. What changes is the estimate: PostgreSQL guessed that
-- `<parameter> is null or project_id = <parameter>` keeps 0.5 % of an org's rows, so under row-level security a
-- "newest 50" read every document of the org through a bitmap scan and sorted them; a boolean parameter is guessed
-- at one half, so the plan walks the (org_id, created_at desc, id desc) index and stops after 50 rows, as the same
-- query with a hand-written filter does (docs/benchmarks.md, bench:rls).

alter policy projects_select on public.projects
  using (
    org_id = (select private.org_id())
    and ((select private.scoped_project_id() is null) or id = (select private.scoped_project_id()))
  );
alter policy projects_update on public.projects
  using (
    org_id = (select private.org_id())
    and ((select private.scoped_project_id() is null) or id = (select private.scoped_project_id()))
  )
  with check (org_id = (select private.org_id()));

alter policy documents_select on public.documents
  using (
    org_id = (select private.org_id())
    and ((select private.scoped_project_id() is null) or project_id = (select private.scoped_project_id()))
  );
alter policy documents_update on public.documents
  using (
    org_id = (select private.org_id())
    and ((select private.scoped_project_id() is null) or project_id = (select private.scoped_project_id()))
  )
  with check (org_id = (select private.org_id()));
alter policy documents_delete on public.documents
  using (
    org_id = (select private.org_id())
    and ((select private.scoped_project_id() is null) or project_id = (select private.scoped_project_id()))
  );

alter policy videos_select on public.videos
  using (
    org_id = (select private.org_id())
    and ((select private.scoped_project_id() is null) or project_id = (select private.scoped_project_id()))
  );

alter policy projects_grants_select on public.projects
  using ((select private.project_floor() >= 1) or id = any ((select private.granted_project_ids(1))::uuid[]));
alter policy projects_grants_update on public.projects
  using ((select private.project_floor() >= 2) or id = any ((select private.granted_project_ids(2))::uuid[]))
  with check ((select private.project_floor() >= 2) or id = any ((select private.granted_project_ids(2))::uuid[]));

alter policy documents_grants_select on public.documents
  using ((select private.project_floor() >= 1) or project_id = any ((select private.granted_project_ids(1))::uuid[]));
alter policy documents_grants_update on public.documents
  using ((select private.project_floor() >= 2) or project_id = any ((select private.granted_project_ids(2))::uuid[]))
  with check ((select private.project_floor() >= 2) or project_id = any ((select private.granted_project_ids(2))::uuid[]));
alter policy documents_grants_delete on public.documents
  using ((select private.project_floor() >= 2) or project_id = any ((select private.granted_project_ids(2))::uuid[]));

alter policy videos_grants_select on public.videos
  using ((select private.project_floor() >= 1) or project_id = any ((select private.granted_project_ids(1))::uuid[]));
