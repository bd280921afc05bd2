-- The schedules production runs every minute, proven here: each job exists
-- with its cron expression, and its command, run as pg_cron runs it (as the
-- job's role, the one that applied the migrations, in this database), does
-- what the job is for. This file is the one place that says what the
-- schedules are: change a job (its name, schedule or body), change it here.
--
--   poll-video-jobs        * * * * *    POST <project_url>/functions/v1/poll-jobs
--   reap-stuck-video-jobs  */5 * * * *  fails and refunds jobs stuck for 30 minutes
--   purge-cron-history     17 3 * * *   deletes cron.job_run_details older than 7 days
--
-- pg_net sends a request only after commit and this file rolls back, so the
-- requests are read from net.http_request_queue and never leave.
begin;
select plan(14);

select ok(exists (select from pg_extension where extname = 'pg_cron'), 'pg_cron is enabled');
select ok(exists (select from pg_extension where extname = 'pg_net'), 'pg_net is enabled');

select set_eq(
  $$ select jobname::text, schedule from cron.job where username = current_user $$,
  $$ values ('poll-video-jobs', '* * * * *'), ('reap-stuck-video-jobs', '*/5 * * * *'), ('purge-cron-history', '17 3 * * *') $$,
  'the three jobs are scheduled, with their cron expressions'
);
select ok(
  (select bool_and(active and database = current_database()) from cron.job where username = current_user),
  'they are active, in this database'
);

-- A job's command, alone, as the job's role (this session's: the migrations').
create function pg_temp.run_job(p_jobname text) returns void language plpgsql as $$
begin
  execute (select command from cron.job where jobname = p_jobname and username = current_user);
end
$$;
create temp table queue_mark on commit drop as
select coalesce(max(id), 0) as id from net.http_request_queue;
create function pg_temp.new_requests() returns setof net.http_request_queue language sql as $$
  select * from net.http_request_queue where id > (select id from queue_mark) order by id
$$;

-- poll-video-jobs: nothing until both Vault secrets exist, then one call.
delete from vault.secrets where name in ('project_url', 'cron_secret');
select lives_ok($$ select pg_temp.run_job('poll-video-jobs') $$, 'poll-video-jobs runs without the Vault secrets');
select is((select count(*)::int from pg_temp.new_requests()), 0, '... and then sends nothing');

select vault.create_secret('https://test-ref.supabase.co', 'project_url');
select lives_ok($$ select pg_temp.run_job('poll-video-jobs') $$, 'poll-video-jobs runs with only project_url');
select is((select count(*)::int from pg_temp.new_requests()), 0, '... and still sends nothing');

select vault.create_secret('test-cron-secret', 'cron_secret');
select lives_ok($$ select pg_temp.run_job('poll-video-jobs') $$, 'poll-video-jobs runs with both secrets');
select results_eq(
  $$ select method::text, url, headers ->> 'Authorization', headers ->> 'Content-Type', convert_from(body, 'utf8')::jsonb, timeout_milliseconds
     from pg_temp.new_requests() $$,
  $$ values ('POST', 'https://test-ref.supabase.co/functions/v1/poll-jobs', 'Bearer test-cron-secret', 'application/json', '{}'::jsonb, 55000) $$,
  '... and sends one POST to poll-jobs with the cron secret, waiting up to 55 s'
);

-- reap-stuck-video-jobs: a job stuck for two hours is failed and refunded, a fresh one is left alone.
insert into auth.users (id, email) values ('00000000-0000-4000-8000-0000000005c1', 'cron@test.local');
update public.users set credits = 10 where id = '00000000-0000-4000-8000-0000000005c1';
insert into public.quota_log (user_id, delta, balance_after, reason)
values ('00000000-0000-4000-8000-0000000005c1', 10, 10, 'adjustment');
insert into public.models (id, provider, name, credit_cost)
select 'test/cron-two', provider, 'Two credits', 2 from public.models limit 1;
update private.settings set value = '10' where key = 'max_active_jobs';
set local role service_role;
create temp table cron_jobs on commit drop as
select k, (public.create_video_job('00000000-0000-4000-8000-0000000005c1', 'test/cron-two', k, '{}')).id as id
from unnest(array['stuck', 'fresh']) k;
reset role;
update public.video_jobs set created_at = now() - interval '2 hours'
where id = (select id from cron_jobs where k = 'stuck');

select lives_ok($$ select pg_temp.run_job('reap-stuck-video-jobs') $$, 'reap-stuck-video-jobs runs');
select results_eq(
  $$ select k, status::text, refunded_at is not null from cron_jobs join public.video_jobs j using (id) order by k $$,
  $$ values ('fresh', 'queued', false), ('stuck', 'failed', true) $$,
  '... failing and refunding the stuck job only'
);

-- purge-cron-history: run history older than 7 days goes, the rest stays.
-- (runid given: postgres may write the table but not draw from its sequence.)
insert into cron.job_run_details (runid, jobid, database, username, command, status, start_time, end_time)
select m.runid + n, null, current_database(), current_user, '-- 51_schedules test', 'succeeded', now() - age, now() - age
from (select coalesce(max(runid), 0) as runid from cron.job_run_details) m,
     (values (1, interval '8 days'), (2, interval '1 day')) as r (n, age);
select lives_ok($$ select pg_temp.run_job('purge-cron-history') $$, 'purge-cron-history runs');
select is(
  (select array_agg(status || ' ' || (now() - end_time > interval '7 days')::text) from cron.job_run_details where command = '-- 51_schedules test' and username = current_user),
  array['succeeded false'],
  '... deleting the history older than 7 days only'
);

select * from finish();
rollback;
