-- OPS-3: the Security Center's check runs, per organisation. Each row is one live check's outcome as one org's
-- owner or admin saw it run (lib/security-center): when, by whom, the status and the human-readable detail. Kept in
-- the database so "last ran" and the history survive restarts and are the same on every app instance. Written and
-- read by request roles under RLS (owners and admins of the org only); never updated or deleted by them.

create table public.control_check_runs (
  id bigint generated always as identity primary key,
  org_id text not null references public.organizations (id) on delete cascade,
  check_id text not null check (check_id ~ '^[a-z][a-z0-9-]{1,63}$'),
  status text not null check (status in ('pass', 'fail', 'warn', 'not_applicable')),
  -- What the check says for people: never a secret (lib/controls/live-checks.ts CheckResult).
  detail text not null check (length(detail) <= 2000),
  -- The run this row belongs to ("Run all" writes one row per check with the same run id).
  run_id uuid not null,
  duration_ms int not null check (duration_ms >= 0),
  ran_by text not null check (length(ran_by) between 1 and 200),
  ran_at timestamptz not null default now()
);
create index control_check_runs_org_id_check_id_ran_at_idx on public.control_check_runs (org_id, check_id, ran_at desc);
create index control_check_runs_org_id_ran_at_idx on public.control_check_runs (org_id, ran_at desc);

revoke all on public.control_check_runs from public, anon, authenticated;
grant select, insert on public.control_check_runs to authenticated;
alter table public.control_check_runs enable row level security;
alter table public.control_check_runs force row level security;
create policy control_check_runs_select on public.control_check_runs for select to authenticated
  using (org_id = (select private.org_id()) and (select private.is_org_admin()));
-- The runner is the signed-in admin themself: ran_by is bound to the verified subject.
create policy control_check_runs_insert on public.control_check_runs for insert to authenticated
  with check (org_id = (select private.org_id()) and (select private.is_org_admin()) and ran_by = (select private.subject()));

select private.apply_support_policies('public.control_check_runs');
