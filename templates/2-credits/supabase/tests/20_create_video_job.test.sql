-- create_video_job: charge and queue atomically; replays, conflicts and every
-- error path. Called as service_role, as the Edge Functions do.
begin;
select plan(31);

insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-0000000000c1', 'c1@test.local'),
  ('00000000-0000-4000-8000-0000000000c2', 'c2@test.local');
-- 12 credits, recorded in the ledger like any other movement.
update public.users set credits = 12 where id = '00000000-0000-4000-8000-0000000000c1';
insert into public.quota_log (user_id, delta, balance_after, reason)
values ('00000000-0000-4000-8000-0000000000c1', 12, 12, 'adjustment');
insert into public.models (id, provider, name, credit_cost)
select 'test/five', provider, 'Five credits', 5 from public.models limit 1;
insert into public.models (id, provider, name, credit_cost, is_active)
select 'test/retired', provider, 'Retired', 1, false from public.models limit 1;
update private.settings set value = '2' where key = 'max_active_jobs';

set local role service_role;

-- A first job: charged, queued, logged.
create temp table j1 on commit drop as
select * from public.create_video_job('00000000-0000-4000-8000-0000000000c1', 'test/five', 'key-0001', '{"prompt":"a cat"}');
select is((select status from j1), 'queued', 'a new job is queued');
select is((select credits_charged from j1), 5, 'it is charged the model''s credit_cost');
select is((select provider from j1), (select provider from public.models where id = 'test/five'), 'it records the model''s provider');
select is((select credits from public.users where id = '00000000-0000-4000-8000-0000000000c1'), 7, 'the balance drops by the cost');
select results_eq(
  $$ select delta, balance_after, reason from public.quota_log where job_id = (select id from j1) $$,
  $$ values (-5, 7, 'generation'::text) $$,
  'one generation row with the balance after it'
);
select is((select active_jobs from public.users where id = '00000000-0000-4000-8000-0000000000c1'), 1, 'one job in flight');

-- Replays: the same key and request returns the same job and charges nothing.
select is(
  (select id from public.create_video_job('00000000-0000-4000-8000-0000000000c1', 'test/five', 'key-0001', '{"prompt":"a cat"}')),
  (select id from j1),
  'the same key and input return the existing job'
);
select is(
  (select id from public.create_video_job('00000000-0000-4000-8000-0000000000c1', 'test/five', 'key-0001', '{ "prompt" : "a cat" }')),
  (select id from j1),
  'input is compared as JSON, not as text'
);
select is((select credits from public.users where id = '00000000-0000-4000-8000-0000000000c1'), 7, 'a replay charges nothing');
select is((select count(*)::int from public.quota_log where job_id = (select id from j1)), 1, 'a replay writes no ledger row');
select throws_like(
  $$ select public.create_video_job('00000000-0000-4000-8000-0000000000c1', 'test/five', 'key-0001', '{"prompt":"a dog"}') $$,
  'idempotency_conflict:%', 'the same key with another input is an idempotency_conflict'
);
select throws_like(
  $$ select public.create_video_job('00000000-0000-4000-8000-0000000000c1', (select id from public.models where id <> 'test/five' and is_active limit 1), 'key-0001', '{"prompt":"a cat"}') $$,
  'idempotency_conflict:%', 'the same key with another model is an idempotency_conflict'
);
select throws_ok(
  $$ select public.create_video_job('00000000-0000-4000-8000-0000000000c1', 'test/five', 'key-0001', '{"prompt":"a dog"}') $$,
  'P0001', null, 'contract errors use SQLSTATE P0001'
);
-- Keys are per user: another user may use the same key.
reset role;
update public.users set credits = 5 where id = '00000000-0000-4000-8000-0000000000c2';
insert into public.quota_log (user_id, delta, balance_after, reason)
values ('00000000-0000-4000-8000-0000000000c2', 5, 5, 'adjustment');
set local role service_role;
select isnt(
  (select id from public.create_video_job('00000000-0000-4000-8000-0000000000c2', 'test/five', 'key-0001', '{"prompt":"a cat"}')),
  (select id from j1),
  'another user''s identical key makes its own job'
);

