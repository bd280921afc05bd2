/**
 * The `Db` port over a direct PostgreSQL connection (npm:pg), for tests that
 * must prove behaviour against the real SQL functions rather than a fake.
 * Every call runs as `service_role`, exactly as supabase-js `rpc` does in
 * production, so grants and RLS are those the Edge Functions get.
 *
 * DATABASE_URL: a migrated database, as role postgres (which may `set role
 * service_role`, as on Supabase).
 */
// @ts-types="@types/pg"
import pg from "pg";
import { type Db, toDbError, type VideoJob } from "../_shared/db.ts";

export interface PgDb extends Db {
  /** Runs `sql` as the connecting role (postgres), for test setup only. */
  admin<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export function pgDb(databaseUrl: string): PgDb {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });

  async function asServiceRole<T>(sql: string, params: unknown[]): Promise<T[]> {
    const client = await pool.connect();
    try {
      await client.query("set role service_role");
      try {
        return (await client.query(sql, params)).rows as T[];
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw toDbError(message) ?? error;
      }
    } finally {
      await client.query("reset role").catch(() => undefined);
      client.release();
    }
  }

  /** A `video_jobs` row as PostgREST returns it (JSON: ISO timestamps). */
  async function job(sql: string, params: unknown[]): Promise<VideoJob> {
    const [row] = await asServiceRole<{ job: VideoJob }>(
      `select to_jsonb(j) as job from ${sql} j`,
      params,
    );
    return row.job;
  }

  async function scalar<T>(sql: string, params: unknown[]): Promise<T> {
    const [row] = await asServiceRole<{ value: T }>(`select ${sql} as value`, params);
    return row.value;
  }

  return {
    createVideoJob: (j) =>
      job("public.create_video_job($1, $2, $3, $4)", [
        j.userId,
        j.modelId,
        j.idempotencyKey,
        j.input,
      ]),
    markJobSubmitted: (id, providerJobId) =>
      job("public.mark_job_submitted($1, $2)", [id, providerJobId]),
    completeVideoJob: (id, url) => job("public.complete_video_job($1, $2)", [id, url]),
    failVideoJob: (id, error) => job("public.fail_video_job($1, $2)", [id, error]),
    creditPurchase: (p) =>
      scalar("public.credit_purchase($1, $2, $3, $4, $5, $6)", [
        p.userId,
        p.store,
        p.transactionId,
        p.productId,
        p.originalTransactionId ?? null,
        p.environment ?? null,
      ]),
    revokePurchase: (store, transactionId) =>
      scalar("public.revoke_purchase($1, $2)", [store, transactionId]),
    grantTrialCredits: (userId) => scalar("public.grant_trial_credits($1)", [userId]),
    reapStuckJobs: (seconds) =>
      seconds === undefined
        ? scalar("public.reap_stuck_jobs()", [])
        : scalar("public.reap_stuck_jobs(make_interval(secs => $1))", [seconds]),
    recordWebhookEvent: (source, eventId) =>
      scalar("public.record_webhook_event($1, $2)", [source, eventId]),
    async setProviderStatusUrl(jobId, url) {
      await asServiceRole("update public.video_jobs set provider_status_url = $2 where id = $1", [
        jobId,
        url,
      ]);
    },
    async getModel(modelId) {
      const [row] = await asServiceRole<{ m: never }>(
        "select to_jsonb(m) as m from public.models m where id = $1",
        [modelId],
      );
      return row?.m ?? null;
    },
    async getJob(jobId) {
      const [row] = await asServiceRole<{ j: VideoJob }>(
        "select to_jsonb(j) as j from public.video_jobs j where id = $1",
        [jobId],
      );
      return row?.j ?? null;
    },
    async findJobByProviderJobId(provider, providerJobId) {
      const [row] = await asServiceRole<{ j: VideoJob }>(
        "select to_jsonb(j) as j from public.video_jobs j where provider = $1 and provider_job_id = $2",
        [provider, providerJobId],
      );
      return row?.j ?? null;
    },
    async listInFlightJobs(provider, updatedBefore, limit) {
      const rows = await asServiceRole<{ j: VideoJob }>(
        `select to_jsonb(j) as j from public.video_jobs j
          where provider = $1 and status in ('submitted', 'processing')
            and ($2::timestamptz is null or updated_at < $2)
          order by updated_at limit $3`,
        [provider, updatedBefore?.toISOString() ?? null, limit],
      );
      return rows.map((r) => r.j);
    },
    async admin<T>(sql: string, params: unknown[] = []) {
      return (await pool.query(sql, params)).rows as T[];
    },
    close: () => pool.end(),
  };
}
