-- acquire_lease / release_lease: one holder at a time, expiry frees a lease
-- whose holder vanished, only the holder releases. (Races between real
-- connections: tests/security_device_check_pg.test.ts.)
begin;
select plan(11);

set local role service_role;
select is(public.acquire_lease('test-lease', '00000000-0000-4000-8000-00000000aa01', 30), true, 'a free lease is acquired');
select is(public.acquire_lease('test-lease', '00000000-0000-4000-8000-00000000aa02', 30), false, 'another holder is refused while it is held');
select is(public.acquire_lease('test-lease', '00000000-0000-4000-8000-00000000aa01', 30), true, 'the holder may renew it');
select is(public.acquire_lease('other-lease', '00000000-0000-4000-8000-00000000aa02', 30), true, 'leases are per name');
select is(public.release_lease('test-lease', '00000000-0000-4000-8000-00000000aa02'), false, 'only the holder can release');
select is(public.acquire_lease('test-lease', '00000000-0000-4000-8000-00000000aa02', 30), false, 'so it is still held');
select is(public.release_lease('test-lease', '00000000-0000-4000-8000-00000000aa01'), true, 'the holder releases it');
select is(public.acquire_lease('test-lease', '00000000-0000-4000-8000-00000000aa02', 30), true, 'and the next holder gets it');

-- A holder that crashed never releases: its lease expires.
reset role;
update private.leases set expires_at = clock_timestamp() - interval '1 second' where name = 'test-lease';
set local role service_role;
select is(public.acquire_lease('test-lease', '00000000-0000-4000-8000-00000000aa03', 30), true, 'an expired lease is taken over');
select throws_like($$ select public.acquire_lease('test-lease', '00000000-0000-4000-8000-00000000aa03', 0) $$,
  'invalid_request:%', 'a time to live of 0 is refused');
reset role;

set local role authenticated;
select throws_ok($$ select public.acquire_lease('test-lease', '00000000-0000-4000-8000-00000000aa04', 30) $$, '42501', null,
  'authenticated cannot take a lease');
reset role;

select * from finish();
rollback;
