-- A job's owner reads its state, never our bookkeeping with the provider:
-- the provider's job id and polling URL (with them a user could replay a
-- provider's delivery or ask the provider about the job with our key), the
-- poll columns, and the provider's raw error text (error_detail). Tried as
-- the owner would, through the Data API role.
begin;
select plan(11);

insert into auth.users (id, email) values ('00000000-0000-4000-8000-0000000001b7', 'owner@test.local');
insert into public.video_jobs
  (user_id, model_id, provider, provider_job_id, provider_status_url, idempotency_key, credits_charged)
select '00000000-0000-4000-8000-0000000001b7', m.id, m.provider, 'req-secret-123',
       'https://queue.example/requests/req-secret-123/status', 'internals-key', m.credit_cost
from public.models m order by m.id limit 1;
set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub":"00000000-0000-4000-8000-0000000001b7","role":"authenticated"}', true);
select throws_ok($$ select provider_job_id from public.video_jobs $$, '42501', null,
  'the owner cannot read the provider''s job id');
select throws_ok($$ select provider_status_url from public.video_jobs $$, '42501', null,
  'nor the provider''s polling URL');
reset role;

-- The job failed; the provider's raw answer is kept for operators.
update public.video_jobs
set status = 'failed', error_code = 'provider_failed',
    error = 'The video could not be made. Your credits were refunded.',
    error_detail = 'HTTP 422 {"detail":"raw provider body"} https://project.example/functions/v1/fal-webhook?job=x&token=y',
    completed_at = now(), refunded_at = now()
where idempotency_key = 'internals-key';
set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub":"00000000-0000-4000-8000-0000000001b7","role":"authenticated"}', true);
select throws_ok($$ select error_detail from public.video_jobs $$, '42501', null,
  'nor the provider''s raw error');
select throws_ok($$ select last_polled_at from public.video_jobs $$, '42501', null,
  'nor when the provider was last asked');
select throws_ok($$ select last_poll_state from public.video_jobs $$, '42501', null,
  'nor what it said');
select throws_ok($$ select * from public.video_jobs $$, '42501', null,
  'select * (supabase-js .select()) is refused: clients list the columns they read');
select throws_ok($$ select id from public.video_jobs where provider_job_id = 'req-secret-123' $$, '42501', null,
  'nor can it probe the provider id in a filter');
select results_eq(
  $$ select status, error_code, error from public.video_jobs $$,
  $$ values ('failed'::text, 'provider_failed'::text, 'The video could not be made. Your credits were refunded.'::text) $$,
  'the owner reads the status, a stable error code and a safe message'
);
select is((select count(*)::int from public.video_jobs), 1, 'count(*) works on the columns granted');
reset role;

select is(
  (select coalesce(array_agg(a.attname::text order by a.attname), '{}')
   from pg_attribute a
   where a.attrelid = 'public.video_jobs'::regclass and a.attnum > 0 and not a.attisdropped
     and not has_column_privilege('authenticated', 'public.video_jobs'::regclass, a.attnum, 'select')),
  array['error_detail', 'last_poll_state', 'last_polled_at', 'provider_job_id', 'provider_status_url']::text[],
  'exactly the internal columns are withheld from authenticated'
);
select ok(has_table_privilege('service_role', 'public.video_jobs', 'select'),
  'operators (service_role, the ops views) read every column');

select * from finish();
rollback;
