-- Scheduled maintenance tasks (lib/jobs/schedules.ts): one row per named task, run at most once per interval across
-- every worker. A worker claims a due task with FOR UPDATE SKIP LOCKED under a lease (like a job), runs the task's
-- function, and records the outcome; the next run is due one interval after the run finished. A worker that dies
-- mid-run loses the task when its lease expires, and another worker runs it.
--
-- Principals: only `job_runner` (the worker's queue role: NOLOGIN, owns nothing, no table privileges) executes the
-- functions below. A task's own work is one more SECURITY DEFINER function granted to job_runner alone, which begins
-- with private.assert_schedule_lease(name, lease): it does its one thing, only while a live lease on that task
-- backs the call, and never as the owner's session.

create table private.scheduled_tasks (
  name text primary key check (name ~ '^[a-z][a-z0-9_.-]{1,63}$'),
  every_ms bigint not null check (every_ms between 1000 and 2678400000),
  next_run_at timestamptz not null default now(),
  locked_until timestamptz,
  locked_by text check (locked_by is null or length(locked_by) <= 128),
  lease_token uuid,
  last_started_at timestamptz,
  last_finished_at timestamptz,
  last_status text check (last_status is null or last_status in ('succeeded', 'failed')),
  -- The worker stores an error's name and masked first line (lib/jobs/errors.ts describeFailure), never a stack.
  last_error text check (last_error is null or length(last_error) <= 500),
  -- What a successful run reported (counts only: lib/jobs/schedules.ts bounds it).
  last_result jsonb check (last_result is null or (jsonb_typeof(last_result) = 'object' and octet_length(last_result::text) <= 2048)),
  runs bigint not null default 0,
  failures bigint not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((lease_token is null) = (locked_until is null))
);
create index scheduled_tasks_next_run_at_idx on private.scheduled_tasks (next_run_at);

-- No request role reads or writes schedules; the functions below are the only way in (TEN-5: a policy that admits nothing).
revoke all on private.scheduled_tasks from public, anon, authenticated, job_runner, job_service;
alter table private.scheduled_tasks enable row level security;
alter table private.scheduled_tasks force row level security;
create policy scheduled_tasks_no_direct_access on private.scheduled_tasks for all
  using (false) with check (false);

-- Declares a task (at every worker's start): a new one is due at once; a changed interval applies from now (the next
-- run comes no later than one new interval away).
create or replace function private.register_schedule(p_name text, p_every_ms bigint) returns void
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  insert into private.scheduled_tasks (name, every_ms) values (p_name, p_every_ms)
  on conflict (name) do update
    set every_ms = excluded.every_ms,
        next_run_at = least(private.scheduled_tasks.next_run_at, now() + make_interval(secs => excluded.every_ms / 1000.0)),
        updated_at = now()
    where private.scheduled_tasks.every_ms is distinct from excluded.every_ms;
end
$$;

-- Claims up to p_limit of the named tasks that are due and not leased to a live worker, each under a fresh lease.
-- SKIP LOCKED: a task another worker is claiming right now is left to it; the lease keeps it from every other worker
-- until it finishes (or the lease expires, when its worker died).
create or replace function private.claim_schedules(p_worker text, p_names text[], p_limit int, p_lease_seconds int)
returns table (name text, every_ms bigint, lease_token uuid)
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  if p_limit is null or p_limit < 1 or p_limit > 100 or p_lease_seconds is null or p_lease_seconds < 1 or p_lease_seconds > 86400 then
    raise exception 'claim_schedules: limit 1..100 and lease 1..86400 seconds' using errcode = '22023';
  end if;
  return query
    with picked as (
      select s.name from private.scheduled_tasks s
       where s.name = any (p_names) and s.next_run_at <= now()
         and (s.locked_until is null or s.locked_until < now())
       order by s.next_run_at
       limit p_limit
       for update skip locked
    )
    update private.scheduled_tasks s
       set locked_until = now() + make_interval(secs => p_lease_seconds), locked_by = p_worker,
           lease_token = gen_random_uuid(), last_started_at = now(), updated_at = now()
      from picked
     where s.name = picked.name
    returning s.name, s.every_ms, s.lease_token;
end
$$;

create or replace function private.extend_schedule_lease(p_name text, p_lease uuid, p_lease_seconds int) returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  update private.scheduled_tasks s set locked_until = now() + make_interval(secs => least(greatest(p_lease_seconds, 1), 86400)), updated_at = now()
   where s.name = p_name and s.lease_token = p_lease and s.locked_until > now();
  return found;
end
$$;

-- Records a run's outcome (p_error null: succeeded) and makes the task due one interval from now. False when the
-- lease was lost meanwhile (another worker may be running it: its outcome is the one recorded).
create or replace function private.finish_schedule(p_name text, p_lease uuid, p_error text, p_result jsonb) returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  update private.scheduled_tasks s
     set next_run_at = now() + make_interval(secs => s.every_ms / 1000.0),
         last_finished_at = now(),
         last_status = case when p_error is null then 'succeeded' else 'failed' end,
         last_error = left(p_error, 500),
         last_result = case when p_error is null then p_result end,
         runs = s.runs + 1,
         failures = s.failures + case when p_error is null then 0 else 1 end,
         locked_until = null, locked_by = null, lease_token = null, updated_at = now()
   where s.name = p_name and s.lease_token = p_lease;
  return found;
end
$$;

-- A graceful stop before the task ran to its end: the lease goes, the task stays due (no run is counted).
create or replace function private.release_schedule(p_name text, p_lease uuid) returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  update private.scheduled_tasks s set locked_until = null, locked_by = null, lease_token = null, updated_at = now()
   where s.name = p_name and s.lease_token = p_lease;
  return found;
end
$$;

-- The first statement of every task function: a live lease on exactly that task backs the call, else 28000. Called
-- only from inside those (owner's) functions: no role is granted it.
create or replace function private.assert_schedule_lease(p_name text, p_lease uuid) returns void
language plpgsql stable security definer
set search_path = ''
as $$
begin
  if p_lease is null or not exists (
    select 1 from private.scheduled_tasks s where s.name = p_name and s.lease_token = p_lease and s.locked_until > now()
  ) then
    raise exception 'no live lease backs this scheduled task' using errcode = '28000';
  end if;
end
$$;

-- OBS-4: each task's last outcome and next run, without its error text or result (for /health/status and checks).
create or replace function private.schedule_status()
returns table (name text, every_ms bigint, next_run_at timestamptz, last_finished_at timestamptz, last_status text, running boolean)
language sql stable security definer
set search_path = ''
as $$
  select s.name, s.every_ms, s.next_run_at, s.last_finished_at, s.last_status, coalesce(s.locked_until > now(), false)
    from private.scheduled_tasks s
   order by s.name
$$;

revoke all on function private.register_schedule(text, bigint) from public, anon, authenticated, job_service;
revoke all on function private.claim_schedules(text, text[], int, int) from public, anon, authenticated, job_service;
revoke all on function private.extend_schedule_lease(text, uuid, int) from public, anon, authenticated, job_service;
revoke all on function private.finish_schedule(text, uuid, text, jsonb) from public, anon, authenticated, job_service;
revoke all on function private.release_schedule(text, uuid) from public, anon, authenticated, job_service;
revoke all on function private.assert_schedule_lease(text, uuid) from public, anon, authenticated, job_service;
revoke all on function private.schedule_status() from public, anon, authenticated, job_service;
grant execute on function private.register_schedule(text, bigint) to job_runner;
grant execute on function private.claim_schedules(text, text[], int, int) to job_runner;
grant execute on function private.extend_schedule_lease(text, uuid, int) to job_runner;
grant execute on function private.finish_schedule(text, uuid, text, jsonb) to job_runner;
grant execute on function private.release_schedule(text, uuid) to job_runner;
grant execute on function private.schedule_status() to job_runner;
