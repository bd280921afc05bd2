-- The scheduler the later layers rely on: pg_cron fires jobs, pg_net sends
-- HTTP requests after commit. Both exist on Supabase (hosted and local); this
-- enables them where they are available, once, so the schedule migrations of
-- the API and operations layers only have to ask whether they are there.
--
-- On a PostgreSQL without them (a plain server in CI) nothing happens, and the
-- schedules explain what to run instead.
do $outer$
declare
  v_ext record;
begin
  for v_ext in
    select * from (values ('pg_cron', 'pg_catalog'), ('pg_net', 'extensions')) as e (name, schema_name)
  loop
    if exists (select 1 from pg_available_extensions where name = v_ext.name)
       and not exists (select 1 from pg_extension where extname = v_ext.name) then
      begin
        execute format('create extension %I with schema %I', v_ext.name, v_ext.schema_name);
      exception when others then
        -- Available but not loadable (pg_cron needs shared_preload_libraries).
        raise notice '% not enabled (%): enable it in Dashboard > Database > Extensions', v_ext.name, sqlerrm;
      end;
    end if;
  end loop;
end
$outer$;
