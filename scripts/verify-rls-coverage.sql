-- TEN-5: row-level security coverage of the app schemas.
--
-- Lists every table (ordinary or partitioned, partitions included) in the app schemas `public`, `idp` and
-- `private` that does not have row-level security ENABLED, does not have it FORCED (so the owner would bypass
-- it), or has no policy at all. One row per offending table; `problem` names every shortcoming.
-- An EMPTY RESULT MEANS PASS.
--
-- Plain SQL over the system catalogs: runs unchanged on PostgreSQL, PGlite and Supabase, e.g.
--   psql "$MIGRATION_DATABASE_URL" -f scripts/verify-rls-coverage.sql
-- (psql exits 0 whatever the result; `npm run verify:rls` runs this file and exits 1 when rows come back).
--
-- Views, sequences and foreign tables are not listed: they hold no rows of their own.
-- A table that an extension installed into an app schema IS listed on purpose: install extensions into
-- their own schema (Supabase: `extensions`) rather than exempting their tables here.
select
  n.nspname as schema,
  c.relname as "table",
  concat_ws(', ',
    case when not c.relrowsecurity then 'row level security not enabled' end,
    case when not c.relforcerowsecurity then 'row level security not forced' end,
    case when not exists (select 1 from pg_catalog.pg_policy p where p.polrelid = c.oid) then 'no policy' end
  ) as problem
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where n.nspname in ('public', 'idp', 'private')
  and c.relkind in ('r', 'p')
  and (
    not c.relrowsecurity
    or not c.relforcerowsecurity
    or not exists (select 1 from pg_catalog.pg_policy p where p.polrelid = c.oid)
  )
order by n.nspname, c.relname;
