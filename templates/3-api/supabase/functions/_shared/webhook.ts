/**
 * The provider webhook endpoint (fal-webhook, replicate-webhook). A delivery
 * changes a job only when all of these hold:
 *
 * 1. The URL carries the job id and the token only this server mints for it
 *    (`?job=<id>&token=<HMAC>`, webhook_token.ts): a user who knows their own
 *    job id cannot point a delivery from their own provider account at it.
 *    Otherwise 401 `invalid_signature`, and the operator is alerted.
 * 2. The signature over the RAW body is the provider's, and it is for OUR
 *    account (fal signs every customer's deliveries with the same keys, so
 *    the signed fal user id must be FAL_WEBHOOK_USER_ID; Replicate's secret is
 *    per account). Otherwise 401 `invalid_signature` as well.
 * 3. The delivery is about the provider job that job was submitted as: its
 *    provider id must equal the job's `provider_job_id`. A job whose provider
 *    id is not recorded yet (the callback outran generate-video) is answered
 *    409 `job_not_submitted` and changes nothing: the provider delivers again
 *    (fal: 10 times over 2 hours; Replicate retries too), and the poller
 *    settles the job once the id is recorded. Another provider id: 200,
 *    ignored.
 *
 * Then the outcome is applied (jobs.ts `settle`): success copies the video to
 * Storage under the provider's source rules, then completes the job; failure
 * fails and refunds it. A final job is left unchanged, so duplicate, late and
 * out-of-order deliveries change nothing twice. Our own failures (Storage,
 * database) answer 500 so that the provider delivers again; poll-jobs is the
 * backstop after its retries.
 */
import { alertOf } from "./alerts.ts";
import { isFinal } from "./db.ts";
import { HttpError, json, requireMethod, respond } from "./http.ts";
import { type JobDeps, settle } from "./jobs.ts";
import { logger, tag } from "./log.ts";
import { providerOf } from "./providers/registry.ts";
import type { WebhookEvent } from "./providers/types.ts";
import type { WebhookTokens } from "./webhook_token.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface WebhookDeps extends JobDeps {
  /** Checks the `token` of our webhook URLs (WEBHOOK_TOKEN_SECRET). */
  tokens: WebhookTokens;
}

const forged = (message: string) => new HttpError(401, "invalid_signature", message);

export function webhookHandler(
  providerName: string,
  deps: WebhookDeps,
): (req: Request) => Promise<Response> {
  return (req) =>
    respond(req, async () => {
      requireMethod(req, "POST");
      const provider = providerOf(deps.providers, providerName);
      if (!provider?.verifyWebhook || !provider.parseWebhook) {
        throw new Error(`${providerName} has no webhook support`);
      }
      const raw = new Uint8Array(await req.arrayBuffer());
      const source = `${providerName}-webhook`;

      // Cheap first: only URLs this server minted carry a valid token.
      const url = new URL(req.url);
      const jobId = url.searchParams.get("job") ?? "";
      if (!UUID.test(jobId) || !(await deps.tokens.verify(jobId, url.searchParams.get("token")))) {
        deps.alerts.alert(...alertOf.forgedRequest(source, "missing or wrong job token"));
        throw forged("The webhook URL's job token is not valid.");
      }
      tag("job_id", jobId);

      const check = await provider.verifyWebhook(req.headers, raw);
      if (!check.ok && check.reason === "signature") {
        deps.alerts.alert(...alertOf.forgedRequest(source, "bad or stale signature"));
        throw forged("The webhook signature is not valid.");
      }
      if (!check.ok) {
        // Validly signed for another account at the provider, yet sent to a
        // URL only we hand out: most likely our own account, not configured.
        logger().error(
          `${providerName} delivery for job ${jobId} is signed for account ${check.account}, ` +
            `not ours: if ${check.account} is your ${providerName} account, set ` +
            `${providerName.toUpperCase()}_WEBHOOK_USER_ID=${check.account}; until then the ` +
            "poller collects the jobs",
          { provider: providerName, signed_account: check.account },
        );
        deps.alerts.alert(
          ...alertOf.forgedRequest(source, `signed for another account (${check.account})`),
        );
        throw forged("The webhook is not for this project's provider account.");
      }

      let event: WebhookEvent | null;
      try {
        event = provider.parseWebhook(req.headers, raw);
      } catch {
        throw new HttpError(400, "invalid_request", "The webhook body is not valid JSON.");
      }
      if (!event) return json({ ok: true, ignored: "no job in this event" });
      tag("provider_job_id", event.providerJobId);

      const job = await deps.db.getJob(jobId);
      if (!job || job.provider !== providerName) {
        logger().warn("webhook for an unknown job", { provider: providerName, job_id: jobId });
        return json({ ok: true, ignored: "unknown job" });
      }
      const wasFinal = isFinal(job);
      if (!job.provider_job_id && !wasFinal) {
        // Never settle a job without knowing which provider job it is.
        throw new HttpError(
          409,
          "job_not_submitted",
          "The job's submission is not recorded yet; deliver again later.",
        );
      }
      if (job.provider_job_id !== event.providerJobId) {
        logger().warn("webhook for another provider job than the job's", {
          provider: providerName,
          job_provider_job_id: job.provider_job_id,
        });
        return json({ ok: true, ignored: "not this job's provider request" });
      }
      const after = await settle(job, event.outcome, deps);
      return json({ ok: true, status: after.status, ...(wasFinal ? { duplicate: true } : {}) });
    });
}
