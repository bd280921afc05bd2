/**
 * CONTRACT §3 invariants as SQL: each query returns the rows that break one.
 * Run as a role that can read everything (postgres / service_role).
 */
import type pg from "pg";

const FINAL = "('succeeded', 'failed')";

export const INVARIANTS: Record<string, string> = {
  "1. credits >= 0": `select id from public.users where credits < 0`,
  "2. credits = sum(quota_log.delta)": `
    select u.id, u.credits, coalesce(q.s, 0) as sum
    from public.users u left join (select user_id, sum(delta) s from public.quota_log group by user_id) q on q.user_id = u.id
    where u.credits <> coalesce(q.s, 0)`,
  "2. balance_after is the running balance": `
    select id, user_id, balance_after, running from (
      select id, user_id, balance_after, sum(delta) over (partition by user_id order by id) as running
      from public.quota_log) x
    where balance_after <> running`,
  "3. one charge per job (= one per idempotency key), of its price": `
    select j.id from public.video_jobs j
    where (select count(*) from public.quota_log q where q.job_id = j.id and q.reason = 'generation') <> 1
       or exists (select 1 from public.quota_log q where q.job_id = j.id and q.reason = 'generation'
                  and (q.delta <> -j.credits_charged or q.user_id <> j.user_id))`,
  "5. a failed job is refunded its charge once; a succeeded one never": `
    select j.id, j.status from public.video_jobs j
    where (select count(*) from public.quota_log q where q.job_id = j.id and q.reason = 'refund'
           and q.delta = j.credits_charged and q.user_id = j.user_id)
          <> case when j.status = 'failed' then 1 else 0 end
       or (select count(*) from public.quota_log q where q.job_id = j.id and q.reason = 'refund')
          <> case when j.status = 'failed' then 1 else 0 end
       or (j.status = 'failed') <> (j.refunded_at is not null)`,
  "active_jobs counts the jobs in flight": `
    select u.id from public.users u
    where u.active_jobs <> (select count(*) from public.video_jobs j where j.user_id = u.id and j.status not in ${FINAL})`,
};

export const IAP_INVARIANTS: Record<string, string> = {
  "4. one credit per store transaction, to its owner": `
    select t.id from public.iap_transactions t
    where t.user_id is not null and (
      (select count(*) from public.quota_log q where q.iap_transaction_id = t.id and q.reason = 'purchase'
        and q.delta = t.credits and q.user_id = t.user_id) <> 1
      or (select count(*) from public.quota_log q where q.iap_transaction_id = t.id and q.reason = 'purchase') <> 1)`,
  "revocation: once, never more than the purchase, the rest recorded": `
    select t.id from public.iap_transactions t
    where (select count(*) from public.quota_log q where q.iap_transaction_id = t.id and q.reason = 'revocation') > 1
       or (t.status = 'credited' and (t.credits_uncollected <> 0
           or exists (select 1 from public.quota_log q where q.iap_transaction_id = t.id and q.reason = 'revocation')))
       or (t.status = 'revoked' and t.credits_uncollected
           - coalesce((select sum(q.delta) from public.quota_log q where q.iap_transaction_id = t.id and q.reason = 'revocation'), 0)
           <> t.credits)`,
  "a transaction refunded before it was credited is never credited": `
    select r.store, r.transaction_id from private.iap_revocations r
    join public.iap_transactions t on t.store = r.store and t.transaction_id = r.transaction_id`,
};

/** Every broken invariant with a sample of the offending rows; empty when all hold. */
export async function brokenInvariants(client: pg.ClientBase | pg.Pool, iap = true): Promise<string[]> {
  const out: string[] = [];
  const all = { ...INVARIANTS, ...(iap ? IAP_INVARIANTS : {}) };
  for (const [name, sql] of Object.entries(all)) {
    const { rows } = await client.query(`${sql} limit 5`);
    if (rows.length > 0) out.push(`${name}: ${JSON.stringify(rows)}`);
  }
  return out;
}
