-- The durable job queue (lib/jobs): one table, enqueued in the caller's transaction, claimed with FOR UPDATE SKIP
-- LOCKED under a lease, retried with backoff, dead-lettered after its last attempt. TEN-1 / TEN-2: every job belongs
-- to one org, and runs as a narrow service principal of that org, never as the owner.
--
-- Three principals touch it:
--   authenticated  enqueues (INSERT of a fresh pending job for its own org only, in its own transaction); org owners
--                  and admins read their org's jobs (the dead-letter view) and re-queue a dead one; a member reads
--                  the jobs it enqueued itself.
--   job_runner     the worker's queue mechanics: claim, heartbeat, complete, fail, release, queue statistics. NOLOGIN,
--                  owns nothing, no table privileges: only EXECUTE on those SECURITY DEFINER functions.
--   job_service    what a job's handler runs as (lib/db withJobPrincipal): claims for the job's org, and a per-
--                  transaction check that a live lease on a job of that org and kind backs them. NOLOGIN; it is not
--                  `authenticated`, so no request policy applies to it: it reaches exactly what is granted below.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'job_runner') then
    create role job_runner nologin noinherit nosuperuser nocreatedb nocreaterole nobypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'job_service') then
    create role job_service nologin noinherit nosuperuser nocreatedb nocreaterole nobypassrls;
  end if;
end
$$;

grant job_runner, job_service to app_runtime;
grant usage on schema private to job_runner, job_service;
-- The policy helpers read the claims through auth.jwt().
grant usage on schema auth to job_service;
grant execute on function auth.jwt() to job_service;
grant execute on function private.org_id(), private.org_role(), private.subject() to job_service;

create table public.jobs (
  id uuid primary key default gen_random_uuid(),
  org_id text not null references public.organizations (id) on delete cascade,
  kind text not null check (kind ~ '^[a-z][a-z0-9_.]{1,63}$'),
  payload jsonb not null default '{}'::jsonb check (jsonb_typeof(payload) = 'object' and octet_length(payload::text) <= 65536),
  idempotency_key text check (idempotency_key is null or length(idempotency_key) between 1 and 255),
  state text not null default 'pending' check (state in ('pending', 'running', 'succeeded', 'dead')),
  attempts int not null default 0 check (attempts >= 0),
  max_attempts int not null default 5 check (max_attempts between 1 and 25),
  run_at timestamptz not null default now(),
  locked_until timestamptz,
  locked_by text check (locked_by is null or length(locked_by) <= 128),
  lease_token uuid,
  -- A short message only: the worker stores an error's name and first line, never a stack or a payload.
  last_error text check (last_error is null or length(last_error) <= 500),
  created_by text not null check (length(created_by) <= 128),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz,
  check ((state = 'running') = (lease_token is not null and locked_until is not null))
);
-- Enqueueing the same (org, kind, idempotency key) twice yields one job (NULL keys never collide).
create unique index jobs_idempotency_idx on public.jobs (org_id, kind, idempotency_key);
create index jobs_pending_run_at_idx on public.jobs (run_at) where state = 'pending';
create index jobs_running_locked_until_idx on public.jobs (locked_until) where state = 'running';
create index jobs_org_id_state_idx on public.jobs (org_id, state, created_at desc);

revoke all on public.jobs from public, anon, authenticated, job_runner, job_service;
-- Column grants: an enqueue can set what a caller decides, never the state, attempts, lease or error.
grant insert (org_id, kind, payload, idempotency_key, run_at, max_attempts, created_by) on public.jobs to authenticated;
grant select on public.jobs to authenticated;
grant update (state, attempts, run_at, updated_at, finished_at) on public.jobs to authenticated;

alter table public.jobs enable row level security;
alter table public.jobs force row level security;

create policy jobs_insert on public.jobs for insert to authenticated
  with check (
    org_id = (select private.org_id())
    and created_by = (select private.subject())
    and (select private.key_may_write())
  );
