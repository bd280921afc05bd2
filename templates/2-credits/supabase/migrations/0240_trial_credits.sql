-- Trial credits, once per user (the one-trial-per-user unique index is the
-- backstop). Whether a user deserves them (e.g. a real device, checked with
-- DeviceCheck) is decided by the caller. Returns the new balance.
create or replace function public.grant_trial_credits(p_user_id uuid)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_amount integer;
  v_balance integer;
begin
  select (s.value #>> '{}')::integer into v_amount from private.settings s where s.key = 'trial_credits';
  v_amount := coalesce(v_amount, 0);

  -- The user's row lock serialises concurrent grants for the same user.
  select u.credits into v_balance from public.users u where u.id = p_user_id for update;
  if not found then
    raise exception 'user_not_found: %', p_user_id using errcode = 'P0001';
  end if;

  if v_amount <= 0
     or exists (select 1 from public.quota_log q where q.user_id = p_user_id and q.reason = 'trial') then
    return v_balance;
  end if;

  update public.users u
  set credits = u.credits + v_amount
  where u.id = p_user_id
  returning u.credits into v_balance;

  insert into public.quota_log (user_id, delta, balance_after, reason)
  values (p_user_id, v_amount, v_balance, 'trial');
  return v_balance;
end;
$$;

revoke all on function public.grant_trial_credits(uuid) from public, anon, authenticated;
grant execute on function public.grant_trial_credits(uuid) to service_role;
