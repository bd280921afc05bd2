/**
 * POST /generate-video: charge credits, create the job, hand it to the provider.
 *
 * 1. Verify the caller, their rate limit (429 rate_limited) and the request
 *    (401 / 400 / 404) before any charge. The request's types and limits are
 *    the contract's (contract.ts); what a model accepts is checked after.
 * 2. `create_video_job` charges and inserts the job atomically. The same
 *    Idempotency-Key with the same input returns the existing job and charges
 *    nothing (402 / 404 / 409 / 429 come from here).
 * 3. Exactly one request submits a job: `record_webhook_event('submission',
 *    job id)` is true for the first caller only. Every other request with the
 *    same key is a replay and gets 200 with the job as it stands.
 * 4. Submit, retrying only what cannot start a second paid generation. A
 *    definite failure (provider error, timeout) fails the job, refunds it and
 *    answers 502 `provider_unavailable`. A provider with webhooks is given
 *    `…/<provider>-webhook?job=<id>&token=<HMAC of the id>` (webhook_token.ts):
 *    only this server can mint that URL.
 *
 * A replay of a job that is still `queued` is NOT submitted again: the first
 * request may be submitting it right now, or may have reached the provider
 * before it died. Such a job has no provider id, so no webhook settles it;
 * the reaper (`reap_stuck_jobs`) fails and refunds it after 30 minutes.
 */
import { type Auth, authenticate } from "../_shared/auth.ts";
import { statusOf } from "../_shared/contract/schema.ts";
import type { JobResponse } from "../_shared/contract/job.ts";
import { DbError } from "../_shared/db.ts";
import { generationInputOf } from "../_shared/generation_input.ts";
import { HttpError, json, readJsonObject, requireMethod, respond } from "../_shared/http.ts";
import {
  failJob,
  type JobDeps,
  SubmissionHealth,
  type SubmitSettings,
  submitWithRetry,
  toPublicJob,
} from "../_shared/jobs.ts";
import { logger, tag } from "../_shared/log.ts";
import { providerOf } from "../_shared/providers/registry.ts";
import { describeBody } from "../_shared/providers/types.ts";
import { enforceRateLimit, type RateLimits } from "../_shared/rate_limit.ts";
import { headersOf, invalidRequest, parseWith } from "../_shared/validate.ts";
import { GENERATE_VIDEO_ERRORS, GenerateVideoBody, GenerateVideoHeaders } from "./contract.ts";

export interface GenerateVideoDeps extends JobDeps {
  auth: Auth;
  /** Base URL of this project's functions, e.g. https://<ref>.supabase.co/functions/v1 */
  functionsUrl: string;
  /** Mints our webhook URLs (WebhookTokens); required for providers with webhooks. */
  webhookTokens?: WebhookUrls;
  submit: SubmitSettings;
  health: SubmissionHealth;
  /** Per-user request limit (429 rate_limited), checked before anything else. */
  limits: RateLimits;
}

/** What generate-video needs of _shared/webhook_token.ts (generated with webhook providers). */
export interface WebhookUrls {
  readonly configured: boolean;
  webhookUrl(functionsUrl: string, provider: string, jobId: string): Promise<string>;
}

/** The source under which submission claims are recorded. */
export const SUBMISSION_CLAIM = "submission";

/**
 * The provider has the job: record its id. `mark_job_submitted` is idempotent,
 * so a database hiccup here is retried rather than leaving a paid job that
 * only the reaper would find (webhooks would still find it by `?job=`).
 */
async function recordSubmission(deps: GenerateVideoDeps, jobId: string, providerJobId: string) {
  for (let attempt = 1;; attempt++) {
    try {
      return await deps.db.markJobSubmitted(jobId, providerJobId);
    } catch (error) {
      if (attempt >= 3) throw error;
      logger().warn("recording the submission failed; retrying", { job_id: jobId, error });
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

export function generateVideoHandler(deps: GenerateVideoDeps): (req: Request) => Promise<Response> {
  return (req) =>
    respond(req, async () => {
      requireMethod(req, "POST");
      const caller = await authenticate(req, deps.auth);
      tag("user_id", caller.userId);
      await enforceRateLimit(deps.limits, caller.userId, "generate-video");
      const headers = headersOf(req, GenerateVideoHeaders);
      const idempotencyKey = parseWith(GenerateVideoHeaders, headers, invalidRequest)[
        "Idempotency-Key"
      ];
      const body = parseWith(GenerateVideoBody, await readJsonObject(req), invalidRequest);
      const modelId = body.model_id;

      const model = await deps.db.getModel(modelId);
      const provider = model?.is_active ? providerOf(deps.providers, model.provider) : undefined;
      if (!model || !provider) {
        throw new HttpError(404, "model_not_found", `No active model "${modelId}".`);
      }
      // The catalog has the last word on whether an image is needed (models
      // added later fall back to the adapter's generic rules).
      // Nothing is charged for a webhook provider we could not authenticate.
      if (provider.hasWebhooks && !deps.webhookTokens?.configured) {
        throw new Error(`${provider.name} calls back, but WEBHOOK_TOKEN_SECRET is not set`);
      }
      const spec = provider.spec(modelId);
      const input = generationInputOf(
        body,
        model.requires_image ? { ...spec, image: "required" } : spec,
      );

      let job;
      try {
        job = await deps.db.createVideoJob({
          userId: caller.userId,
          modelId,
          idempotencyKey,
          input: { ...input },
        });
      } catch (error) {
        // Only the codes the contract declares are answered; any other is a
        // bug (500, reported by serve()).
        const status = error instanceof DbError
          ? statusOf(GENERATE_VIDEO_ERRORS, error.code)
          : undefined;
        if (status) {
          throw new HttpError(status, (error as DbError).code, (error as DbError).message);
        }
        throw error;
      }
      tag("job_id", job.id);

      const firstRequest = await deps.db.recordWebhookEvent(SUBMISSION_CLAIM, job.id);
      if (!firstRequest) {
        const replay: JobResponse = { job: await toPublicJob(job, deps.storage) };
        return json(replay, 200);
      }

      let submitted;
      try {
        const callback = provider.hasWebhooks && deps.webhookTokens
          ? await deps.webhookTokens.webhookUrl(deps.functionsUrl, provider.name, job.id)
          : undefined;
        submitted = await submitWithRetry(provider, modelId, input, callback, deps.submit);
        deps.health.record(provider.name, true);
      } catch (error) {
        deps.health.record(provider.name, false);
        const reason = error instanceof Error ? error.message : describeBody(error, "");
        logger().warn("submission failed; refunding", { job_id: job.id, error });
        // The owner sees the code and a safe message; the provider's answer
        // (which may quote our webhook URL) is kept for operators only.
        await failJob(job, "provider_unavailable", reason, deps);
        throw new HttpError(
          502,
          "provider_unavailable",
          "The video provider did not accept the job. Your credits were refunded; please retry.",
        );
      }

      job = await recordSubmission(deps, job.id, submitted.id);
      if (submitted.statusUrl) {
        try {
          await deps.db.setProviderStatusUrl(job.id, submitted.statusUrl);
        } catch (error) {
          // Only an optimisation: without it the status URL is derived.
          logger().warn("could not keep the provider status URL", { job_id: job.id, error });
        }
      }
      const created: JobResponse = { job: await toPublicJob(job, deps.storage) };
      return json(created, 202);
    });
}
