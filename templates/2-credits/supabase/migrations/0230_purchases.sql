-- Store purchases: credited once per (store, transaction_id), to one user,
-- and taken back (as far as the balance allows) when the store refunds.
--
-- A refund may reach us before the purchase does (the app verifies it late,
-- or never; the store notifies at once). revoke_purchase then leaves a
-- tombstone in private.iap_revocations, and credit_purchase refuses a
-- tombstoned or revoked transaction with transaction_revoked.
--
-- Both functions first take a transaction-level advisory lock on the store
-- transaction, so a credit and a revocation of the same transaction never
-- overlap: without it, a revocation could look for the purchase while the
-- credit is inserting it (uncommitted, so invisible), leave a tombstone and
-- return, and the credit would commit after it, never taken back. With it,
-- the outcome is one of the two serial orders: credited then revoked, or
-- revoked and never credited. The lock key is the pair (hash of the table
-- name, hash of store:transaction_id); a hash collision only makes two
-- unrelated transactions wait for each other, it cannot change an outcome.

-- Serialises credit_purchase and revoke_purchase of one store transaction
-- until the calling transaction ends.
create or replace function private.lock_store_transaction(p_store text, p_transaction_id text)
returns void
language sql
set search_path = ''
as $$
  select pg_catalog.pg_advisory_xact_lock(
    pg_catalog.hashtext('public.iap_transactions'),
    pg_catalog.hashtext(p_store || ':' || p_transaction_id)
  );
$$;

-- Credits the product's credits once. The insert into iap_transactions is the
-- claim: when two requests race with the same transaction, the advisory lock
-- (and behind it the unique key) makes the second wait for the first and then
-- find its row. Returns the new balance; a repeat by the same user returns
-- the balance unchanged. A transaction the store revoked is refused
-- (transaction_revoked), before or after it was credited.
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

  perform private.lock_store_transaction(p_store, p_transaction_id);

  -- Refunded before it was credited (tombstone), or credited and refunded
  -- since: the purchase no longer exists at the store, whoever asks.
  if exists (select 1 from private.iap_revocations r
             where r.store = p_store and r.transaction_id = p_transaction_id)
     or exists (select 1 from public.iap_transactions t
                where t.store = p_store and t.transaction_id = p_transaction_id and t.status = 'revoked') then
    raise exception 'transaction_revoked: % transaction % was refunded or revoked by the store', p_store, p_transaction_id
      using errcode = 'P0001';
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
-- (or whose account was deleted). A transaction we never credited gets a
-- tombstone, so it can never be credited later.
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
  if p_store is null or p_transaction_id is null then
    raise exception 'invalid_request: store and transaction are required' using errcode = 'P0001';
  end if;

  -- Concurrent credits and revocations of this transaction queue here.
  perform private.lock_store_transaction(p_store, p_transaction_id);

  select * into v_txn from public.iap_transactions t
  where t.store = p_store and t.transaction_id = p_transaction_id
  for update;
  if not found then
    insert into private.iap_revocations (store, transaction_id)
    values (p_store, p_transaction_id)
    on conflict (store, transaction_id) do nothing;
    return null;
  end if;
  if v_txn.user_id is null then
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
revoke all on function private.lock_store_transaction(text, text) from public, anon, authenticated, service_role;
