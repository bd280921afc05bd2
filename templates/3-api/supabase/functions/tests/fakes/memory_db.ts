/**
 * An in-memory `Db` with the contract's semantics (CONTRACT §3), for fast
 * handler tests. The same scenarios also run against the real SQL functions
 * through tests/pg_db.ts (e2e_test.ts), which is the proof that matters.
 */
import { type Db, DbError, isFinal, type Model, type VideoJob } from "../../_shared/db.ts";

export interface LedgerRow {
  userId: string;
  delta: number;
  reason: "generation" | "refund";
  jobId: string;
}

const stable = (value: unknown): string =>
  JSON.stringify(
    value,
    (_k, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
        : v,
  );

export class MemoryDb implements Db {
  readonly credits = new Map<string, number>();
  readonly models = new Map<string, Model>();
  readonly jobs = new Map<string, VideoJob>();
  readonly ledger: LedgerRow[] = [];
  readonly events = new Set<string>();
  maxActiveJobs = 3;
  /** Makes failVideoJob throw (to test the refund-failure alert). */
  failRefunds = false;
  now = () => new Date();

  addModel(id: string, provider: string, creditCost: number): void {
    const at = new Date(0).toISOString();
    this.models.set(id, {
      id,
      provider,
      name: id,
      credit_cost: creditCost,
      is_active: true,
      requires_image: false,
      created_at: at,
      updated_at: at,
    } as unknown as Model);
  }

  private update(job: VideoJob, patch: Partial<VideoJob>): VideoJob {
    const next = { ...job, ...patch, updated_at: this.now().toISOString() };
    this.jobs.set(job.id, next);
    return next;
  }

  private job(id: string): VideoJob {
    const job = this.jobs.get(id);
    if (!job) throw new DbError("job_not_found", `job_not_found: ${id}`);
    return job;
  }

  createVideoJob({ userId, modelId, idempotencyKey, input }: Parameters<Db["createVideoJob"]>[0]) {
    const existing = [...this.jobs.values()].find((j) =>
      j.user_id === userId && j.idempotency_key === idempotencyKey
    );
    if (existing) {
      if (stable(existing.input) !== stable(input)) {
        return Promise.reject(
          new DbError("idempotency_conflict", "idempotency_conflict: other input"),
        );
      }
      return Promise.resolve(existing);
    }
    const model = this.models.get(modelId);
    if (!model?.is_active) {
      return Promise.reject(new DbError("model_not_found", `model_not_found: ${modelId}`));
    }
    const active = [...this.jobs.values()].filter((j) => j.user_id === userId && !isFinal(j));
    if (active.length >= this.maxActiveJobs) {
      return Promise.reject(new DbError("too_many_active_jobs", "too_many_active_jobs"));
    }
    const balance = this.credits.get(userId) ?? 0;
    if (balance < model.credit_cost) {
      return Promise.reject(
        new DbError("insufficient_credits", `insufficient_credits: need ${model.credit_cost}`),
      );
    }
    const at = this.now().toISOString();
    const job = {
      id: crypto.randomUUID(),
      user_id: userId,
      model_id: modelId,
      provider: model.provider,
      provider_job_id: null,
      provider_status_url: null,
      idempotency_key: idempotencyKey,
      input,
      status: "queued",
      credits_charged: model.credit_cost,
      video_url: null,
      error: null,
      created_at: at,
      updated_at: at,
    } as unknown as VideoJob;
    this.jobs.set(job.id, job);
    this.credits.set(userId, balance - model.credit_cost);
    this.ledger.push({ userId, delta: -model.credit_cost, reason: "generation", jobId: job.id });
    return Promise.resolve(job);
  }

  markJobSubmitted(jobId: string, providerJobId: string) {
    const job = this.job(jobId);
    if (job.status !== "queued") return Promise.resolve(job);
    const taken = [...this.jobs.values()].some((j) =>
      j.provider === job.provider && j.provider_job_id === providerJobId
    );
    if (taken) return Promise.reject(new Error("duplicate key value (provider, provider_job_id)"));
    return Promise.resolve(
      this.update(job, { status: "submitted", provider_job_id: providerJobId }),
    );
  }

  completeVideoJob(jobId: string, videoUrl: string) {
    const job = this.job(jobId);
    if (isFinal(job)) return Promise.resolve(job);
    return Promise.resolve(this.update(job, { status: "succeeded", video_url: videoUrl }));
  }

  failVideoJob(jobId: string, error: string) {
    if (this.failRefunds) return Promise.reject(new Error("connection to the database lost"));
    const job = this.job(jobId);
    if (isFinal(job)) return Promise.resolve(job);
    this.credits.set(job.user_id, (this.credits.get(job.user_id) ?? 0) + job.credits_charged);
    this.ledger.push({ userId: job.user_id, delta: job.credits_charged, reason: "refund", jobId });
    return Promise.resolve(this.update(job, { status: "failed", error }));
  }

  creditPurchase(): Promise<number> {
    return Promise.reject(new Error("not used by layer 3"));
  }
  revokePurchase(): Promise<number | null> {
    return Promise.reject(new Error("not used by layer 3"));
  }
  grantTrialCredits(): Promise<number> {
    return Promise.reject(new Error("not used by layer 3"));
  }

  async reapStuckJobs(olderThanSeconds = 30 * 60) {
    let count = 0;
    const cutoff = this.now().getTime() - olderThanSeconds * 1000;
    for (const job of [...this.jobs.values()]) {
      if (!isFinal(job) && new Date(job.updated_at).getTime() < cutoff) {
        await this.failVideoJob(job.id, "timed out");
        count++;
      }
    }
    return count;
  }

  recordWebhookEvent(source: string, eventId: string) {
    const key = `${source}\u0000${eventId}`;
    const fresh = !this.events.has(key);
    this.events.add(key);
    return Promise.resolve(fresh);
  }

  setProviderStatusUrl(jobId: string, url: string) {
    const job = this.job(jobId);
    this.jobs.set(jobId, { ...job, provider_status_url: url });
    return Promise.resolve();
  }

  getModel(modelId: string) {
    return Promise.resolve(this.models.get(modelId) ?? null);
  }
  getJob(jobId: string) {
    return Promise.resolve(this.jobs.get(jobId) ?? null);
  }
  findJobByProviderJobId(provider: string, providerJobId: string) {
    return Promise.resolve(
      [...this.jobs.values()].find((j) =>
        j.provider === provider && j.provider_job_id === providerJobId
      ) ?? null,
    );
  }
  listInFlightJobs(provider: string, updatedBefore: Date | null, limit: number) {
    return Promise.resolve(
      [...this.jobs.values()]
        .filter((j) =>
          j.provider === provider && ["submitted", "processing"].includes(j.status) &&
          (!updatedBefore || new Date(j.updated_at) < updatedBefore)
        )
        .sort((a, b) => a.updated_at.localeCompare(b.updated_at))
        .slice(0, limit),
    );
  }
}
