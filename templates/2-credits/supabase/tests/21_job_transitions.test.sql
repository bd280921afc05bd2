-- mark_job_submitted, mark_job_processing, complete_video_job, fail_video_job:
-- forward-only transitions, one refund per failed job, none for a success.
begin;
select plan(33);

insert into auth.users (id, email) values ('00000000-0000-4000-8000-0000000000d1', 'd1@test.local');
update public.users set credits = 20 where id = '00000000-0000-4000-8000-0000000000d1';
insert into public.quota_log (user_id, delta, balance_after, reason)
values ('00000000-0000-4000-8000-0000000000d1', 20, 20, 'adjustment');
insert into public.models (id, provider, name, credit_cost)
select 'test/four', provider, 'Four credits', 4 from public.models limit 1;
update private.settings set value = '10' where key = 'max_active_jobs';

set local role service_role;
create temp table jobs on commit drop as
select k, (public.create_video_job('00000000-0000-4000-8000-0000000000d1', 'test/four', k, '{}')).id as id
from unnest(array['t-key-a', 't-key-b', 't-key-c']) k;
select is((select credits from public.users where id = '00000000-0000-4000-8000-0000000000d1'), 8, 'three jobs charged 4 each');

-- submitted
select is((select status from public.mark_job_submitted((select id from jobs where k = 't-key-a'), 'prov-a')), 'submitted', 'queued -> submitted');
select results_eq(
  $$ select provider_job_id, submitted_at is not null from public.video_jobs where id = (select id from jobs where k = 't-key-a') $$,
  $$ values ('prov-a'::text, true) $$, 'the provider job id and submitted_at are recorded'
);
select is((select provider_job_id from public.mark_job_submitted((select id from jobs where k = 't-key-a'), 'prov-other')), 'prov-a', 'repeating it changes nothing');
select throws_like($$ select public.mark_job_submitted('00000000-0000-4000-8000-00000000dead', 'x') $$, 'job_not_found:%', 'mark_job_submitted: job_not_found');
select throws_like($$ select public.mark_job_submitted((select id from jobs where k = 't-key-b'), null) $$, 'invalid_request:%', 'a provider job id is required');

-- The one column the API writes directly (as service_role): the status URL.
select lives_ok(
  $$ update public.video_jobs set provider_status_url = 'https://queue.example/requests/prov-a/status' where id = (select id from jobs where k = 't-key-a') $$,
  'service_role can record the provider status url'
);
select is((select provider_status_url from public.video_jobs where id = (select id from jobs where k = 't-key-a')),
  'https://queue.example/requests/prov-a/status', 'the status url is stored');

-- processing
select is((select status from public.mark_job_processing((select id from jobs where k = 't-key-a'))), 'processing', 'submitted -> processing');
select is((select status from public.mark_job_processing((select id from jobs where k = 't-key-a'))), 'processing', 'repeating it changes nothing');
select throws_like($$ select public.mark_job_processing('00000000-0000-4000-8000-00000000dead') $$, 'job_not_found:%', 'mark_job_processing: job_not_found');

-- succeeded
select results_eq(
  $$ select status, video_url, completed_at is not null from public.complete_video_job((select id from jobs where k = 't-key-a'), 'videos/a.mp4') $$,
  $$ values ('succeeded'::text, 'videos/a.mp4'::text, true) $$, '-> succeeded with the video'
);
select is((select credits from public.users where id = '00000000-0000-4000-8000-0000000000d1'), 8, 'a success refunds nothing');
select is((select video_url from public.complete_video_job((select id from jobs where k = 't-key-a'), 'videos/other.mp4')), 'videos/a.mp4', 'completing again returns the job unchanged');
select is((select status from public.fail_video_job((select id from jobs where k = 't-key-a'), 'late failure')), 'succeeded', 'failing a succeeded job returns it unchanged');
select is((select credits from public.users where id = '00000000-0000-4000-8000-0000000000d1'), 8, 'a succeeded job is never refunded');
select is((select status from public.mark_job_submitted((select id from jobs where k = 't-key-a'), 'prov-z')), 'succeeded', 'a final job is not moved back');
select throws_like($$ select public.complete_video_job('00000000-0000-4000-8000-00000000dead', 'x') $$, 'job_not_found:%', 'complete_video_job: job_not_found');

-- failed and refunded, once
select results_eq(
  $$ select status, error, refunded_at is not null from public.fail_video_job((select id from jobs where k = 't-key-b'), 'provider said no') $$,
  $$ values ('failed'::text, 'provider said no'::text, true) $$, '-> failed with the error'
);
select is((select credits from public.users where id = '00000000-0000-4000-8000-0000000000d1'), 12, 'the charge is refunded');
select results_eq(
  $$ select delta, balance_after from public.quota_log where job_id = (select id from jobs where k = 't-key-b') and reason = 'refund' $$,
  $$ values (4, 12) $$, 'one refund row of exactly the charge'
);
select is((select error from public.fail_video_job((select id from jobs where k = 't-key-b'), 'again')), 'provider said no', 'failing again returns the job unchanged');
select is((select credits from public.users where id = '00000000-0000-4000-8000-0000000000d1'), 12, 'no second refund');
select is((select status from public.complete_video_job((select id from jobs where k = 't-key-b'), 'videos/b.mp4')), 'failed', 'a refunded job never becomes a success');
select is((select status from public.mark_job_processing((select id from jobs where k = 't-key-b'))), 'failed', 'a failed job does not go back to processing');
-- A queued job (never submitted) can fail too.
select is((select status from public.fail_video_job((select id from jobs where k = 't-key-c'), 'submit failed')), 'failed', 'a queued job can fail');
select is((select credits from public.users where id = '00000000-0000-4000-8000-0000000000d1'), 16, 'and is refunded');
-- A late provider id on a failed job is kept for a late webhook, status unchanged.
select results_eq(
  $$ select status, provider_job_id from public.mark_job_submitted((select id from jobs where k = 't-key-c'), 'prov-c') $$,
  $$ values ('failed'::text, 'prov-c'::text) $$, 'a late provider id is recorded without reviving the job'
);
select throws_like($$ select public.fail_video_job('00000000-0000-4000-8000-00000000dead', 'x') $$, 'job_not_found:%', 'fail_video_job: job_not_found');

select is(
  (select credits from public.users where id = '00000000-0000-4000-8000-0000000000d1'),
  (select sum(delta)::int from public.quota_log where user_id = '00000000-0000-4000-8000-0000000000d1'),
  'credits equal the sum of the ledger'
);
select is((select active_jobs from public.users where id = '00000000-0000-4000-8000-0000000000d1'), 0, 'no job in flight');
reset role;

set local role authenticated;
select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-0000000000d1","role":"authenticated"}', true);
select throws_ok($$ select public.fail_video_job((select id from public.video_jobs limit 1), 'free refund?') $$,
  '42501', null, 'authenticated cannot fail (refund) its own job');
reset role;
set local role anon;
select throws_ok($$ select public.complete_video_job('00000000-0000-4000-8000-00000000dead', 'x') $$,
  '42501', null, 'anon cannot execute complete_video_job');
reset role;

select * from finish();
rollback;