-- Errors.
select throws_like(
  $$ select public.create_video_job('00000000-0000-4000-8000-0000000000c1', 'test/nope', 'key-0002', '{}') $$,
  'model_not_found:%', 'an unknown model is model_not_found'
);
select throws_like(
  $$ select public.create_video_job('00000000-0000-4000-8000-0000000000c1', 'test/retired', 'key-0002', '{}') $$,
  'model_not_found:%', 'an inactive model is model_not_found'
);
select lives_ok(
  $$ select public.create_video_job('00000000-0000-4000-8000-0000000000c1', 'test/five', 'key-0002', '{}') $$,
  'a second job fits the balance (7 -> 2)'
);
select throws_like(
  $$ select public.create_video_job('00000000-0000-4000-8000-0000000000c1', 'test/five', 'key-0003', '{}') $$,
  'too_many_active_jobs:%', 'a third job in flight is too_many_active_jobs (limit 2)'
);
reset role;
update private.settings set value = '10' where key = 'max_active_jobs';
set local role service_role;
select throws_like(
  $$ select public.create_video_job('00000000-0000-4000-8000-0000000000c1', 'test/five', 'key-0003', '{}') $$,
  'insufficient_credits: need 5, have 2', 'insufficient_credits names what was needed and what there is'
);
select is((select credits from public.users where id = '00000000-0000-4000-8000-0000000000c1'), 2, 'a refused request charges nothing');
select is(
  (select count(*)::int from public.video_jobs where user_id = '00000000-0000-4000-8000-0000000000c1' and idempotency_key = 'key-0003'),
  0, 'a refused request leaves no job'
);
-- A replay still works when the balance is exhausted.
select is(
  (select id from public.create_video_job('00000000-0000-4000-8000-0000000000c1', 'test/five', 'key-0001', '{"prompt":"a cat"}')),
  (select id from j1),
  'a replay is answered even without credits left'
);
reset role;
update public.models set is_active = false where id = 'test/five';
set local role service_role;
select is(
  (select id from public.create_video_job('00000000-0000-4000-8000-0000000000c1', 'test/five', 'key-0001', '{"prompt":"a cat"}')),
  (select id from j1),
  'a replay is answered even after its model was retired'
);
reset role;
update public.models set is_active = true where id = 'test/five';
set local role service_role;
select throws_like(
  $$ select public.create_video_job('00000000-0000-4000-8000-0000000000dd', 'test/five', 'key-0004', '{}') $$,
  'user_not_found:%', 'an unknown user is user_not_found'
);
select throws_like(
  $$ select public.create_video_job('00000000-0000-4000-8000-0000000000c1', 'test/five', null, '{}') $$,
  'invalid_request:%', 'a missing idempotency key is invalid_request'
);

-- Ledger consistency after all of the above.
select is(
  (select credits from public.users where id = '00000000-0000-4000-8000-0000000000c1'),
  (select sum(delta)::int from public.quota_log where user_id = '00000000-0000-4000-8000-0000000000c1'),
  'credits equal the sum of the ledger'
);
select is(
  (select active_jobs from public.users where id = '00000000-0000-4000-8000-0000000000c1'),
  (select count(*)::int from public.video_jobs where user_id = '00000000-0000-4000-8000-0000000000c1' and status not in ('succeeded', 'failed')),
  'active_jobs counts the jobs in flight'
);
reset role;

-- Only service_role may call it.
set local role anon;
select throws_ok(
  $$ select public.create_video_job('00000000-0000-4000-8000-0000000000c1', 'test/five', 'key-anon', '{}') $$,
  '42501', null, 'anon cannot execute create_video_job'
);
reset role;
set local role authenticated;
select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-0000000000c1","role":"authenticated"}', true);
select throws_ok(
  $$ select public.create_video_job('00000000-0000-4000-8000-0000000000c1', 'test/five', 'key-auth', '{}') $$,
  '42501', null, 'authenticated cannot execute create_video_job, not even for itself'
);
reset role;
select function_privs_are('public', 'create_video_job', array['uuid', 'text', 'text', 'jsonb'], 'service_role', array['EXECUTE'],
  'service_role can execute create_video_job');
select is_definer('public', 'create_video_job', array['uuid', 'text', 'text', 'jsonb'], 'create_video_job is security definer');

select * from finish();
rollback;
