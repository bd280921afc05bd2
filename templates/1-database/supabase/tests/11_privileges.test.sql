-- Layer 1 privileges, checked from the catalog: what the API roles could do
-- through the Data API if they tried. Holds under both the legacy default
-- grants and the 2026 "not exposed by default" mode.
begin;
select plan(16);

-- RLS on every table in public (plain and partitioned), and in private.
select is(
  (select coalesce(array_agg(c.relname::text order by c.relname), '{}')
   from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname in ('public', 'private') and c.relkind in ('r', 'p') and not c.relrowsecurity),
  '{}'::text[],
  'row level security is enabled on every table in public and private'
);

-- anon: nothing at all.
select is(
  (select coalesce(array_agg(c.relname::text order by c.relname), '{}')
   from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname in ('public', 'private') and c.relkind in ('r', 'p', 'v', 'm', 'f')
     and (has_table_privilege('anon', c.oid, 'select,insert,update,delete,truncate,references,trigger')
          or has_any_column_privilege('anon', c.oid, 'select,insert,update,references'))),
  '{}'::text[],
  'anon has no privilege on any table or view'
);
select is(
  (select coalesce(array_agg(c.relname::text order by c.relname), '{}')
   from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname in ('public', 'private')
     and case when c.relkind = 'S' then has_sequence_privilege('anon', c.oid, 'usage,select,update') else false end),
  '{}'::text[],
  'anon has no privilege on any sequence'
);

-- authenticated: reads through RLS, writes nothing.
select is(
  (select coalesce(array_agg(c.relname::text order by c.relname), '{}')
   from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname in ('public', 'private') and c.relkind in ('r', 'p', 'v', 'm', 'f')
     and (has_table_privilege('authenticated', c.oid, 'insert,update,delete,truncate,references,trigger')
          or has_any_column_privilege('authenticated', c.oid, 'insert,update,references'))),
  '{}'::text[],
  'authenticated cannot insert, update or delete any table (nor any column of one)'
);
select is(
  (select coalesce(array_agg(c.relname::text order by c.relname), '{}')
   from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname in ('public', 'private')
     and case when c.relkind = 'S' then has_sequence_privilege('authenticated', c.oid, 'usage,select,update') else false end),
  '{}'::text[],
  'authenticated has no privilege on any sequence'
);
select is(
  (select coalesce(array_agg(c.relname::text order by c.relname), '{}')
   from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'public' and c.relkind in ('r', 'p')
     and (has_table_privilege('authenticated', c.oid, 'select')
          or has_any_column_privilege('authenticated', c.oid, 'select'))
     and not exists (select 1 from pg_policies p
                     where p.schemaname = 'public' and p.tablename = c.relname
                       and p.cmd in ('SELECT', 'ALL') and 'authenticated' = any (p.roles))),
  '{}'::text[],
  'authenticated reads a table only through a select policy'
);

-- Policies: read-only, for authenticated only; ownership through (select auth.uid()).
select is(
  (select count(*)::int from pg_policies where schemaname = 'public' and cmd <> 'SELECT'),
  0,
  'no insert, update, delete or all policy in public: clients write nothing'
);
select is(
  (select count(*)::int from pg_policies where schemaname = 'public' and roles <> '{authenticated}'::name[]),
  0,
  'every policy in public is "to authenticated"'
);
select is(
  (select count(*)::int from pg_policies
   where schemaname = 'public' and qual ~ 'auth\.uid\(\)' and qual !~* 'select auth\.uid\(\)'),
  0,
  'policies call auth.uid() through a subselect (evaluated once per statement)'
);

-- Internal schema: unreachable for the API roles.
select ok(
  not has_schema_privilege('anon', 'private', 'usage')
  and not has_schema_privilege('authenticated', 'private', 'usage')
  and not has_schema_privilege('service_role', 'private', 'usage'),
  'anon, authenticated and service_role have no usage on schema private'
);
select is(
  (select coalesce(array_agg(c.relname::text order by c.relname), '{}')
   from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'private' and c.relkind in ('r', 'p')
     and has_table_privilege('service_role', c.oid, 'select,insert,update,delete,truncate')),
  '{}'::text[],
  'service_role has no privilege on the internal tables'
);

-- Functions: none in public executable by anon or authenticated; none in
-- private executable by any API role.
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by 1), '{}')
   from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname = 'public'
     and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute'))),
  '{}'::text[],
  'no function in public is executable by anon or authenticated'
);
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by 1), '{}')
   from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname = 'private'
     and (has_function_privilege('anon', p.oid, 'execute')
          or has_function_privilege('authenticated', p.oid, 'execute')
          or has_function_privilege('service_role', p.oid, 'execute'))),
  '{}'::text[],
  'no function in private is executable by an API role'
);
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by 1), '{}')
   from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname in ('public', 'private')
     and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%')),
  '{}'::text[],
  'every function in public and private pins its search_path'
);

-- service_role: reads everything in public, writes only the one bookkeeping column.
select is(
  (select coalesce(array_agg(c.relname::text order by c.relname), '{}')
   from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'public' and c.relkind in ('r', 'p')
     and not has_table_privilege('service_role', c.oid, 'select')),
  '{}'::text[],
  'service_role can read every table in public'
);
select is(
  (select coalesce(array_agg(c.relname::text || '.' || a.attname::text order by 1), '{}')
   from pg_class c join pg_namespace n on n.oid = c.relnamespace
   join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
   where n.nspname = 'public' and c.relkind in ('r', 'p')
     and (has_column_privilege('service_role', c.oid, a.attnum, 'insert')
          or has_column_privilege('service_role', c.oid, a.attnum, 'update'))),
  array['video_jobs.provider_status_url']::text[],
  'service_role writes no column directly except video_jobs.provider_status_url'
);

select * from finish();
rollback;
