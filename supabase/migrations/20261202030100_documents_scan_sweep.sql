-- FILE-2: documents the scanner never decided get a scan again, and never two at once.
--
-- A document stays pending_scan when its scan job completed with no scanner configured, or scan_failed when its job
-- died after its last attempt; a job row can also be gone. The scheduled task `documents.scan-sweep`
-- (lib/documents/sweep.ts) calls private.sweep_unscanned_documents under its schedule lease: for each such document
-- with no live (pending or running) scan job, the document's own scan job (idempotency key `scan:<id>`) is
-- enqueued again, or created when it no longer exists.

-- One live scan job per document at most, whoever enqueues it (upload, re-scan, sweep, an admin's re-queue).
create unique index jobs_one_live_scan_per_document_idx on public.jobs (org_id, (payload ->> 'documentId'))
  where kind = 'documents.scan' and state in ('pending', 'running');

create or replace function private.sweep_unscanned_documents(p_lease uuid, p_limit int)
returns table (enqueued int, requeued int, skipped int)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_doc record;
  v_inserted boolean;
  v_enqueued int := 0;
  v_requeued int := 0;
  v_skipped int := 0;
begin
  perform private.assert_schedule_lease('documents.scan-sweep', p_lease);
  if p_limit is null or p_limit < 1 or p_limit > 1000 then
    raise exception 'sweep_unscanned_documents: limit 1..1000' using errcode = '22023';
  end if;
  for v_doc in
    select d.id, d.org_id from public.documents d
     where d.status in ('pending_scan', 'scan_failed')
       and d.storage_key = 'quarantine/' || d.org_id || '/' || d.id::text
       and not exists (
         select 1 from public.jobs j
          where j.org_id = d.org_id and j.kind = 'documents.scan' and j.state in ('pending', 'running')
            and j.payload ->> 'documentId' = d.id::text
       )
     order by d.created_at
     limit p_limit
     for update of d skip locked
  loop
    begin
      v_inserted := null;
      insert into public.jobs (org_id, kind, payload, idempotency_key, created_by)
      values (v_doc.org_id, 'documents.scan', jsonb_build_object('documentId', v_doc.id::text), 'scan:' || v_doc.id::text, 'service:scheduler')
      on conflict (org_id, kind, idempotency_key) do update
        set state = 'pending', attempts = 0, run_at = now(), finished_at = null, updated_at = now(),
            last_error = 'requeued by the scan sweep after: ' || coalesce(left(public.jobs.last_error, 400), public.jobs.state)
        where public.jobs.state in ('succeeded', 'dead')
      returning (xmax = 0) into v_inserted;
      if v_inserted is null then
        v_skipped := v_skipped + 1;
      elsif v_inserted then
        v_enqueued := v_enqueued + 1;
      else
        v_requeued := v_requeued + 1;
      end if;
    exception when unique_violation then
      -- A scan job for it was enqueued meanwhile (jobs_one_live_scan_per_document_idx): that one scans it.
      v_skipped := v_skipped + 1;
    end;
  end loop;
  return query select v_enqueued, v_requeued, v_skipped;
end
$$;

revoke all on function private.sweep_unscanned_documents(uuid, int) from public, anon, authenticated, job_service;
grant execute on function private.sweep_unscanned_documents(uuid, int) to job_runner;
