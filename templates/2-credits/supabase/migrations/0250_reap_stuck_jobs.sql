-- Jobs that never finish must not hold their owner's credits forever, and a
-- video we paid the provider for must not be thrown away because nobody
-- asked the provider about it. So the provider is asked first:
--
--   claim_jobs_to_poll   poll-jobs takes the in-flight jobs to ask about,
--                        least recently asked first (fair: every job is asked
--                        within ceil(in flight / batch) runs);
--   record_job_poll      poll-jobs and job-status record each answer;
--   reap_stuck_jobs      fails and refunds a job by age only when the
--                        provider was asked and said it is not done.

-- How long a job may stay unfinished when the provider cannot be asked at
-- all (an outage, a revoked key) or said "done" but the video could not be
-- copied yet: after this, reap_stuck_jobs fails and refunds it regardless.
insert into private.settings (key, value) values
  ('job_hard_deadline', '"6 hours"'::jsonb)
on conflict (key) do nothing;

-- Up to p_limit submitted or processing jobs of p_provider to ask the
-- provider about now, never-asked first, then least recently asked; each is
-- stamped (last_polled_at = now(), last_poll_state = null until the answer is
-- recorded), so the next run takes the next ones even when this run's calls
-- fail. With p_changed_before (providers with webhooks), only jobs unchanged
-- since then: their webhook looks lost. Rows another transaction holds are
-- skipped, so overlapping runs never ask about the same job twice.
create or replace function public.claim_jobs_to_poll(
  p_provider text,
  p_limit integer,
  p_changed_before timestamptz default null
)
returns setof public.video_jobs
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_provider is null or p_limit is null or p_limit < 1 then
    raise exception 'invalid_request: a provider and a positive limit are required' using errcode = 'P0001';
  end if;

  return query
  with picked as (
    select j.id from public.video_jobs j
    where j.provider = p_provider
      and j.status in ('submitted', 'processing')
      and j.provider_job_id is not null
      and (p_changed_before is null or j.updated_at < p_changed_before)
    order by j.last_polled_at asc nulls first, j.created_at
    limit least(p_limit, 1000)
    for update skip locked
  )
  update public.video_jobs j
  set last_polled_at = now(),
      last_poll_state = null
  from picked
  where j.id = picked.id
  returning j.*;
end;
$$;

-- The provider's answer about an in-flight job: 'pending' or 'processing'
-- (not done), or 'succeeded' (done, the video not stored yet). Final jobs are
-- left alone; a failure answer fails the job instead (fail_video_job).
create or replace function public.record_job_poll(p_job_id uuid, p_state text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_state is null or p_state not in ('pending', 'processing', 'succeeded') then
    raise exception 'invalid_request: poll state must be pending, processing or succeeded, got %', p_state
      using errcode = 'P0001';
  end if;
  update public.video_jobs j
  set last_polled_at = now(),
      last_poll_state = p_state
  where j.id = p_job_id
    and j.status in ('queued', 'submitted', 'processing');
end;
$$;

-- Fails and refunds jobs still not final p_older_than after they were
-- created, and returns how many. A job past that age is failed only when
--   1. it has no provider job id: the provider never accepted it, as far as
--      we know (a crashed or refused submission), so there is nothing to
--      wait for; or
--   2. the provider was asked after the job passed the age (record_job_poll)
--      and said it is still pending or processing: it had its time; or
--   3. its hard deadline passed (private.settings 'job_hard_deadline'): the
--      provider could not be asked, or said done but the copy kept failing.
-- A job the provider was never asked about (the poller is behind, or not
-- scheduled) is left for the next run, so a finished video whose webhook was
-- lost is collected by the poller instead of being refunded and dropped.
-- Jobs another transaction holds (a webhook completing it right now) are
-- skipped and looked at again on the next run; each failed job is refunded
-- exactly once, as in fail_video_job.
create or replace function public.reap_stuck_jobs(p_older_than interval default '30 minutes')
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_job public.video_jobs;
  v_count integer := 0;
  v_deadline interval;
begin
  if p_older_than is null or p_older_than < interval '0' then
    raise exception 'invalid_request: p_older_than must be a positive interval' using errcode = 'P0001';
  end if;
  v_deadline := greatest(
    p_older_than,
    coalesce((select (s.value #>> '{}')::interval from private.settings s where s.key = 'job_hard_deadline'),
             interval '6 hours'));

  -- Refund in user order: concurrent reapers then take user row locks in the
  -- same order and cannot deadlock each other.
  for v_job in
    with stuck as (
      select j.id,
        case
          when j.provider_job_id is null then 'the provider never accepted it'
          when j.created_at < now() - v_deadline then 'hard deadline of ' || v_deadline::text || ' passed'
          else 'the provider still said ' || j.last_poll_state || ' at ' || j.last_polled_at::text
        end as why
      from public.video_jobs j
      where j.status in ('queued', 'submitted', 'processing')
        and j.created_at < now() - p_older_than
        and (j.provider_job_id is null
             or j.created_at < now() - v_deadline
             or (j.last_polled_at >= j.created_at + p_older_than
                 and j.last_poll_state in ('pending', 'processing')))
      order by j.created_at
      limit 1000
      for update skip locked
    ), failed as (
      update public.video_jobs j
      set status = 'failed',
          error_code = 'timed_out',
          error = 'The video was not ready in time. Your credits were refunded.',
          error_detail = 'not finished after ' || p_older_than::text || ': ' || stuck.why,
          completed_at = now(),
          refunded_at = now()
      from stuck
      where j.id = stuck.id
        and j.status in ('queued', 'submitted', 'processing')
      returning j.*
    )
    select * from failed order by failed.user_id, failed.created_at
  loop
    perform private.refund_job(v_job);
    v_count := v_count + 1;
  end loop;
  return v_count;
end;
$$;

revoke all on function public.claim_jobs_to_poll(text, integer, timestamptz) from public, anon, authenticated;
revoke all on function public.record_job_poll(uuid, text) from public, anon, authenticated;
revoke all on function public.reap_stuck_jobs(interval) from public, anon, authenticated;
grant execute on function public.claim_jobs_to_poll(text, integer, timestamptz) to service_role;
grant execute on function public.record_job_poll(uuid, text) to service_role;
grant execute on function public.reap_stuck_jobs(interval) to service_role;
