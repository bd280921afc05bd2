-- Layer 1 RLS and grants, by trying the attacks: anon, one user against
-- another, a guest (anonymous sign-in) and a token without a subject. Every
-- write must fail with 42501 (insufficient privilege), every read must show
-- only the caller's own rows.
begin;
select plan(37);

-- Fixtures, as the migration role.
insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-00000000a11c', 'alice@test.local'),
  ('00000000-0000-4000-8000-000000000b0b', 'bob@test.local');
insert into auth.users (id, is_anonymous) values ('00000000-0000-4000-8000-00000000bee5', true);
update public.users set credits = 50 where id = '00000000-0000-4000-8000-00000000a11c';
update public.users set credits = 20 where id = '00000000-0000-4000-8000-000000000b0b';
insert into public.quota_log (user_id, delta, balance_after, reason) values
  ('00000000-0000-4000-8000-00000000a11c', 50, 50, 'adjustment'),
  ('00000000-0000-4000-8000-000000000b0b', 20, 20, 'adjustment');
insert into public.video_jobs (user_id, model_id, provider, idempotency_key, credits_charged)
select u.id, m.id, m.provider, 'rls-test-key', m.credit_cost
from public.users u cross join (select id, provider, credit_cost from public.models order by id limit 1) m
where u.id in ('00000000-0000-4000-8000-00000000a11c', '00000000-0000-4000-8000-000000000b0b');
insert into public.models (id, provider, name, credit_cost, is_active)
select 'rls-test/retired-model', provider, 'Retired', 1, false from public.models limit 1;

-- anon: no access to anything ------------------------------------------------
set local role anon;
select set_config('request.jwt.claims', '{"role":"anon"}', true);
select throws_ok($$ select * from public.users $$, '42501', null, 'anon cannot read users');
select throws_ok($$ select * from public.models $$, '42501', null, 'anon cannot read models');
select throws_ok($$ select * from public.video_jobs $$, '42501', null, 'anon cannot read video_jobs');
select throws_ok($$ select * from public.quota_log $$, '42501', null, 'anon cannot read quota_log');
select throws_ok($$ insert into public.users (id, credits) values (gen_random_uuid(), 1000) $$, '42501', null, 'anon cannot create a user with credits');
select throws_ok($$ update public.users set credits = 1000 $$, '42501', null, 'anon cannot change balances');
select throws_ok($$ delete from public.video_jobs $$, '42501', null, 'anon cannot delete jobs');
select throws_ok($$ select * from private.settings $$, '42501', null, 'anon cannot read private.settings');
reset role;

-- alice, a signed-in user ----------------------------------------------------
set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub":"00000000-0000-4000-8000-00000000a11c","role":"authenticated","is_anonymous":false}', true);
select results_eq($$ select id from public.users $$,
  $$ values ('00000000-0000-4000-8000-00000000a11c'::uuid) $$, 'alice sees only her own users row');
select results_eq($$ select user_id from public.video_jobs $$,
  $$ values ('00000000-0000-4000-8000-00000000a11c'::uuid) $$, 'alice sees only her own jobs');
select results_eq($$ select user_id, delta from public.quota_log $$,
  $$ values ('00000000-0000-4000-8000-00000000a11c'::uuid, 50) $$, 'alice sees only her own ledger rows');
select is((select count(*)::int from public.models where id = 'rls-test/retired-model'), 0, 'inactive models are hidden');
select ok((select count(*) > 0 from public.models), 'active models are visible');
select throws_ok($$ update public.users set credits = 1000000 where id = '00000000-0000-4000-8000-00000000a11c' $$,
  '42501', null, 'alice cannot raise her own balance');
select throws_ok($$ insert into public.users (id, credits) values ('00000000-0000-4000-8000-00000000a11c', 5) $$,
  '42501', null, 'alice cannot insert a users row');
select throws_ok($$ delete from public.users where id = '00000000-0000-4000-8000-000000000b0b' $$,
  '42501', null, 'alice cannot delete users');
select throws_ok($$ insert into public.video_jobs (user_id, model_id, provider, idempotency_key, credits_charged)
                    select '00000000-0000-4000-8000-00000000a11c', id, provider, 'free-job', 1 from public.models limit 1 $$,
  '42501', null, 'alice cannot create a job without paying');
select throws_ok($$ update public.video_jobs set status = 'failed' $$, '42501', null, 'alice cannot change job state');
select throws_ok($$ update public.video_jobs set provider_status_url = 'https://evil.example' $$,
  '42501', null, 'alice cannot change the provider status url');
select throws_ok($$ delete from public.video_jobs $$, '42501', null, 'alice cannot delete jobs');
select throws_ok($$ insert into public.quota_log (user_id, delta, balance_after, reason)
                    values ('00000000-0000-4000-8000-00000000a11c', 100, 150, 'adjustment') $$,
  '42501', null, 'alice cannot write the ledger');
select throws_ok($$ update public.quota_log set delta = 1000 $$, '42501', null, 'alice cannot rewrite the ledger');
select throws_ok($$ delete from public.quota_log $$, '42501', null, 'alice cannot delete ledger rows');
select throws_ok($$ update public.models set credit_cost = 1 $$, '42501', null, 'alice cannot change prices');
select throws_ok($$ insert into public.models (id, provider, name, credit_cost) values ('x', 'fal', 'x', 1) $$,
  '42501', null, 'alice cannot add models');
select throws_ok($$ select * from private.settings $$, '42501', null, 'alice cannot read private.settings');
select throws_ok($$ select * from private.webhook_events $$, '42501', null, 'alice cannot read private.webhook_events');
reset role;

-- bob cannot see alice ----------------------------------------------------------
set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub":"00000000-0000-4000-8000-000000000b0b","role":"authenticated","is_anonymous":false}', true);
select is((select count(*)::int from public.users where id = '00000000-0000-4000-8000-00000000a11c'), 0, 'bob cannot read alice''s balance');
select is((select count(*)::int from public.video_jobs where user_id = '00000000-0000-4000-8000-00000000a11c'), 0, 'bob cannot read alice''s jobs');
select is((select count(*)::int from public.quota_log where user_id = '00000000-0000-4000-8000-00000000a11c'), 0, 'bob cannot read alice''s ledger');
select is((select credits from public.users), 20, 'bob reads his own balance');
reset role;

-- a guest (anonymous sign-in: role authenticated, is_anonymous true) ----------
set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub":"00000000-0000-4000-8000-00000000bee5","role":"authenticated","is_anonymous":true}', true);
select results_eq($$ select id, credits from public.users $$,
  $$ values ('00000000-0000-4000-8000-00000000bee5'::uuid, 0) $$, 'a guest sees only its own row');
select is((select count(*)::int from public.video_jobs), 0, 'a guest sees no one else''s jobs');
select throws_ok($$ update public.users set credits = 10 $$, '42501', null, 'a guest cannot grant itself credits');
select throws_ok($$ insert into public.quota_log (user_id, delta, balance_after, reason)
                    values ('00000000-0000-4000-8000-00000000bee5', 10, 10, 'trial') $$,
  '42501', null, 'a guest cannot grant itself a trial');
reset role;

-- a token without a subject sees nothing ---------------------------------------
set local role authenticated;
select set_config('request.jwt.claims', '{"role":"authenticated"}', true);
select is((select count(*)::int from public.users), 0, 'no sub: no users rows');
select is((select count(*)::int from public.video_jobs) + (select count(*)::int from public.quota_log), 0, 'no sub: no jobs, no ledger');
reset role;

select * from finish();
rollback;
