-- reap_stuck_jobs: fails and refunds jobs not final after the interval, once.
-- (When it may fail a job the provider accepted: 28_reaper_asks_first.)
begin;
select plan(11);

insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-0000000000a7', 'r1@test.local'),
  ('00000000-0000-4000-8000-0000000000a8', 'r2@test.local');
update public.users set credits = 30 where id in ('00000000-0000-4000-8000-0000000000a7', '00000000-0000-4000-8000-0000000000a8');
insert into public.quota_log (user_id, delta, balance_after, reason) values
  ('00000000-0000-4000-8000-0000000000a7', 30, 30, 'adjustment'),
  ('00000000-0000-4000-8000-0000000000a8', 30, 30, 'adjustment');
insert into public.models (id, provider, name, credit_cost)
select 'test/three', provider, 'Three credits', 3 from public.models limit 1;
update private.settings set value = '10' where key = 'max_active_jobs';

set local role service_role;
create temp table jobs on commit drop as
select u, k, (public.create_video_job(u, 'test/three', k, '{}')).id as id
from unnest(array['00000000-0000-4000-8000-0000000000a7', '00000000-0000-4000-8000-0000000000a8']::uuid[]) u,
     unnest(array['old-queued', 'old-submitted', 'old-done', 'fresh']) k;
select public.mark_job_submitted(id, 'p-' || id::text) from jobs where k = 'old-submitted';
select public.complete_video_job(id, 'videos/x.mp4') from jobs where k = 'old-done';
reset role;
-- Age the jobs (as the owner; nobody else can write video_jobs).
update public.video_jobs set created_at = now() - interval '2 hours'
where id in (select id from jobs where k like 'old-%');
set local role service_role;
-- The provider, asked now (past the age), says the submitted ones still run.
select public.record_job_poll(id, 'processing') from jobs where k = 'old-submitted';

select is(public.reap_stuck_jobs(), 4, 'the four old unfinished jobs are reaped (two per user)');
select is(
  (select count(*)::int from public.video_jobs where id in (select id from jobs where k in ('old-queued', 'old-submitted')) and status = 'failed' and refunded_at is not null),
  4, 'they are failed and marked refunded'
);
select ok(
  (select bool_and(error_code = 'timed_out' and error not like '%provider%' and error_detail like 'not finished after%')
   from public.video_jobs where id in (select id from jobs where k in ('old-queued', 'old-submitted'))),
  'with the timed_out code, a message for the owner and the reason for operators'
);
select results_eq(
  $$ select error_detail from public.video_jobs where id in (select id from jobs where k = 'old-submitted') order by error_detail $$,
  $$ select 'not finished after 00:30:00: the provider still said processing at ' || last_polled_at::text
     from public.video_jobs where id in (select id from jobs where k = 'old-submitted') order by 1 $$,
  'the detail says what the provider answered'
);
select is((select status from public.video_jobs where id = (select id from jobs where u = '00000000-0000-4000-8000-0000000000a7' and k = 'fresh')), 'queued', 'a fresh job is left alone');
select is((select status from public.video_jobs where id = (select id from jobs where u = '00000000-0000-4000-8000-0000000000a7' and k = 'old-done')), 'succeeded', 'a finished job is left alone');
select is((select credits from public.users where id = '00000000-0000-4000-8000-0000000000a7'), 30 - 12 + 6, 'each reaped job is refunded its charge');
select is(public.reap_stuck_jobs(), 0, 'reaping again finds nothing');
reset role;
update public.video_jobs set created_at = now() - interval '1 minute' where id in (select id from jobs where k = 'fresh');
set local role service_role;
select is(public.reap_stuck_jobs(interval '30 seconds'), 2, 'the interval is the caller''s');
select throws_like($$ select public.reap_stuck_jobs(interval '-1 minute') $$, 'invalid_request:%', 'a negative interval is invalid_request');
select ok(
  (select bool_and(u.credits = (select sum(q.delta) from public.quota_log q where q.user_id = u.id) and u.active_jobs = 0)
   from public.users u where u.id in ('00000000-0000-4000-8000-0000000000a7', '00000000-0000-4000-8000-0000000000a8')),
  'credits equal the ledger and nothing is in flight'
);
reset role;

select * from finish();
rollback;
