/**
 * The life of a video job after it is charged, shared by generate-video,
 * job-status, poll-jobs and the webhooks:
 *
 *   queued ──submit──▶ submitted ──provider outcome──▶ succeeded | failed (refunded)
 *
 * Every transition goes through the SQL functions, which are idempotent on
 * final jobs: a duplicate, late or out-of-order event finds the job final and
 * changes nothing, so no path can refund twice or complete a failed job.
 */
import { alertOf, type Alerts, failureRateCrossed } from "./alerts.ts";
import { type Db, isFinal, type VideoJob } from "./db.ts";
import { providerOf, type Registry } from "./providers/registry.ts";
import type { GenerationInput, Outcome, Provider, Submitted } from "./providers/types.ts";
import { ProviderError } from "./providers/types.ts";
import { type Storage, videoPath } from "./storage.ts";

export interface JobDeps {
  db: Db;
  providers: Registry;
  storage: Storage;
  alerts: Alerts;
  now: () => Date;
}

/** The job as its owner sees it: the video as a signed URL, no internal keys. */
export interface PublicJob {
  id: string;
  model_id: string;
  provider: string;
  status: string;
  input: unknown;
  credits_charged: number;
  video_url: string | null;
  error: string | null;
  created_at: string;
  updated_at: string;
}

/** How long a signed video URL in a job response stays valid. */
export const SIGNED_URL_TTL_S = 60 * 60;

export async function toPublicJob(job: VideoJob, storage: Storage): Promise<PublicJob> {
  let videoUrl: string | null = null;
  if (job.status === "succeeded" && job.video_url) {
    videoUrl = await storage.signedUrl(job.video_url, SIGNED_URL_TTL_S);
  }
  return {
    id: job.id,
    model_id: job.model_id,
    provider: job.provider,
    status: job.status,
    input: job.input,
    credits_charged: job.credits_charged,
    video_url: videoUrl,
    error: job.error,
    created_at: job.created_at,
    updated_at: job.updated_at,
  };
}

/**
 * Fails the job and refunds its charge (once, in SQL). A refund that cannot be
 * written is the one failure an operator must hear about at once.
 */
export async function failJob(job: VideoJob, reason: string, deps: JobDeps): Promise<VideoJob> {
  try {
    return await deps.db.failVideoJob(job.id, reason.slice(0, 1000));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    deps.alerts.alert(...alertOf.refundFailed(job.id, message));
    throw error;
  }
}

/** Applies a provider outcome to the job; a final job is returned unchanged. */
export async function settle(job: VideoJob, outcome: Outcome, deps: JobDeps): Promise<VideoJob> {
  if (isFinal(job) || outcome.state === "pending") return job;
  if (outcome.state === "processing") {
    return job.status === "submitted" ? await deps.db.markJobProcessing(job.id) : job;
  }
  if (outcome.state === "failed") return await failJob(job, outcome.error, deps);
  const path = videoPath(job);
  await deps.storage.saveVideo(outcome.videoUrl, path);
  return await deps.db.completeVideoJob(job.id, path);
}

/** Asks the provider about an in-flight job and applies the answer. */
export async function refresh(
  job: VideoJob,
  deps: JobDeps,
  signal?: AbortSignal,
): Promise<VideoJob> {
  if (isFinal(job) || !job.provider_job_id) return job;
  const provider = providerOf(deps.providers, job.provider);
  if (!provider) return job;
  const outcome = await provider.status({
    modelId: job.model_id,
    providerJobId: job.provider_job_id,
    statusUrl: job.provider_status_url,
  }, signal);
  return await settle(job, outcome, deps);
}

/**
 * True when a job should be refreshed from its provider now: always for a
 * provider without webhooks, else only when its webhook seems lost.
 */
export function isStale(
  job: VideoJob,
  provider: Provider,
  now: Date,
  staleAfterS: number,
): boolean {
  if (isFinal(job) || !job.provider_job_id) return false;
  if (!provider.hasWebhooks) return true;
  return now.getTime() - new Date(job.updated_at).getTime() > staleAfterS * 1000;
}

export interface SubmitSettings {
  /** Per attempt; a timeout is a definite failure (never retried). */
  timeoutMs: number;
  /** Attempts for failures that prove the provider accepted nothing. */
  attempts: number;
  /** First backoff; doubled per attempt, with jitter. */
  backoffMs: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Submits with retries only where a retry cannot start a second generation:
 * connection refused, 429 and 503 (see ProviderError.retryable). Anything
 * else — another status, a timeout after the request was sent — ends here.
 */
export async function submitWithRetry(
  provider: Provider,
  modelId: string,
  input: GenerationInput,
  webhookUrl: string | undefined,
  settings: SubmitSettings,
): Promise<Submitted> {
  const sleep = settings.sleep ?? defaultSleep;
  for (let attempt = 1;; attempt++) {
    try {
      return await provider.submit(modelId, input, {
        webhookUrl,
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
    } catch (error) {
      const retryable = error instanceof ProviderError && error.retryable;
      if (!retryable || attempt >= settings.attempts) throw error;
      const backoff = settings.backoffMs * 2 ** (attempt - 1);
      await sleep(backoff / 2 + Math.random() * backoff / 2);
    }
  }
}

/**
 * Submission outcomes per provider over the last hour, in this worker. When
 * failures cross the threshold the operator is alerted (the alert channel
 * batches repeats per key).
 */
export class SubmissionHealth {
  private readonly events = new Map<string, { at: number; ok: boolean }[]>();

  constructor(
    private readonly alerts: Alerts,
    private readonly now: () => Date,
    private readonly windowMs = 60 * 60 * 1000,
  ) {}

  record(provider: string, ok: boolean): void {
    const now = this.now().getTime();
    const recent = (this.events.get(provider) ?? []).filter((e) => now - e.at < this.windowMs);
    recent.push({ at: now, ok });
    this.events.set(provider, recent);
    const failed = recent.filter((e) => !e.ok).length;
    if (!ok && failureRateCrossed(failed, recent.length)) {
      this.alerts.alert(...alertOf.providerFailureRate(provider, failed, recent.length));
    }
  }
}
