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
import type { Job, JobInput } from "./contract/job.ts";
import { type Db, isFinal, type VideoJob } from "./db.ts";
import { logger } from "./log.ts";
import { providerOf, type Registry } from "./providers/registry.ts";
import type { GenerationInput, Outcome, Provider, Submitted } from "./providers/types.ts";
import { ProviderError } from "./providers/types.ts";
import { type Storage, videoPath } from "./storage.ts";
import { type Video, type VideoFetcher, VideoSourceError } from "./video_source.ts";

export interface JobDeps {
  db: Db;
  providers: Registry;
  storage: Storage;
  /** Opens a finished video under the provider's rules (video_source.ts). */
  fetchVideo: VideoFetcher;
  alerts: Alerts;
  now: () => Date;
}

/**
 * The job as its owner sees it (contract/job.ts): the video as a signed URL,
 * a stable error code and a message safe to show; never the provider's ids,
 * URLs or raw answers (those stay in the database for operators:
 * ops.jobs_failed).
 */
export type PublicJob = Job;

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
    // A check constraint keeps status to these values (0130_video_jobs.sql).
    status: job.status as Job["status"],
    // The handler stored the normalized input (generation_input.ts).
    input: job.input as JobInput,
    credits_charged: job.credits_charged,
    video_url: videoUrl,
    error_code: job.error_code,
    error: job.error,
    created_at: job.created_at,
    updated_at: job.updated_at,
  };
}

/**
 * Why a job failed, as its owner reads it (`error_code`, `error`). The
 * reaper's `timed_out` is written by SQL (reap_stuck_jobs).
 */
export const JOB_ERRORS = {
  provider_unavailable:
    "The video provider did not accept the job. Your credits were refunded; please retry.",
  generation_failed: "The video provider could not make this video. Your credits were refunded.",
  video_source_refused:
    "The finished video could not be collected safely. Your credits were refunded.",
  video_too_large:
    "The finished video is larger than this app accepts. Your credits were refunded.",
} as const;
export type JobErrorCode = keyof typeof JOB_ERRORS;

/**
 * Fails the job and refunds its charge (once, in SQL). The owner sees `code`
 * and its message; `detail` (the provider's raw answer) is kept for
 * operators only. A refund that cannot be written is the one failure an
 * operator must hear about at once.
 */
export async function failJob(
  job: VideoJob,
  code: JobErrorCode,
  detail: string,
  deps: JobDeps,
): Promise<VideoJob> {
  try {
    return await deps.db.failVideoJob(
      job.id,
      `${code}: ${JOB_ERRORS[code]}`,
      detail.slice(0, 2000),
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    deps.alerts.alert(...alertOf.refundFailed(job.id, message));
    throw error;
  }
}

/**
 * Copies the finished video to Storage, then completes the job. When the
 * job was failed and refunded meanwhile (the reaper, a failure delivery won
 * the race), the copy is deleted again: a refunded owner keeps no video.
 * A download that breaks the source rules fails and refunds the job; one
 * that merely fails is thrown, and the job is tried again later.
 */
async function storeVideo(job: VideoJob, videoUrl: string, deps: JobDeps): Promise<VideoJob> {
  const path = videoPath(job);
  const hosts = providerOf(deps.providers, job.provider)?.outputHosts ?? [];
  let video: Video | null = null;
  try {
    video = await deps.fetchVideo(videoUrl, hosts);
    await deps.storage.saveVideo(path, video);
  } catch (error) {
    const cause = video?.failure() ?? error;
    if (cause instanceof VideoSourceError && cause.definite) {
      deps.alerts.alert(...alertOf.videoRefused(job.provider, job.id, cause.message));
      return await failJob(job, cause.code as JobErrorCode, `${cause.message}: ${videoUrl}`, deps);
    }
    throw error;
  }
  const after = await deps.db.completeVideoJob(job.id, path);
  if (after.status !== "succeeded") await discardVideo(after, path, deps);
  return after;
}

/** Deletes the copy of a job that ended without it (refunded). */
async function discardVideo(job: VideoJob, path: string, deps: JobDeps): Promise<void> {
  logger().warn("the job was refunded while its video was stored; deleting the copy", {
    job_id: job.id,
    status: job.status,
  });
  await deps.storage.removeVideo(path);
}

/** Applies a provider outcome to the job; a final job is returned unchanged. */
export async function settle(job: VideoJob, outcome: Outcome, deps: JobDeps): Promise<VideoJob> {
  if (isFinal(job)) {
    // A success that arrives for a refunded job (again): make sure no copy
    // of an earlier attempt that lost the race is left behind.
    if (job.status === "failed" && outcome.state === "succeeded") {
      await deps.storage.removeVideo(videoPath(job));
    }
    return job;
  }
  if (outcome.state === "pending") return job;
  if (outcome.state === "processing") {
    return job.status === "submitted" ? await deps.db.markJobProcessing(job.id) : job;
  }
  if (outcome.state === "failed") {
    return await failJob(job, "generation_failed", outcome.error, deps);
  }
  return await storeVideo(job, outcome.videoUrl, deps);
}

/**
 * Asks the provider about an in-flight job, records the answer (the reaper
 * acts on it: reap_stuck_jobs) and applies it. A provider that cannot answer
 * throws: the job is left as it is.
 */
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
  if (outcome.state !== "failed") {
    try {
      await deps.db.recordJobPoll(job.id, outcome.state);
    } catch (error) {
      // Bookkeeping only: the job is settled below either way.
      logger().warn("could not record the poll", { job_id: job.id, error });
    }
  }
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
