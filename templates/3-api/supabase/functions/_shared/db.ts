/**
 * The database port: one method per SQL function of the contract (CONTRACT §3)
 * plus the few reads the handlers need. Handlers only see `Db`, so tests run
 * them against fakes or, through tests/pg_db.ts, against the real SQL
 * functions over a direct connection.
 *
 * Production (`supabaseDb`) calls the functions with `rpc` as `service_role`:
 * they are granted to nobody else. Every call is typed by database.types.ts.
 */
import type { SupabaseClient } from "@supabase/supabase-js";
import type { Database } from "./database.types.ts";

type Public = Database["public"];
export type VideoJob = Public["Tables"]["video_jobs"]["Row"];
export type Model = Public["Tables"]["models"]["Row"];
export type JobStatus = "queued" | "submitted" | "processing" | "succeeded" | "failed";

export const FINAL_STATUSES: readonly string[] = ["succeeded", "failed"];
export const isFinal = (job: Pick<VideoJob, "status">): boolean =>
  FINAL_STATUSES.includes(job.status);

/** The codes the SQL functions raise (the message starts with `<code>:`). */
export const DB_ERROR_CODES = [
  "insufficient_credits",
  "model_not_found",
  "idempotency_conflict",
  "too_many_active_jobs",
  "job_not_found",
  "product_not_found",
  "transaction_already_claimed",
] as const;
export type DbErrorCode = (typeof DB_ERROR_CODES)[number];

/** A contract error raised by a SQL function, e.g. `insufficient_credits`. */
export class DbError extends Error {
  constructor(
    readonly code: DbErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "DbError";
  }
}

/** The contract error in a Postgres error message, or null for anything else. */
export function toDbError(message: string): DbError | null {
  const match = /^([a-z_]+):?/.exec(message.trim());
  const code = match?.[1] as DbErrorCode | undefined;
  return code && DB_ERROR_CODES.includes(code) ? new DbError(code, message) : null;
}

export interface NewVideoJob {
  userId: string;
  modelId: string;
  idempotencyKey: string;
  /** The normalized request; the same key with another input is a conflict. */
  input: Record<string, unknown>;
}

export interface Purchase {
  userId: string;
  store: string;
  transactionId: string;
  productId: string;
  originalTransactionId?: string | null;
  environment?: string | null;
}

export interface Db {
  createVideoJob(job: NewVideoJob): Promise<VideoJob>;
  markJobSubmitted(jobId: string, providerJobId: string): Promise<VideoJob>;
  completeVideoJob(jobId: string, videoUrl: string): Promise<VideoJob>;
  failVideoJob(jobId: string, error: string): Promise<VideoJob>;
  creditPurchase(purchase: Purchase): Promise<number>;
  /** The new balance, or null for an unknown transaction. */
  revokePurchase(store: string, transactionId: string): Promise<number | null>;
  grantTrialCredits(userId: string): Promise<number>;
  /** Fails and refunds jobs not final after `olderThanSeconds` (SQL default: 30 minutes). */
  reapStuckJobs(olderThanSeconds?: number): Promise<number>;
  /** True the first time `(source, eventId)` is seen, false for every repeat. */
  recordWebhookEvent(source: string, eventId: string): Promise<boolean>;

  /** Keeps the provider's polling URL (fal hands one out with every submission). */
  setProviderStatusUrl(jobId: string, url: string): Promise<void>;

  getModel(modelId: string): Promise<Model | null>;
  getJob(jobId: string): Promise<VideoJob | null>;
  findJobByProviderJobId(provider: string, providerJobId: string): Promise<VideoJob | null>;
  /**
   * Submitted or processing jobs of `provider`, least recently changed first;
   * with `updatedBefore`, only those last changed before it.
   */
  listInFlightJobs(
    provider: string,
    updatedBefore: Date | null,
    limit: number,
  ): Promise<VideoJob[]>;
}

interface PostgrestErrorLike {
  message: string;
  code?: string;
}

