/** The contract of POST /generate-video (see _shared/contract/schema.ts). */
import { exampleJob, JobResponse } from "../_shared/contract/job.ts";
import {
  COMMON_ERRORS,
  type EndpointContract,
  errors,
  type ExampleModel,
  NOT_JSON,
  RATE_LIMITED,
  RETRY_AFTER,
  UNAUTHORIZED,
  z,
} from "../_shared/contract/schema.ts";

const KEY_RULE = "Send an Idempotency-Key header of 8 to 128 characters (a UUID is ideal).";

export const GenerateVideoHeaders = z.object({
  "Idempotency-Key": z.string({ error: KEY_RULE })
    .min(8, { error: KEY_RULE })
    .max(128, { error: KEY_RULE })
    .regex(/^[\x21-\x7e]+$/, { error: KEY_RULE })
    .describe(
      "Makes retries safe: the same key with the same body is answered with the same job and " +
        "charges once; the same key with another body is 409 idempotency_conflict. A UUID per " +
        "user action is ideal (8 to 128 visible ASCII characters).",
    ),
});

const MAX_PROMPT = 2000;
const URL_RULE = "image_url must be an http(s) URL.";

/**
 * Field types and limits. What a model accepts (an image or none, its
 * durations and aspect ratios) depends on the catalog row and the provider,
 * and is checked after the model is known (_shared/generation_input.ts).
 */
export const GenerateVideoBody = z.object({
  model_id: z.string({ error: "model_id is required." })
    .min(1, { error: "model_id is required." })
    .max(200, { error: "model_id is required." })
    .describe("The id of an active row of public.models."),
  prompt: z.string({ error: "prompt is required." })
    .max(MAX_PROMPT, { error: `prompt is longer than ${MAX_PROMPT} characters.` })
    .trim()
    .min(1, { error: "prompt is required." })
    .describe("What the video shows."),
  image_url: z.url({ protocol: /^https?$/, error: URL_RULE })
    .max(2048, { error: URL_RULE })
    .nullish()
    .describe("The first frame, for image-to-video models (required by some, refused by others)."),
  duration: z.number({ error: "duration must be a number of seconds." })
    .positive({ error: "duration must be a number of seconds." })
    .nullish()
    .describe("Seconds, one of the model's durations."),
  aspect_ratio: z.string({ error: "aspect_ratio must be a string such as 16:9." })
    .nullish()
    .describe("One of the model's aspect ratios, e.g. 16:9 or 9:16."),
}).meta({ id: "GenerateVideoRequest" });
export type GenerateVideoBody = z.output<typeof GenerateVideoBody>;

export const GENERATE_VIDEO_ERRORS = errors(
  NOT_JSON,
  { 400: { invalid_request: KEY_RULE } },
  UNAUTHORIZED,
  { 401: { user_not_found: "user_not_found: no such user" } },
  { 402: { insufficient_credits: "insufficient_credits: need 15, have 2" } },
  { 404: { model_not_found: 'No active model "<model_id>".' } },
  {
    409: {
      idempotency_conflict: "idempotency_conflict: the key was used with another input",
    },
  },
  RATE_LIMITED,
  { 429: { too_many_active_jobs: "too_many_active_jobs: 3 jobs are still running" } },
  {
    502: {
      provider_unavailable:
        "The video provider did not accept the job. Your credits were refunded; please retry.",
    },
  },
  COMMON_ERRORS,
);

/** The contract, with examples of `model` (a model of the project's catalog). */
export function generateVideoContract(model: ExampleModel): EndpointContract {
  return {
    name: "generate-video",
    method: "post",
    audience: "app",
    operationId: "generateVideo",
    summary: "Charge credits and start a video generation",
    description:
      "Charges the model's credit cost and creates the job atomically, then hands it to the " +
      "provider. Retry with the same Idempotency-Key: a replay answers 200 with the job as it " +
      "stands and charges nothing. Then poll job-status until the job is succeeded or failed.",
    security: ["userJwt"],
    headers: GenerateVideoHeaders,
    body: {
      schema: GenerateVideoBody,
      description: "What to generate.",
      example: {
        model_id: model.id,
        prompt: "A paper boat sailing down a rainy street",
      },
    },
    responses: {
      202: {
        description: "A new job: charged and accepted by the provider.",
        body: JobResponse,
        example: { job: exampleJob("submitted", model) },
      },
      200: {
        description:
          "A replay of an earlier request with this Idempotency-Key: the job as it stands.",
        body: JobResponse,
        example: { job: exampleJob("processing", model) },
      },
    },
    errors: GENERATE_VIDEO_ERRORS,
    errorHeaders: { 429: RETRY_AFTER },
  };
}