create policy jobs_select on public.jobs for select to authenticated
  using (
    org_id = (select private.org_id())
    and ((select private.is_org_admin()) or created_by = (select private.subject()))
  );
-- Re-queueing a dead job: owners and admins of its org, back to a fresh pending job and nothing else.
create policy jobs_requeue on public.jobs for update to authenticated
  using (org_id = (select private.org_id()) and (select private.is_org_admin()) and state = 'dead')
  with check (org_id = (select private.org_id()) and state = 'pending' and attempts = 0 and finished_at is null);

-- What a handler may read: the documents of its own org (the scan job). Nothing else is granted to job_service.
grant select on public.documents to job_service;
create policy documents_job_service_select on public.documents for select to job_service
  using (org_id = (select private.org_id()));

-- Claims up to p_limit due jobs of the given kinds for worker p_worker, each under a fresh lease of p_lease_seconds.
-- First, jobs whose lease expired (their worker died or hung) go back to pending, or to dead when that was their
-- last attempt, so a job that kills its worker every time ends in the dead-letter state instead of looping.
create or replace function private.claim_jobs(p_worker text, p_kinds text[], p_limit int, p_lease_seconds int)
returns table (id uuid, org_id text, kind text, payload jsonb, attempts int, max_attempts int, lease_token uuid)
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  if p_limit is null or p_limit < 1 or p_limit > 100 or p_lease_seconds is null or p_lease_seconds < 1 or p_lease_seconds > 3600 then
    raise exception 'claim_jobs: limit 1..100 and lease 1..3600 seconds' using errcode = '22023';
  end if;
  update public.jobs j
     set state = case when j.attempts >= j.max_attempts then 'dead' else 'pending' end,
         last_error = 'lease expired: the worker stopped or hung during attempt ' || j.attempts,
         finished_at = case when j.attempts >= j.max_attempts then now() end,
         locked_until = null, locked_by = null, lease_token = null, updated_at = now()
   where j.id in (
     select e.id from public.jobs e
      where e.state = 'running' and e.locked_until < now()
      for update skip locked
   );
  return query
    with picked as (
      select p.id from public.jobs p
       where p.state = 'pending' and p.run_at <= now() and p.kind = any (p_kinds)
       order by p.run_at
       limit p_limit
       for update skip locked
    )
    update public.jobs j
       set state = 'running', attempts = j.attempts + 1,
           locked_until = now() + make_interval(secs => p_lease_seconds),
           locked_by = p_worker, lease_token = gen_random_uuid(), updated_at = now()
      from picked
     where j.id = picked.id
    returning j.id, j.org_id, j.kind, j.payload, j.attempts, j.max_attempts, j.lease_token;
end
$$;

