-- The reaper fails a job the provider accepted only after the provider was
-- asked about it (or its hard deadline passed), and the poller asks about
-- every in-flight job in turn: a paid video whose webhook was lost is
-- collected, not refunded and dropped.
begin;
select plan(21);

insert into auth.users (id, email) values ('00000000-0000-4000-8000-0000000000c6', 'ask@test.local');
update public.users set credits = 100 where id = '00000000-0000-4000-8000-0000000000c6';
insert into public.quota_log (user_id, delta, balance_after, reason)
values ('00000000-0000-4000-8000-0000000000c6', 100, 100, 'adjustment');
insert into public.models (id, provider, name, credit_cost)
select 'test/ask', provider, 'Two credits', 2 from public.models limit 1;
update private.settings set value = '20' where key = 'max_active_jobs';

set local role service_role;
create temp table jobs on commit drop as
select k, (public.create_video_job('00000000-0000-4000-8000-0000000000c6', 'test/ask', k, '{}')).id as id
from unnest(array['never-asked', 'never-accepted', 'asked-early', 'said-done', 'still-running',
                  'past-deadline', 'claim-a', 'claim-b', 'claim-c', 'claim-done']) k;
select public.mark_job_submitted(id, 'ask-' || k) from jobs where k <> 'never-accepted';
reset role;
update public.video_jobs set created_at = now() - interval '2 hours'
where id in (select id from jobs where k in ('never-asked', 'never-accepted', 'asked-early', 'said-done', 'still-running'));
update public.video_jobs set created_at = now() - interval '7 hours'
where id = (select id from jobs where k = 'past-deadline');
set local role service_role;

-- The attack on the old reaper: an accepted job nobody asked the provider
-- about is not failed by age alone.
select is(public.reap_stuck_jobs(), 2, 'only the never-accepted job and the one past its hard deadline are reaped');
select is((select status from public.video_jobs where id = (select id from jobs where k = 'never-asked')), 'submitted',
  'a job the provider was never asked about is left for the poller');
select is((select credits from public.users where id = '00000000-0000-4000-8000-0000000000c6'), 100 - 10 * 2 + 2 * 2,
  'and is not refunded');
select is((select error_detail from public.video_jobs where id = (select id from jobs where k = 'never-accepted')),
  'not finished after 00:30:00: the provider never accepted it', 'a job without provider id is reaped by age');
select is((select error_detail from public.video_jobs where id = (select id from jobs where k = 'past-deadline')),
  'not finished after 00:30:00: hard deadline of 06:00:00 passed', 'a job past its hard deadline is reaped unasked');

-- The provider's answers decide.
reset role;
update public.video_jobs set last_polled_at = created_at + interval '10 minutes', last_poll_state = 'processing'
where id = (select id from jobs where k = 'asked-early');
set local role service_role;
select public.record_job_poll(id, 'succeeded') from jobs where k = 'said-done';
select public.record_job_poll(id, 'processing') from jobs where k = 'still-running';
select is(public.reap_stuck_jobs(), 1, 'one more: the job the provider, asked after the age, said still runs');
select is((select status from public.video_jobs where id = (select id from jobs where k = 'still-running')), 'failed',
  'a job still running when asked after the age is failed');
select is((select status from public.video_jobs where id = (select id from jobs where k = 'asked-early')), 'submitted',
  'an answer from before the age does not count');
select is((select status from public.video_jobs where id = (select id from jobs where k = 'said-done')), 'submitted',
  'a job the provider said is done waits for its video (until the hard deadline)');
select throws_like($$ select public.record_job_poll((select id from jobs where k = 'said-done'), 'failed') $$,
  'invalid_request:%', 'record_job_poll takes pending, processing or succeeded only');
select lives_ok($$ select public.record_job_poll((select id from jobs where k = 'still-running'), 'pending') $$,
  'recording a poll of a final job is harmless');
select is((select last_poll_state from public.video_jobs where id = (select id from jobs where k = 'still-running')), 'processing',
  'and changes nothing');

-- Fair polling: never-asked first, then least recently asked; each claim
-- stamps the job, so the next run takes the next ones. (Other in-flight jobs
-- in the database are stamped "just asked" so that they come last.)
reset role;
update public.video_jobs set last_polled_at = now()
where status in ('submitted', 'processing') and id not in (select id from jobs);
update public.video_jobs j set last_polled_at = v.at
from (values ('never-asked', now() - interval '4 hours'), ('asked-early', now() - interval '3 hours'),
             ('said-done', now() - interval '2 hours'), ('claim-a', now() - interval '1 minute'),
             ('claim-b', now() - interval '5 minutes'), ('claim-c', null::timestamptz)) v(k, at)
join jobs on jobs.k = v.k
where j.id = jobs.id;
set local role service_role;
select public.complete_video_job(id, 'videos/done.mp4') from jobs where k = 'claim-done';
create temp table claimed (run int, id uuid) on commit drop;
insert into claimed select 1, j.id from public.claim_jobs_to_poll((select provider from public.models where id = 'test/ask'), 2) j;
select set_eq($$ select id from claimed where run = 1 $$,
  $$ select id from jobs where k in ('claim-c', 'never-asked') $$,
  'the first run takes the never-asked job, then the least recently asked');
select ok((select bool_and(last_polled_at = now() and last_poll_state is null) from public.video_jobs where id in (select id from claimed)),
  'claimed jobs are stamped, their answer pending');
insert into claimed select 2, j.id from public.claim_jobs_to_poll((select provider from public.models where id = 'test/ask'), 2) j;
select set_eq($$ select id from claimed where run = 2 $$,
  $$ select id from jobs where k in ('asked-early', 'said-done') $$,
  'the next run takes the next ones, not the same again');
insert into claimed select 3, j.id from public.claim_jobs_to_poll((select provider from public.models where id = 'test/ask'), 2) j;
select set_eq($$ select id from claimed where run = 3 $$,
  $$ select id from jobs where k in ('claim-b', 'claim-a') $$,
  'and the run after that the rest');
select is((select count(*)::int from public.claim_jobs_to_poll((select provider from public.models where id = 'test/ask'), 1000) j
  where j.id = (select id from jobs where k = 'claim-done')), 0, 'a final job is never claimed');
select is((select count(*)::int from public.claim_jobs_to_poll((select provider from public.models where id = 'test/ask'), 1000, now() - interval '1 minute') j
  where j.id in (select id from jobs)),
  0, 'with a changed-before time, jobs changed since are left alone');
select throws_like($$ select public.claim_jobs_to_poll('fal', 0) $$, 'invalid_request:%', 'a limit is required');
reset role;

set local role authenticated;
select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-0000000000c6","role":"authenticated"}', true);
select throws_ok($$ select public.record_job_poll((select id from public.video_jobs limit 1), 'succeeded') $$,
  '42501', null, 'a client cannot record a poll');
select throws_ok($$ select * from public.claim_jobs_to_poll('fal', 1) $$,
  '42501', null, 'a client cannot claim jobs');
reset role;

select * from finish();
rollback;
