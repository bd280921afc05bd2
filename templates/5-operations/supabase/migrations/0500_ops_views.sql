-- Layer 5: what the operator looks at. Read them in the SQL editor:
--   select * from ops.jobs_stuck;
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

-- Jobs charged but not final, oldest first.
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
  now() - j.created_at as age
from public.video_jobs j
where j.status in ('queued', 'submitted', 'processing')
order by j.created_at;
comment on view ops.jobs_in_flight is 'Jobs charged but not final (queued, submitted, processing).';

-- What reap_stuck_jobs() takes on its next run (its default: 30 minutes):
-- failed and refunded. Rows here for long mean the reaper is not scheduled.
create view ops.jobs_stuck
with (security_invoker = true)
as
select *
from ops.jobs_in_flight
where created_at < now() - interval '30 minutes';
comment on view ops.jobs_stuck is 'In-flight jobs older than 30 minutes: the reaper fails and refunds them.';

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
