-- Fails and refunds jobs that are still not final p_older_than after they
-- were created (a lost webhook, a crashed submit). Returns how many.
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
begin
  if p_older_than is null or p_older_than < interval '0' then
    raise exception 'invalid_request: p_older_than must be a positive interval' using errcode = 'P0001';
  end if;

  -- Refund in user order: concurrent reapers then take user row locks in the
  -- same order and cannot deadlock each other.
  for v_job in
    with stuck as (
      select j.id from public.video_jobs j
      where j.status in ('queued', 'submitted', 'processing')
        and j.created_at < now() - p_older_than
      order by j.created_at
      limit 1000
      for update skip locked
    ), failed as (
      update public.video_jobs j
      set status = 'failed',
          error = coalesce(j.error, 'timed_out: not finished after ' || p_older_than::text),
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

revoke all on function public.reap_stuck_jobs(interval) from public, anon, authenticated;
grant execute on function public.reap_stuck_jobs(interval) to service_role;
