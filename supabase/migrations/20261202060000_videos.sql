-- BIL-2: Mux videos per project. TEN-1: RLS ENABLED and FORCED, the same policies as documents (the caller's org
-- from the verified claims, a project-scoped key limited to its project); the caller creates a row only for itself,
-- with the upload id Mux returned, and never chooses its status. Status changes come only from Mux's webhooks,
-- through one SECURITY DEFINER function executable by the NOLOGIN role `video_events` alone, which finds the video
-- from our own records (the upload or asset id we stored), never from an org named in a payload.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'video_events') then
    create role video_events nologin noinherit nosuperuser nocreatedb nocreaterole nobypassrls;
  end if;
end
$$;
grant video_events to app_runtime;
grant usage on schema private to video_events;

create table public.videos (
  id uuid primary key default gen_random_uuid(),
  org_id text not null,
  project_id uuid not null,
  title text not null check (length(btrim(title)) between 1 and 100),
  -- Mux's identifiers: letters and digits (a conservative pattern, so nothing else can be stored or rendered).
  mux_upload_id text not null unique check (mux_upload_id ~ '^[A-Za-z0-9]{1,128}$'),
  mux_asset_id text unique check (mux_asset_id is null or mux_asset_id ~ '^[A-Za-z0-9]{1,128}$'),
  playback_id text check (playback_id is null or playback_id ~ '^[A-Za-z0-9]{1,128}$'),
  -- What the upload asked Mux for: signed playback when a signing key is configured, public otherwise.
  playback_policy text not null check (playback_policy in ('public', 'signed')),
  status text not null default 'waiting' check (status in ('waiting', 'ready', 'errored')),
  error_message text check (error_message is null or length(error_message) <= 300),
  created_by text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- WH-3: the created_at of the newest Mux event applied; an older one never overwrites what it set.
  last_event_at timestamptz,
  check (status <> 'ready' or playback_id is not null),
  foreign key (org_id, project_id) references public.projects (org_id, id) on delete cascade
);
create index videos_org_id_project_id_created_at_idx on public.videos (org_id, project_id, created_at desc);
-- The live check's scan for uploads that never completed.
create index videos_status_created_at_idx on public.videos (status, created_at) where status = 'waiting';

revoke all on public.videos from public, anon, authenticated;
grant select on public.videos to authenticated;
-- A creation names only what the caller decides; status, asset, playback id and times are the database's and Mux's.
grant insert (id, org_id, project_id, title, mux_upload_id, playback_policy, created_by) on public.videos to authenticated;

alter table public.videos enable row level security;
alter table public.videos force row level security;

create policy videos_select on public.videos for select to authenticated
  using (
    org_id = (select private.org_id())
    and ((select private.scoped_project_id()) is null or project_id = (select private.scoped_project_id()))
  );
create policy videos_insert on public.videos for insert to authenticated
  with check (
    org_id = (select private.org_id())
    and created_by = (select private.subject())
    and ((select private.scoped_project_id()) is null or project_id = (select private.scoped_project_id()))
  );
create policy videos_key_write_insert on public.videos as restrictive for insert to authenticated
  with check ((select private.key_may_write()));

-- BIL-2 / WH-3: applies one verified Mux event to the video it belongs to. The video is the row whose stored upload
-- id (or, without one in the event, asset id) matches; a passthrough, when the event carries one, must be that row's
-- own id, and an asset id must not contradict the one already linked. An event older than the newest one applied
-- (created_at before last_event_at) changes nothing. A caller that already knows the org (the webhook kernel's scope)
-- passes it, and a row of any other org is then a mismatch. Returns what happened and, when a row matched, its org
-- and id.
--   applied   the event's effect is stored
--   stale     an older event than one already applied: nothing changed
--   unknown   no video of ours has that upload or asset id
--   mismatch  the event's passthrough or asset id, or the caller's org, contradicts our row: nothing changed
create or replace function private.apply_mux_video_event(
  p_type text,
  p_event_at timestamptz,
  p_upload_id text,
  p_asset_id text,
  p_passthrough text,
  p_playback_ids jsonb,
  p_error text,
  p_expected_org text
) returns table (outcome text, org_id text, video_id uuid)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v public.videos%rowtype;
  v_playback text;
begin
  if p_type is null or p_event_at is null
     or p_type not in ('video.upload.asset_created', 'video.upload.errored', 'video.upload.cancelled', 'video.asset.ready', 'video.asset.errored')
     or (p_upload_id is null and p_asset_id is null)
     or (p_playback_ids is not null and jsonb_typeof(p_playback_ids) <> 'array') then
    raise exception 'apply_mux_video_event: a known event type, its time, and an upload or asset id' using errcode = '22023';
  end if;

  if p_upload_id is not null then
    select * into v from public.videos x where x.mux_upload_id = p_upload_id for update;
  else
    select * into v from public.videos x where x.mux_asset_id = p_asset_id for update;
  end if;
  if not found then
    return query select 'unknown'::text, null::text, null::uuid;
    return;
  end if;
  if (p_expected_org is not null and v.org_id is distinct from p_expected_org)
     or (p_passthrough is not null and p_passthrough is distinct from v.id::text)
     or (p_asset_id is not null and v.mux_asset_id is not null and v.mux_asset_id <> p_asset_id) then
    return query select 'mismatch'::text, v.org_id, v.id;
    return;
  end if;
  if v.last_event_at is not null and p_event_at < v.last_event_at then
    return query select 'stale'::text, v.org_id, v.id;
    return;
  end if;

  -- A ready asset plays through the playback id of the policy the upload asked for (signed or public), never another.
  if p_type = 'video.asset.ready' then
    select e ->> 'id' into v_playback
      from jsonb_array_elements(coalesce(p_playback_ids, '[]'::jsonb)) e
     where e ->> 'policy' = v.playback_policy and (e ->> 'id') ~ '^[A-Za-z0-9]{1,128}$'
     limit 1;
  end if;

  update public.videos x
     set mux_asset_id = coalesce(x.mux_asset_id, p_asset_id),
         status = case
                    when p_type = 'video.asset.ready' and v_playback is not null then 'ready'
                    when p_type = 'video.asset.ready' then 'errored'
                    when p_type in ('video.asset.errored', 'video.upload.errored', 'video.upload.cancelled') then 'errored'
                    else x.status
                  end,
         playback_id = case when p_type = 'video.asset.ready' then v_playback else x.playback_id end,
         error_message = case
                           when p_type = 'video.asset.ready' and v_playback is not null then null
                           when p_type = 'video.asset.ready' then 'Mux gave this video no ' || v.playback_policy || ' playback id.'
                           when p_type in ('video.asset.errored', 'video.upload.errored', 'video.upload.cancelled')
                             then left(coalesce(nullif(p_error, ''), 'Mux could not process this video.'), 300)
                           else x.error_message
                         end,
         last_event_at = p_event_at,
         updated_at = now()
   where x.id = v.id;
  return query select 'applied'::text, v.org_id, v.id;
end
$$;
revoke all on function private.apply_mux_video_event(text, timestamptz, text, text, text, jsonb, text, text) from public, anon, authenticated;
grant execute on function private.apply_mux_video_event(text, timestamptz, text, text, text, jsonb, text, text) to video_events;
