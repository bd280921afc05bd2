-- Layer 3: call the poll-jobs Edge Function every minute.
--
-- poll-jobs refreshes jobs of providers without webhooks (Runway) and jobs
-- whose webhook seems lost, then reaps stuck jobs. pg_cron fires the job,
-- pg_net sends the HTTP request (after commit, without blocking the database).
--
-- Where the call goes and how it proves itself come from Vault, so no secret
-- is written into a migration. `npm run deploy` stores both (its vault step:
-- `project_url`, and `cron_secret` = the CRON_SECRET function secret); by
-- hand, once per project, in the SQL editor:
--
--   select vault.create_secret('https://<project-ref>.supabase.co', 'project_url');
--   select vault.create_secret('<the same value as the CRON_SECRET function secret>', 'cron_secret');
--
-- Until both Vault secrets exist the schedule runs and sends nothing.
--
-- pg_cron and pg_net are enabled, where available, by the database layer's
-- scheduler_extensions migration. On a PostgreSQL without them (CI) this
-- migration applies and schedules nothing. Scheduling again with the same
-- job name updates the job.
do $outer$
begin
  if not exists (select 1 from pg_extension where extname = 'pg_cron')
     or not exists (select 1 from pg_extension where extname = 'pg_net') then
    raise notice 'pg_cron or pg_net missing: call POST /functions/v1/poll-jobs every minute yourself';
    return;
  end if;

  perform cron.schedule(
    'poll-video-jobs',
    '* * * * *',
    $job$
      select net.http_post(
        url := s.project_url || '/functions/v1/poll-jobs',
        headers := jsonb_build_object(
          'Content-Type', 'application/json',
          'Authorization', 'Bearer ' || s.cron_secret
        ),
        body := '{}'::jsonb,
        timeout_milliseconds := 55000
      )
      from (
        select
          (select decrypted_secret from vault.decrypted_secrets where name = 'project_url') as project_url,
          (select decrypted_secret from vault.decrypted_secrets where name = 'cron_secret') as cron_secret
      ) s
      where s.project_url is not null and s.cron_secret is not null
    $job$
  );
end
$outer$;
