-- Layer 5: what the operator looks at. Read them in the SQL editor:
--   select * from ops.jobs_stuck;
--   select * from ops.jobs_failed limit 20;
--   select * from ops.provider_failure_rate;
--   select * from ops.credits_daily limit 14;
--
-- They live in their own schema, `ops`, which the Data API does not expose,
-- and only `service_role` (besides the owner, `postgres`) may use it: the
-- views show every user's jobs and credits. They are `security_invoker`, so
-- a reader needs the same rights on the underlying tables: no view ever
-- widens access to data.
create schema if not exists ops;
revoke all on schema ops from public;
revoke all on schema ops from anon, authenticated;
grant usage on schema ops to service_role;

-- Jobs charged but not final, oldest first, with when the provider was last
-- asked about them and what it said.
create view ops.jobs_in_flight
with (security_invoker = true)
as
select
  j.id,
  j.user_id,
  j.provider,
  j.model_id,
  j.status,
  j.provider_job_id,
  j.credits_charged,
  j.created_at,
  j.updated_at,
  j.last_polled_at,
  j.last_poll_state,
  now() - j.created_at as age
from public.video_jobs j
where j.status in ('queued', 'submitted', 'processing')
order by j.created_at;
comment on view ops.jobs_in_flight is 'Jobs charged but not final (queued, submitted, processing).';

-- The hard deadline reap_stuck_jobs() applies (private.settings
-- 'job_hard_deadline'), for the view below: the settings table itself is
-- closed to every API role.
create or replace function ops.job_hard_deadline()
returns interval
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(
    (select (s.value #>> '{}')::interval from private.settings s where s.key = 'job_hard_deadline'),
    interval '6 hours');
$$;
revoke all on function ops.job_hard_deadline() from public, anon, authenticated;
grant execute on function ops.job_hard_deadline() to service_role;

-- In-flight jobs older than 30 minutes (the reaper's default age), and what
-- reap_stuck_jobs() does with each on its next run: it fails and refunds a
-- job the provider never accepted, one the provider (asked after 30 minutes)
-- said still runs, and one past its hard deadline; it leaves the others to
-- the poller, which asks the provider first. Rows that keep "waiting" for
-- long mean poll-jobs is not running (or cannot reach the provider).
create view ops.jobs_stuck
with (security_invoker = true)
as
select
  f.*,
  case
    when f.provider_job_id is null then 'reaped next run: the provider never accepted it'
    when f.created_at < now() - ops.job_hard_deadline() then 'reaped next run: past its hard deadline'
    when f.last_polled_at >= f.created_at + interval '30 minutes'
         and f.last_poll_state in ('pending', 'processing')
      then 'reaped next run: the provider still said ' || f.last_poll_state
    when f.last_poll_state = 'succeeded'
      then 'waiting: the provider said done; copying the video failed so far (poll-jobs retries)'
    else 'waiting: the provider was not asked since the job passed 30 minutes (poll-jobs asks next)'
  end as reaper
from ops.jobs_in_flight f
where f.created_at < now() - interval '30 minutes';
comment on view ops.jobs_stuck is 'In-flight jobs older than 30 minutes and what the reaper does with each next.';

-- Failed jobs of the last week, newest first: the code and message the
-- owner saw, and what the provider (or the reaper) really said.
create view ops.jobs_failed
with (security_invoker = true)
as
select
  j.id,
  j.user_id,
  j.provider,
  j.model_id,
  j.provider_job_id,
  j.error_code,
  j.error,
  j.error_detail,
  j.credits_charged,
  j.created_at,
  j.completed_at
from public.video_jobs j
where j.status = 'failed'
  and j.completed_at >= now() - interval '7 days'
order by j.completed_at desc;
comment on view ops.jobs_failed is 'Failed (refunded) jobs of the last 7 days with the provider''s raw error.';

-- Jobs that reached a final state within p_window, per provider and model.
-- A function (not only the view below) so the Edge Functions can read it
-- through rpc with the service role and alert when a provider breaks.
create or replace function public.provider_failure_rates(p_window interval default interval '1 hour')
returns table (
  provider text,
  model_id text,
  finished bigint,
  succeeded bigint,
  failed bigint,
  failure_rate numeric
)
language sql
stable
security invoker
set search_path = ''
as $$
  select
    j.provider,
    j.model_id,
    count(*) as finished,
    count(*) filter (where j.status = 'succeeded') as succeeded,
    count(*) filter (where j.status = 'failed') as failed,
    round(count(*) filter (where j.status = 'failed')::numeric / count(*), 4) as failure_rate
  from public.video_jobs j
  where j.status in ('succeeded', 'failed')
    and j.completed_at >= now() - p_window
  group by j.provider, j.model_id
  order by failure_rate desc, finished desc;
$$;
comment on function public.provider_failure_rates(interval) is
  'Finished jobs per provider and model within the window, with the failed share. service_role only.';
revoke all on function public.provider_failure_rates(interval) from public, anon, authenticated;
grant execute on function public.provider_failure_rates(interval) to service_role;

create view ops.provider_failure_rate
with (security_invoker = true)
as
select * from public.provider_failure_rates(interval '1 hour');
comment on view ops.provider_failure_rate is 'Failure rate per provider and model over the last hour.';

-- Credits moved per UTC day, by reason (from the append-only ledger).
-- Amounts are positive: sold and refunded credits came in, spent and revoked
-- credits went out; `net` is the day's change of all balances together.
create view ops.credits_daily
with (security_invoker = true)
as
select
  (q.created_at at time zone 'utc')::date as day,
  coalesce(sum(q.delta) filter (where q.reason = 'purchase'), 0)::bigint as sold,
  coalesce(sum(q.delta) filter (where q.reason = 'trial'), 0)::bigint as trial,
  coalesce(-sum(q.delta) filter (where q.reason = 'generation'), 0)::bigint as spent,
  coalesce(sum(q.delta) filter (where q.reason = 'refund'), 0)::bigint as refunded,
  coalesce(-sum(q.delta) filter (where q.reason = 'revocation'), 0)::bigint as revoked,
  coalesce(sum(q.delta) filter (where q.reason = 'adjustment'), 0)::bigint as adjusted,
  sum(q.delta)::bigint as net,
  count(distinct q.user_id) as users
from public.quota_log q
group by 1
order by 1 desc;
comment on view ops.credits_daily is 'Credits sold, granted, spent, refunded and revoked per UTC day.';

revoke all on all tables in schema ops from public, anon, authenticated;
grant select on all tables in schema ops to service_role;
