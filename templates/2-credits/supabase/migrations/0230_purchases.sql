-- Store purchases: credited once per (store, transaction_id), to one user,
-- and taken back (as far as the balance allows) when the store refunds.

-- Credits the product's credits once. The insert into iap_transactions is the
-- claim: when two requests race with the same transaction, the unique key
-- makes the second wait for the first and then find its row. Returns the new
-- balance; a repeat by the same user returns the balance unchanged.
create or replace function public.credit_purchase(
  p_user_id uuid,
  p_store text,
  p_transaction_id text,
  p_product_id text,
  p_original_transaction_id text default null,
  p_environment text default null
)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_product public.products;
  v_txn_id uuid;
  v_owner uuid;
  v_balance integer;
begin
  if p_user_id is null or p_store is null or p_transaction_id is null or p_product_id is null then
    raise exception 'invalid_request: user, store, transaction and product are required' using errcode = 'P0001';
  end if;

  if not exists (select 1 from public.users u where u.id = p_user_id) then
    raise exception 'user_not_found: %', p_user_id using errcode = 'P0001';
  end if;

  -- A paid purchase is credited even if the product was deactivated since:
  -- only an unknown product (or one of another store) is refused.
  select * into v_product from public.products p where p.id = p_product_id and p.store = p_store;
  if not found then
    raise exception 'product_not_found: % (%)', p_product_id, p_store using errcode = 'P0001';
  end if;

  insert into public.iap_transactions
    (user_id, store, transaction_id, original_transaction_id, product_id, credits, environment)
  values
    (p_user_id, p_store, p_transaction_id, p_original_transaction_id, v_product.id, v_product.credits, p_environment)
  on conflict (store, transaction_id) do nothing
  returning id into v_txn_id;

  if v_txn_id is null then
    select t.user_id into v_owner from public.iap_transactions t
    where t.store = p_store and t.transaction_id = p_transaction_id;
    if v_owner is distinct from p_user_id then
      raise exception 'transaction_already_claimed: % transaction % belongs to another account', p_store, p_transaction_id
        using errcode = 'P0001';
    end if;
    select u.credits into v_balance from public.users u where u.id = p_user_id;
    return v_balance;
  end if;

  update public.users u
  set credits = u.credits + v_product.credits
  where u.id = p_user_id
  returning u.credits into v_balance;
  if not found then
    raise exception 'user_not_found: %', p_user_id using errcode = 'P0001';
  end if;

  insert into public.quota_log (user_id, delta, balance_after, reason, iap_transaction_id)
  values (p_user_id, v_product.credits, v_balance, 'purchase', v_txn_id);
  return v_balance;
end;
$$;

-- Store refund or revocation: takes the purchase's credits back, once, never
-- below zero. What was already spent is recorded in credits_uncollected.
-- Returns the owner's new balance; null for a transaction we never credited
-- (or whose account was deleted).
create or replace function public.revoke_purchase(p_store text, p_transaction_id text)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_txn public.iap_transactions;
  v_balance integer;
  v_take integer;
begin
  -- Row lock on the transaction: concurrent revocations queue here.
  select * into v_txn from public.iap_transactions t
  where t.store = p_store and t.transaction_id = p_transaction_id
  for update;
  if not found or v_txn.user_id is null then
    return null;
  end if;

  select u.credits into v_balance from public.users u where u.id = v_txn.user_id for update;
  if v_txn.status = 'revoked' then
    return v_balance;
  end if;

  v_take := least(v_balance, v_txn.credits);
  if v_take > 0 then
    update public.users u
    set credits = u.credits - v_take
    where u.id = v_txn.user_id
    returning u.credits into v_balance;

    insert into public.quota_log (user_id, delta, balance_after, reason, iap_transaction_id)
    values (v_txn.user_id, -v_take, v_balance, 'revocation', v_txn.id);
  end if;

  update public.iap_transactions t
  set status = 'revoked',
      revoked_at = now(),
      credits_uncollected = v_txn.credits - v_take
  where t.id = v_txn.id;

  return v_balance;
end;
$$;

revoke all on function public.credit_purchase(uuid, text, text, text, text, text) from public, anon, authenticated;
revoke all on function public.revoke_purchase(text, text) from public, anon, authenticated;
grant execute on function public.credit_purchase(uuid, text, text, text, text, text) to service_role;
grant execute on function public.revoke_purchase(text, text) to service_role;