function check<T>(result: { data: T | null; error: PostgrestErrorLike | null }, what: string): T {
  if (result.error) {
    throw toDbError(result.error.message) ?? new Error(`${what}: ${result.error.message}`);
  }
  return result.data as T;
}

function checkRow<T>(
  result: { data: T | null; error: PostgrestErrorLike | null },
  what: string,
): T {
  const row = check(result, what);
  if (row === null || row === undefined) throw new Error(`${what}: no row returned`);
  return row;
}

/** `client` must use the service role key (the SQL functions are granted to it only). */
export function supabaseDb(client: SupabaseClient<Database>): Db {
  return {
    async createVideoJob(job) {
      return checkRow(
        await client.rpc("create_video_job", {
          p_user_id: job.userId,
          p_model_id: job.modelId,
          p_idempotency_key: job.idempotencyKey,
          p_input: job.input as never,
        }).single(),
        "create_video_job",
      );
    },
    async markJobSubmitted(jobId, providerJobId) {
      return checkRow(
        await client.rpc("mark_job_submitted", {
          p_job_id: jobId,
          p_provider_job_id: providerJobId,
        })
          .single(),
        "mark_job_submitted",
      );
    },
    async completeVideoJob(jobId, videoUrl) {
      return checkRow(
        await client.rpc("complete_video_job", { p_job_id: jobId, p_video_url: videoUrl }).single(),
        "complete_video_job",
      );
    },
    async failVideoJob(jobId, error) {
      return checkRow(
        await client.rpc("fail_video_job", { p_job_id: jobId, p_error: error }).single(),
        "fail_video_job",
      );
    },
    async creditPurchase(p) {
      return checkRow(
        await client.rpc("credit_purchase", {
          p_user_id: p.userId,
          p_store: p.store,
          p_transaction_id: p.transactionId,
          p_product_id: p.productId,
          p_original_transaction_id: p.originalTransactionId ?? undefined,
          p_environment: p.environment ?? undefined,
        }),
        "credit_purchase",
      );
    },
    async revokePurchase(store, transactionId) {
      return check(
        await client.rpc("revoke_purchase", { p_store: store, p_transaction_id: transactionId }),
        "revoke_purchase",
      ) ?? null;
    },
    async grantTrialCredits(userId) {
      return checkRow(
        await client.rpc("grant_trial_credits", { p_user_id: userId }),
        "grant_trial_credits",
      );
    },
    async reapStuckJobs(olderThanSeconds) {
      const args = olderThanSeconds === undefined
        ? {}
        : { p_older_than: `${olderThanSeconds} seconds` };
      return checkRow(await client.rpc("reap_stuck_jobs", args), "reap_stuck_jobs");
    },
    async recordWebhookEvent(source, eventId) {
      return checkRow(
        await client.rpc("record_webhook_event", { p_source: source, p_event_id: eventId }),
        "record_webhook_event",
      );
    },

    async setProviderStatusUrl(jobId, url) {
      check(
        await client.from("video_jobs").update({ provider_status_url: url }).eq("id", jobId),
        "video_jobs",
      );
    },
    async getModel(modelId) {
      return check(
        await client.from("models").select("*").eq("id", modelId).maybeSingle(),
        "models",
      );
    },
    async getJob(jobId) {
      return check(
        await client.from("video_jobs").select("*").eq("id", jobId).maybeSingle(),
        "video_jobs",
      );
    },
    async findJobByProviderJobId(provider, providerJobId) {
      return check(
        await client.from("video_jobs").select("*").eq("provider", provider)
          .eq("provider_job_id", providerJobId).maybeSingle(),
        "video_jobs",
      );
    },
    async listInFlightJobs(provider, updatedBefore, limit) {
      let query = client.from("video_jobs").select("*").eq("provider", provider)
        .in("status", ["submitted", "processing"]);
      if (updatedBefore) query = query.lt("updated_at", updatedBefore.toISOString());
      return check(
        await query.order("updated_at", { ascending: true }).limit(limit),
        "video_jobs",
      ) ?? [];
    },
  };
}
