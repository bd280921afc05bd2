/** The contract of a provider's webhook endpoint (fal-webhook, replicate-webhook). */
import { JOB_STATUSES } from "./job.ts";
import { COMMON_ERRORS, type EndpointContract, errors, z } from "./schema.ts";

export const WebhookQuery = z.object({
  job: z.guid().describe("Our job id, put in the callback URL at submission."),
  token: z.string().describe("Our HMAC of the job id: only this server can mint it."),
});

export const WebhookAck = z.strictObject({
  ok: z.literal(true),
  status: z.enum(JOB_STATUSES).optional().describe("The job's status after the delivery."),
  duplicate: z.literal(true).optional().describe("The job was already final: nothing changed."),
  ignored: z.string().optional().describe("Why the delivery changed nothing."),
}).meta({ id: "WebhookAck" });

export function providerWebhookContract(provider: string, how: string): EndpointContract {
  return {
    name: `${provider}-webhook`,
    method: "post",
    audience: "provider",
    operationId: `${provider}Webhook`,
    summary: `${provider} completion webhook (called by ${provider}, not by apps)`,
    description: `${how} Only URLs this server minted (job and token) are accepted.`,
    security: [null],
    query: WebhookQuery,
    body: {
      schema: z.unknown(),
      description:
        `${provider}'s webhook payload, checked against its signature over the raw body.`,
      example: {},
    },
    responses: {
      200: {
        description: "Acknowledged (duplicates and unknown jobs too, changing nothing).",
        body: WebhookAck,
        example: { ok: true, status: "succeeded" },
      },
    },
    errors: errors(
      { 400: { invalid_request: "The webhook body is not valid JSON." } },
      { 401: { invalid_signature: "The webhook signature is not valid." } },
      {
        409: {
          job_not_submitted: "The job's submission is not recorded yet; deliver again later.",
        },
      },
      COMMON_ERRORS,
    ),
  };
}
