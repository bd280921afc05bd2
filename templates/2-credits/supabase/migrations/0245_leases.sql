-- Leases: one holder at a time for a named critical section that spans
-- several requests to the outside world, which a row lock cannot span (each
-- supabase.rpc call is its own transaction).
--
-- device-check holds the lease 'device_check_trial' across Apple's query and
-- update of a device's bits and the trial grant: Apple's bits have no
-- compare-and-set, and every call of DCDevice.generateToken() returns a fresh
-- token, so nothing we receive identifies the device; only serialising every
-- claim makes "once per device" hold when guests race.
--
-- A lease expires after its time to live, so a worker that crashed while
-- holding it blocks the others for that long at most. The holder must finish
-- its work well inside that time (device-check checks this before it writes).

create table private.leases (
  name text primary key,
  holder uuid not null,
  expires_at timestamptz not null
);
alter table private.leases enable row level security;
revoke all on table private.leases from public, anon, authenticated, service_role;

-- True when `p_holder` now holds `p_name` for `p_ttl_seconds`: the lease was
-- free, expired, or already this holder's (then it is renewed). One
-- statement: concurrent callers serialise on the row, and exactly one wins.
create or replace function public.acquire_lease(p_name text, p_holder uuid, p_ttl_seconds integer)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_name is null or p_holder is null or p_ttl_seconds is null or p_ttl_seconds not between 1 and 600 then
    raise exception 'invalid_request: lease name, holder and a time to live of 1..600 seconds are required'
      using errcode = 'P0001';
  end if;
  insert into private.leases as l (name, holder, expires_at)
  values (p_name, p_holder, pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => p_ttl_seconds))
  on conflict (name) do update
    set holder = excluded.holder,
        expires_at = excluded.expires_at
    where l.expires_at <= pg_catalog.clock_timestamp() or l.holder = excluded.holder;
  return found;
end;
$$;

-- Gives the lease back early; only its holder can. False when it was not
-- (or no longer) held by `p_holder`.
create or replace function public.release_lease(p_name text, p_holder uuid)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from private.leases l where l.name = p_name and l.holder = p_holder;
  return found;
end;
$$;

revoke all on function public.acquire_lease(text, uuid, integer) from public, anon, authenticated;
revoke all on function public.release_lease(text, uuid) from public, anon, authenticated;
grant execute on function public.acquire_lease(text, uuid, integer) to service_role;
grant execute on function public.release_lease(text, uuid) to service_role;
