-- Job state moves forward only. Each transition is one conditional update on
-- the job row (the row lock orders concurrent callers: the first wins, the
-- others see the new state), and a final job is returned unchanged, so every
-- function here can be retried and raced safely.

-- The job as it stands, for a transition that found nothing to change (the
-- job is already past it); job_not_found when there is no such job.
create or replace function private.existing_job(p_job_id uuid)
returns public.video_jobs
language plpgsql
stable
set search_path = ''
as $$
declare
  v_job public.video_jobs;
begin
  select * into v_job from public.video_jobs j where j.id = p_job_id;
  if not found then
    raise exception 'job_not_found: %', p_job_id using errcode = 'P0001';
  end if;
  return v_job;
end;
$$;
revoke all on function private.existing_job(uuid) from public, anon, authenticated, service_role;

-- queued -> submitted, recording the provider's id for the job. Repeating it
-- changes nothing. On a job that already moved on, only a missing provider
-- id is filled in (so a late webhook can still find the job).
create or replace function public.mark_job_submitted(p_job_id uuid, p_provider_job_id text)
returns public.video_jobs
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_job public.video_jobs;
begin
  if p_provider_job_id is null or p_provider_job_id = '' then
    raise exception 'invalid_request: provider job id is required' using errcode = 'P0001';
  end if;

  update public.video_jobs j
  set status = case when j.status = 'queued' then 'submitted' else j.status end,
      provider_job_id = p_provider_job_id,
      submitted_at = coalesce(j.submitted_at, now())
  where j.id = p_job_id
    and j.provider_job_id is null
  returning * into v_job;
  if found then
    return v_job;
  end if;

  return private.existing_job(p_job_id);
end;
$$;

-- queued/submitted -> processing, when the provider reports it started.
create or replace function public.mark_job_processing(p_job_id uuid)
returns public.video_jobs
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_job public.video_jobs;
begin
  update public.video_jobs j
  set status = 'processing'
  where j.id = p_job_id and j.status in ('queued', 'submitted')
  returning * into v_job;
  if found then
    return v_job;
  end if;

  return private.existing_job(p_job_id);
end;
$$;

-- -> succeeded with the stored video. A final job (succeeded, or failed and
-- refunded) is returned unchanged: a succeeded job is never refunded, and a
-- refunded job never becomes a paid success.
create or replace function public.complete_video_job(p_job_id uuid, p_video_url text)
returns public.video_jobs
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_job public.video_jobs;
begin
  update public.video_jobs j
  set status = 'succeeded',
      video_url = p_video_url,
      completed_at = now()
  where j.id = p_job_id and j.status in ('queued', 'submitted', 'processing')
  returning * into v_job;
  if found then
    update public.users u set active_jobs = u.active_jobs - 1 where u.id = v_job.user_id;
    return v_job;
  end if;

  return private.existing_job(p_job_id);
end;
$$;

-- -> failed, refunding exactly credits_charged, once. The conditional update
-- on the job decides who refunds when callers race (webhook, poller, reaper);
-- the one-refund-per-job unique index would stop a second refund regardless.
--
-- p_error is what the job's owner may see, written like the SQL errors here:
-- '<code>: <message>' (e.g. 'provider_failed: The video could not be made.');
-- the code goes to error_code (no code: 'failed'), the message to error.
-- p_detail is the raw story for operators (the provider's answer), kept in
-- error_detail, which clients cannot read.
create or replace function public.fail_video_job(p_job_id uuid, p_error text, p_detail text default null)
returns public.video_jobs
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_job public.video_jobs;
  v_code text := substring(p_error from '^([a-z][a-z0-9_]*):');
begin
  update public.video_jobs j
  set status = 'failed',
      error_code = coalesce(v_code, 'failed'),
      error = case when v_code is null then p_error
                   else nullif(btrim(substring(p_error from length(v_code) + 2)), '') end,
      error_detail = p_detail,
      completed_at = now(),
      refunded_at = now()
  where j.id = p_job_id and j.status in ('queued', 'submitted', 'processing')
  returning * into v_job;
  if found then
    perform private.refund_job(v_job);
    return v_job;
  end if;

  return private.existing_job(p_job_id);
end;
$$;

-- Gives a just-failed job's charge back and logs it. Callers hold the job's
-- row lock and have just moved it to failed.
create or replace function private.refund_job(p_job public.video_jobs)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_balance integer;
begin
  update public.users u
  set credits = u.credits + p_job.credits_charged,
      active_jobs = u.active_jobs - 1
  where u.id = p_job.user_id
  returning u.credits into v_balance;

  insert into public.quota_log (user_id, delta, balance_after, reason, job_id)
  values (p_job.user_id, p_job.credits_charged, v_balance, 'refund', p_job.id);
  return v_balance;
end;
$$;

revoke all on function private.refund_job(public.video_jobs) from public, anon, authenticated, service_role;

revoke all on function public.mark_job_submitted(uuid, text) from public, anon, authenticated;
revoke all on function public.mark_job_processing(uuid) from public, anon, authenticated;
revoke all on function public.complete_video_job(uuid, text) from public, anon, authenticated;
revoke all on function public.fail_video_job(uuid, text, text) from public, anon, authenticated;
grant execute on function public.mark_job_submitted(uuid, text) to service_role;
grant execute on function public.mark_job_processing(uuid) to service_role;
grant execute on function public.complete_video_job(uuid, text) to service_role;
grant execute on function public.fail_video_job(uuid, text, text) to service_role;
