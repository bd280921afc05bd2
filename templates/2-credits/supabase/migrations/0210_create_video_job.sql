-- The credit procedures. Conventions shared by every function in this layer:
-- * called by Edge Functions with the service role (supabase.rpc); EXECUTE is
--   revoked from public, anon and authenticated: a client can never move money;
-- * security definer with an empty search_path and fully qualified names;
-- * errors are raised with SQLSTATE P0001 and a message that starts with the
--   contract's error code, e.g. 'insufficient_credits: need 5, have 2'
--   (supabase-js: error.code = 'P0001', error.message = that text);
-- * one call = one transaction; correctness rests on conditional updates,
--   row locks and unique indexes, never on a read followed by a write.

-- Charges the model's price and inserts a queued job, atomically. The same
-- idempotency key with the same model and input returns the existing job and
-- charges nothing; with anything else it is an idempotency_conflict.
create or replace function public.create_video_job(
  p_user_id uuid,
  p_model_id text,
  p_idempotency_key text,
  p_input jsonb
)
returns public.video_jobs
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_job public.video_jobs;
  v_provider text;
  v_cost integer;
  v_max integer;
  v_balance integer;
  v_active integer;
begin
  if p_user_id is null or p_model_id is null or p_idempotency_key is null then
    raise exception 'invalid_request: user, model and idempotency key are required' using errcode = 'P0001';
  end if;

  -- The charge, in one statement: the model's price, the per-user job limit
  -- and a conditional update of the balance. The update takes the user's row
  -- lock, so a user's charges are serialised and can never overdraw
  -- (credits >= 0 is also a CHECK). Zero rows means: no such model, no
  -- money, too many jobs, no user, or a retry; sorted out below.
  update public.users u
  set credits = u.credits - m.credit_cost,
      active_jobs = u.active_jobs + 1
  from public.models m
  where u.id = p_user_id
    and m.id = p_model_id
    and m.is_active
    and u.credits >= m.credit_cost
    and u.active_jobs < coalesce(
      (select (s.value #>> '{}')::integer from private.settings s where s.key = 'max_active_jobs'), 3)
  returning u.credits, m.credit_cost, m.provider into v_balance, v_cost, v_provider;

  if not found then
    -- Slow path, under the user's row lock so the answer is stable.
    select u.credits, u.active_jobs into v_balance, v_active
    from public.users u where u.id = p_user_id
    for update;
    if not found then
      raise exception 'user_not_found: %', p_user_id using errcode = 'P0001';
    end if;
    -- A retry (or a concurrent request with the same key that committed
    -- while we waited) is answered from its job, whatever else changed.
    select * into v_job from public.video_jobs j
    where j.user_id = p_user_id and j.idempotency_key = p_idempotency_key;
    if found then
      return private.replay_video_job(v_job, p_model_id, p_input);
    end if;
    select m.credit_cost, m.provider into v_cost, v_provider
    from public.models m where m.id = p_model_id and m.is_active;
    if not found then
      raise exception 'model_not_found: %', p_model_id using errcode = 'P0001';
    end if;
    select coalesce((select (s.value #>> '{}')::integer from private.settings s where s.key = 'max_active_jobs'), 3)
    into v_max;
    if v_active >= v_max then
      raise exception 'too_many_active_jobs: % jobs in progress, the limit is %', v_active, v_max
        using errcode = 'P0001';
    end if;
    if v_balance < v_cost then
      raise exception 'insufficient_credits: need %, have %', v_cost, v_balance
        using errcode = 'P0001';
    end if;
    -- The balance, the job count or the price changed between the update and
    -- the lock; we hold the lock now, so this charge cannot fail.
    update public.users u
    set credits = u.credits - v_cost,
        active_jobs = u.active_jobs + 1
    where u.id = p_user_id
    returning u.credits into v_balance;
  end if;

  insert into public.video_jobs as j
    (user_id, model_id, provider, idempotency_key, input, status, credits_charged)
  values
    (p_user_id, p_model_id, v_provider, p_idempotency_key, coalesce(p_input, '{}'::jsonb), 'queued', v_cost)
  on conflict (user_id, idempotency_key) do nothing
  returning * into v_job;

  if not found then
    -- The key is taken: a retry, or a concurrent request with the same key
    -- that committed first. We hold the user's row lock, so give the charge
    -- back (no ledger row was written) and answer as a replay. (Retries are
    -- rare; checking the key up front would cost every new request a read.)
    update public.users u
    set credits = u.credits + v_cost,
        active_jobs = u.active_jobs - 1
    where u.id = p_user_id;
    select * into v_job from public.video_jobs j
    where j.user_id = p_user_id and j.idempotency_key = p_idempotency_key;
    return private.replay_video_job(v_job, p_model_id, p_input);
  end if;

  insert into public.quota_log (user_id, delta, balance_after, reason, job_id)
  values (p_user_id, -v_cost, v_balance, 'generation', v_job.id);

  return v_job;
end;
$$;

-- The answer to a repeated idempotency key: the job itself when the request
-- is the same, an idempotency_conflict when it is not.
create or replace function private.replay_video_job(
  p_job public.video_jobs,
  p_model_id text,
  p_input jsonb
)
returns public.video_jobs
language plpgsql
stable
set search_path = ''
as $$
begin
  if p_job.model_id is distinct from p_model_id
     or p_job.input is distinct from coalesce(p_input, '{}'::jsonb) then
    raise exception 'idempotency_conflict: key % was already used for another request', p_job.idempotency_key
      using errcode = 'P0001';
  end if;
  return p_job;
end;
$$;

revoke all on function private.replay_video_job(public.video_jobs, text, jsonb) from public, anon, authenticated, service_role;
revoke all on function public.create_video_job(uuid, text, text, jsonb) from public, anon, authenticated;
grant execute on function public.create_video_job(uuid, text, text, jsonb) to service_role;
