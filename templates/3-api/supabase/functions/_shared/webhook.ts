/**
 * The provider webhook endpoint (fal-webhook, replicate-webhook):
 *
 * 1. Verify the signature over the RAW body; a bad one answers 401
 *    `invalid_signature`, changes nothing and alerts the operator.
 * 2. Find the job by the provider's job id. A callback can arrive before
 *    generate-video recorded that id, so the webhook URL also carries our job
 *    id (`?job=`): such a job is linked to the provider id first (the unique
 *    `(provider, provider_job_id)` forbids linking one provider job twice).
 * 3. Apply the outcome. Success copies the video to Storage, then completes
 *    the job; failure fails and refunds it. A final job is left unchanged, so
 *    duplicate, late and out-of-order deliveries change nothing twice.
 *
 * Unknown jobs are acknowledged (200) and logged: the provider would only
 * retry. Our own failures (Storage, database) answer 500 so that the
 * provider delivers again; poll-jobs is the backstop after its retries.
 */
import { alertOf } from "./alerts.ts";
import { isFinal, type VideoJob } from "./db.ts";
import { HttpError, json, requireMethod, respond } from "./http.ts";
import { type JobDeps, settle } from "./jobs.ts";
import { logger, tag } from "./log.ts";
import { providerOf } from "./providers/registry.ts";
import type { WebhookEvent } from "./providers/types.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function findJob(
  deps: JobDeps,
  providerName: string,
  event: WebhookEvent,
  jobIdHint: string | null,
): Promise<VideoJob | null> {
  const known = await deps.db.findJobByProviderJobId(providerName, event.providerJobId);
  if (known || !jobIdHint || !UUID.test(jobIdHint)) return known;
  const job = await deps.db.getJob(jobIdHint);
  // Only a job of this provider that is still waiting for its provider id.
  if (!job || job.provider !== providerName || job.provider_job_id || isFinal(job)) return null;
  return await deps.db.markJobSubmitted(job.id, event.providerJobId);
}

export function webhookHandler(
  providerName: string,
  deps: JobDeps,
): (req: Request) => Promise<Response> {
  return (req) =>
    respond(req, async () => {
      requireMethod(req, "POST");
      const provider = providerOf(deps.providers, providerName);
      if (!provider?.verifyWebhook || !provider.parseWebhook) {
        throw new Error(`${providerName} has no webhook support`);
      }
      const raw = new Uint8Array(await req.arrayBuffer());
      if (!(await provider.verifyWebhook(req.headers, raw))) {
        deps.alerts.alert(
          ...alertOf.forgedRequest(`${providerName}-webhook`, "bad or stale signature"),
        );
        throw new HttpError(401, "invalid_signature", "The webhook signature is not valid.");
      }

      let event: WebhookEvent | null;
      try {
        event = provider.parseWebhook(req.headers, raw);
      } catch {
        throw new HttpError(400, "invalid_request", "The webhook body is not valid JSON.");
      }
      if (!event) return json({ ok: true, ignored: "no job in this event" });
      tag("provider_job_id", event.providerJobId);

      const jobIdHint = new URL(req.url).searchParams.get("job");
      const job = await findJob(deps, providerName, event, jobIdHint);
      if (!job) {
        logger().warn("webhook for an unknown job", {
          provider: providerName,
          provider_job_id: event.providerJobId,
        });
        return json({ ok: true, ignored: "unknown job" });
      }
      tag("job_id", job.id);
      if (isFinal(job)) return json({ ok: true, status: job.status, duplicate: true });
      const after = await settle(job, event.outcome, deps);
      return json({ ok: true, status: after.status });
    });
}