-- The worker still holds the lease: extend it (a long handler's heartbeat). False when the lease was lost.
create or replace function private.extend_job_lease(p_id uuid, p_lease uuid, p_lease_seconds int) returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  update public.jobs j set locked_until = now() + make_interval(secs => least(greatest(p_lease_seconds, 1), 3600)), updated_at = now()
   where j.id = p_id and j.lease_token = p_lease and j.state = 'running';
  return found;
end
$$;

create or replace function private.complete_job(p_id uuid, p_lease uuid) returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  update public.jobs j
     set state = 'succeeded', finished_at = now(), last_error = null,
         locked_until = null, locked_by = null, lease_token = null, updated_at = now()
   where j.id = p_id and j.lease_token = p_lease and j.state = 'running';
  return found;
end
$$;

-- A failed attempt: retried after p_retry_seconds, or dead when it was the last attempt or p_dead says the job can
-- never succeed (e.g. its payload does not match its kind's schema). Returns the new state, or NULL without the lease.
create or replace function private.fail_job(p_id uuid, p_lease uuid, p_error text, p_retry_seconds double precision, p_dead boolean)
returns text
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_state text;
begin
  update public.jobs j
     set state = case when p_dead or j.attempts >= j.max_attempts then 'dead' else 'pending' end,
         run_at = case when p_dead or j.attempts >= j.max_attempts then j.run_at
                       else now() + make_interval(secs => least(greatest(coalesce(p_retry_seconds, 0), 0), 86400)) end,
         finished_at = case when p_dead or j.attempts >= j.max_attempts then now() end,
         last_error = left(coalesce(p_error, 'failed'), 500),
         locked_until = null, locked_by = null, lease_token = null, updated_at = now()
   where j.id = p_id and j.lease_token = p_lease and j.state = 'running'
  returning j.state into v_state;
  return v_state;
end
$$;

-- A graceful stop: the job goes back to pending at once, and the attempt it did not finish is not counted.
create or replace function private.release_job(p_id uuid, p_lease uuid) returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  update public.jobs j
     set state = 'pending', attempts = greatest(j.attempts - 1, 0), run_at = now(),
         locked_until = null, locked_by = null, lease_token = null, updated_at = now()
   where j.id = p_id and j.lease_token = p_lease and j.state = 'running';
  return found;
end
$$;

-- OBS-4: the queue's health, across orgs but as counts only (no org, kind payload or error is returned).
create or replace function private.job_queue_stats()
returns table (due bigint, scheduled bigint, running bigint, dead bigint, oldest_due_seconds double precision)
language sql stable security definer
set search_path = ''
as $$
  select count(*) filter (where j.state = 'pending' and j.run_at <= now()),
         count(*) filter (where j.state = 'pending' and j.run_at > now()),
         count(*) filter (where j.state = 'running'),
         count(*) filter (where j.state = 'dead'),
         coalesce(extract(epoch from now() - min(j.run_at) filter (where j.state = 'pending' and j.run_at <= now())), 0)::double precision
    from public.jobs j
   where j.state in ('pending', 'running', 'dead')
$$;

-- TEN-2 for jobs: the claims of a job_service transaction are backed by a live lease on a job of exactly that org
-- and kind; otherwise the transaction fails before any of the handler's statements runs.
create or replace function private.assert_job_lease(p_id uuid, p_lease uuid) returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_claims jsonb := auth.jwt();
begin
  if v_claims ->> 'sub' is distinct from 'service:jobs'
     or v_claims -> 'o' ->> 'rol' is distinct from 'service'
     or v_claims -> 'job' ->> 'id' is distinct from p_id::text
     or not exists (
       select 1 from public.jobs j
        where j.id = p_id and j.lease_token = p_lease and j.state = 'running' and j.locked_until > now()
          and j.org_id = v_claims -> 'o' ->> 'id' and j.kind = v_claims -> 'job' ->> 'kind'
     )
  then
    raise exception 'no live lease backs these job claims' using errcode = '28000';
  end if;
  return true;
end
$$;

revoke all on function private.claim_jobs(text, text[], int, int) from public, anon, authenticated;
revoke all on function private.extend_job_lease(uuid, uuid, int) from public, anon, authenticated;
revoke all on function private.complete_job(uuid, uuid) from public, anon, authenticated;
revoke all on function private.fail_job(uuid, uuid, text, double precision, boolean) from public, anon, authenticated;
revoke all on function private.release_job(uuid, uuid) from public, anon, authenticated;
revoke all on function private.job_queue_stats() from public, anon, authenticated;
revoke all on function private.assert_job_lease(uuid, uuid) from public, anon, authenticated;
grant execute on function private.claim_jobs(text, text[], int, int) to job_runner;
grant execute on function private.extend_job_lease(uuid, uuid, int) to job_runner;
grant execute on function private.complete_job(uuid, uuid) to job_runner;
grant execute on function private.fail_job(uuid, uuid, text, double precision, boolean) to job_runner;
grant execute on function private.release_job(uuid, uuid) to job_runner;
grant execute on function private.job_queue_stats() to job_runner;
grant execute on function private.assert_job_lease(uuid, uuid) to job_service;
