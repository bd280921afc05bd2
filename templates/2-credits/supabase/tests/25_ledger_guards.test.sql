-- The ledger's guards: quota_log is append-only for everyone (service_role
-- and the owner included), one-row-per-event indexes, and the privileges of
-- every credit procedure.
begin;
select plan(24);

insert into auth.users (id, email) values ('00000000-0000-4000-8000-0000000000b1', 'g1@test.local');
update public.users set credits = 10 where id = '00000000-0000-4000-8000-0000000000b1';
insert into public.quota_log (user_id, delta, balance_after, reason)
values ('00000000-0000-4000-8000-0000000000b1', 10, 10, 'adjustment');
insert into public.models (id, provider, name, credit_cost)
select 'test/two', provider, 'Two credits', 2 from public.models limit 1;
set local role service_role;
create temp table j on commit drop as
select (public.create_video_job('00000000-0000-4000-8000-0000000000b1', 'test/two', 'guard-key', '{}')).id as id;
select public.fail_video_job((select id from j), 'x');
-- service_role: no write privilege on the ledger at all.
select throws_ok($$ update public.quota_log set delta = 100 $$, '42501', null, 'service_role cannot update quota_log');
select throws_ok($$ delete from public.quota_log $$, '42501', null, 'service_role cannot delete from quota_log');
select throws_ok($$ truncate public.quota_log $$, '42501', null, 'service_role cannot truncate quota_log');
select throws_ok($$ insert into public.quota_log (user_id, delta, balance_after, reason) values ('00000000-0000-4000-8000-0000000000b1', 100, 108, 'adjustment') $$,
  '42501', null, 'service_role cannot insert into quota_log directly');
select throws_ok($$ update public.users set credits = 1000 $$, '42501', null, 'service_role cannot set balances directly');
select throws_ok($$ update public.video_jobs set status = 'failed' $$, '42501', null, 'service_role cannot change job state directly');
reset role;

-- The owner (postgres) is stopped by the trigger.
select throws_like($$ update public.quota_log set delta = 100 where user_id = '00000000-0000-4000-8000-0000000000b1' $$,
  'quota_log is append-only%', 'even the owner cannot update quota_log');
select throws_like($$ delete from public.quota_log where user_id = '00000000-0000-4000-8000-0000000000b1' $$,
  'quota_log is append-only%', 'even the owner cannot delete from quota_log');
select throws_like($$ truncate public.quota_log $$, 'quota_log is append-only%', 'even the owner cannot truncate quota_log');
select throws_ok($$ delete from public.video_jobs where id = (select id from j) $$,
  'P0001', null, 'a charged job cannot be deleted (its ledger rows would go with it)');

-- One row per event, enforced by unique indexes.
select throws_ok(
  $$ insert into public.quota_log (user_id, delta, balance_after, reason, job_id) values ('00000000-0000-4000-8000-0000000000b1', 2, 12, 'refund', (select id from j)) $$,
  '23505', null, 'a second refund row for a job is impossible'
);
select throws_ok(
  $$ insert into public.quota_log (user_id, delta, balance_after, reason, job_id) values ('00000000-0000-4000-8000-0000000000b1', -2, 8, 'generation', (select id from j)) $$,
  '23505', null, 'a second charge row for a job is impossible'
);
insert into public.quota_log (user_id, delta, balance_after, reason) values ('00000000-0000-4000-8000-0000000000b1', 5, 15, 'trial');
select throws_ok(
  $$ insert into public.quota_log (user_id, delta, balance_after, reason) values ('00000000-0000-4000-8000-0000000000b1', 5, 20, 'trial') $$,
  '23505', null, 'a second trial row for a user is impossible'
);

-- Deleting the account is the one way its ledger rows go.
delete from auth.users where id = '00000000-0000-4000-8000-0000000000b1';
select is((select count(*)::int from public.quota_log where user_id = '00000000-0000-4000-8000-0000000000b1'), 0,
  'deleting the account deletes its ledger rows');

-- Every credit procedure: security definer, empty search_path, service_role only.
create temp table procs on commit drop as
select p.oid, p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
where n.nspname = 'public' and p.proname in (
  'create_video_job', 'mark_job_submitted', 'mark_job_processing', 'complete_video_job', 'fail_video_job',
  'credit_purchase', 'revoke_purchase', 'grant_trial_credits', 'reap_stuck_jobs', 'record_webhook_event',
  'claim_jobs_to_poll', 'record_job_poll');
select ok((select count(*) >= 8 from procs), 'the credit procedures exist');
select is((select coalesce(array_agg(p.proname::text order by p.proname), '{}') from procs p join pg_proc x on x.oid = p.oid where not x.prosecdef), '{}'::text[], 'all are security definer');
select is((select coalesce(array_agg(p.proname::text order by p.proname), '{}') from procs p join pg_proc x on x.oid = p.oid where not coalesce(x.proconfig, '{}') @> array['search_path=""']), '{}'::text[], 'all set search_path = ''''');
select is((select coalesce(array_agg(proname::text order by proname), '{}') from procs where has_function_privilege('anon', oid, 'execute')), '{}'::text[], 'anon can execute none');
select is((select coalesce(array_agg(proname::text order by proname), '{}') from procs where has_function_privilege('authenticated', oid, 'execute')), '{}'::text[], 'authenticated can execute none');
select is((select coalesce(array_agg(p.proname::text order by p.proname), '{}') from procs p join pg_proc x on x.oid = p.oid
  where exists (select 1 from aclexplode(coalesce(x.proacl, acldefault('f', x.proowner))) a where a.grantee = 0 and a.privilege_type = 'EXECUTE')),
  '{}'::text[], 'none is granted to PUBLIC');
select is((select coalesce(array_agg(proname::text order by proname), '{}') from procs where not has_function_privilege('service_role', oid, 'execute')), '{}'::text[], 'service_role can execute all');
select has_function('public', 'create_video_job', array['uuid', 'text', 'text', 'jsonb'], 'create_video_job(uuid, text, text, jsonb)');
select function_returns('public', 'reap_stuck_jobs', array['interval'], 'integer', 'reap_stuck_jobs(interval) returns integer');
select function_returns('public', 'record_webhook_event', array['text', 'text'], 'boolean', 'record_webhook_event(text, text) returns boolean');

select * from finish();
rollback;
