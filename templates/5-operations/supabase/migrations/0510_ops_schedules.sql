-- Layer 5: the schedules that keep the money right without anyone watching.
--
--   reap-stuck-video-jobs  every 5 minutes: fails and refunds jobs that are
--                          not final after 30 minutes and that the provider,
--                          asked first, says are not done (public.reap_stuck_jobs)
--   purge-cron-history     daily: pg_cron never cleans cron.job_run_details
--
-- pg_cron exists on Supabase (hosted and local) and is enabled, where
-- available, by the database layer's scheduler_extensions migration.
-- Elsewhere (a plain PostgreSQL in CI) this migration still applies and
-- schedules nothing; run `select public.reap_stuck_jobs();` from your own
-- scheduler there.
-- cron.schedule with an existing job name updates that job, so re-running
-- this is harmless.
do $outer$
begin
  if exists (select 1 from pg_extension where extname = 'pg_cron') then
    perform cron.schedule(
      'reap-stuck-video-jobs',
      '*/5 * * * *',
      'select public.reap_stuck_jobs()'
    );
    perform cron.schedule(
      'purge-cron-history',
      '17 3 * * *',
      $$delete from cron.job_run_details where end_time < now() - interval '7 days'$$
    );
  else
    raise notice 'pg_cron is not installed: stuck jobs are not reaped automatically';
  end if;
end
$outer$;
