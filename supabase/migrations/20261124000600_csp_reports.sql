-- HDR-2: a bounded sample of Content-Security-Policy violation reports. Not tenant data: browsers send reports
-- without credentials. Written only through a SECURITY DEFINER function that keeps the newest 1,000.

create table private.csp_reports (
  id bigint generated always as identity primary key,
  received_at timestamptz not null default now(),
  document_uri text,
  violated_directive text,
  blocked_uri text,
  report jsonb not null
);
create index csp_reports_received_at_idx on private.csp_reports (received_at desc);

revoke all on private.csp_reports from public, anon, authenticated;
alter table private.csp_reports enable row level security;
alter table private.csp_reports force row level security;
create policy csp_reports_no_direct_access on private.csp_reports for all to authenticated
  using (false) with check (false);

create or replace function private.record_csp_report(p_report jsonb) returns void
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  insert into private.csp_reports (document_uri, violated_directive, blocked_uri, report)
  values (
    left(p_report ->> 'documentURL', 2048),
    left(p_report ->> 'effectiveDirective', 256),
    left(p_report ->> 'blockedURL', 2048),
    p_report
  );
  delete from private.csp_reports
  where id <= (select id from private.csp_reports order by id desc offset 1000 limit 1);
end
$$;
revoke all on function private.record_csp_report(jsonb) from public;
grant execute on function private.record_csp_report(jsonb) to anon;
