-- grant_trial_credits (once per user) and record_webhook_event (dedupe).
begin;
select plan(12);

insert into auth.users (id, is_anonymous) values
  ('00000000-0000-4000-8000-0000000000f1', true),
  ('00000000-0000-4000-8000-0000000000f2', true);
update private.settings set value = '7' where key = 'trial_credits';

set local role service_role;
select is(public.grant_trial_credits('00000000-0000-4000-8000-0000000000f1'), 7, 'the trial grants the configured credits');
select results_eq(
  $$ select delta, balance_after, reason from public.quota_log where user_id = '00000000-0000-4000-8000-0000000000f1' $$,
  $$ values (7, 7, 'trial'::text) $$, 'one trial row'
);
select is(public.grant_trial_credits('00000000-0000-4000-8000-0000000000f1'), 7, 'a second grant returns the balance unchanged');
select is((select count(*)::int from public.quota_log where user_id = '00000000-0000-4000-8000-0000000000f1'), 1, 'still one trial row');
select throws_like($$ select public.grant_trial_credits('00000000-0000-4000-8000-0000000000dd') $$, 'user_not_found:%', 'an unknown user is user_not_found');
reset role;
update private.settings set value = '0' where key = 'trial_credits';
set local role service_role;
select is(public.grant_trial_credits('00000000-0000-4000-8000-0000000000f2'), 0, 'with trial_credits 0 nothing is granted');
select is((select count(*)::int from public.quota_log where user_id = '00000000-0000-4000-8000-0000000000f2'), 0, 'and nothing is logged');

select is(public.record_webhook_event('fal', 'evt-1'), true, 'a new event is recorded');
select is(public.record_webhook_event('fal', 'evt-1'), false, 'a redelivery is recognised');
select is(public.record_webhook_event('replicate', 'evt-1'), true, 'event ids are per source');
reset role;

set local role authenticated;
select set_config('request.jwt.claims', '{"sub":"00000000-0000-4000-8000-0000000000f2","role":"authenticated","is_anonymous":true}', true);
select throws_ok($$ select public.grant_trial_credits('00000000-0000-4000-8000-0000000000f2') $$, '42501', null,
  'a guest cannot grant itself the trial');
select throws_ok($$ select public.record_webhook_event('fal', 'evt-2') $$, '42501', null,
  'authenticated cannot record webhook events');
reset role;

select * from finish();
rollback;
