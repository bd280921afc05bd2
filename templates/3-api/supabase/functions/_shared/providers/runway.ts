/**
 * Runway API (https://api.dev.runwayml.com), version header 2024-11-06.
 *
 * - Submit: POST /v1/image_to_video (with an image) or /v1/text_to_video;
 *   the answer is `{id}` of a task.
 * - Status: GET /v1/tasks/{id}: PENDING | THROTTLED | RUNNING | SUCCEEDED
 *   (`output: [url]`) | FAILED (`failure`, `failureCode`) | CANCELLED.
 * - Runway has no webhooks: poll-jobs and job-status poll the task (Runway
 *   asks for no more than one poll per task every 5 seconds). Output URLs
 *   expire within 24–48 h, so the video is copied to Storage at once, from
 *   Runway's CDN only (`RUNWAY_OUTPUT_HOSTS`).
 */
import {
  asRecord,
  describeBody,
  type GenerationInput,
  type ModelSpec,
  type Outcome,
  type Provider,
  ProviderError,
  providerFetch,
  providerRead,
  type ReadRetry,
} from "./types.ts";

export const RUNWAY_VERSION = "2024-11-06";

/**
 * Where Runway serves task outputs (the default of RUNWAY_OUTPUT_HOSTS):
 * its CloudFront distributions and the task-artifacts bucket.
 */
export const RUNWAY_OUTPUT_HOSTS = [
  "dnznrvs05pmza.cloudfront.net",
  "d2jqrm6oza8nb6.cloudfront.net",
  "runway-task-artifacts.s3.amazonaws.com",
];

export interface RunwayConfig {
  /** RUNWAYML_API_SECRET */
  apiKey: string;
  /** RUNWAY_API_URL, default https://api.dev.runwayml.com */
  apiUrl: string;
  /** RUNWAY_OUTPUT_HOSTS, default RUNWAY_OUTPUT_HOSTS. */
  outputHosts?: readonly string[];
  /** Retries of status reads (tests shorten the backoff). */
  readRetry?: ReadRetry;
  fetch: typeof fetch;
}

/** The app's aspect ratio → Runway's pixel `ratio`, per model family. */
const GEN4_RATIOS: Record<string, string> = {
  "16:9": "1280:720",
  "9:16": "720:1280",
  "4:3": "1104:832",
  "3:4": "832:1104",
  "1:1": "960:960",
  "21:9": "1584:672",
};
const VEO_RATIOS: Record<string, string> = { "16:9": "1280:720", "9:16": "720:1280" };

interface RunwayModel extends ModelSpec {
  ratios: Record<string, string>;
  /** Runway requires a duration for some models; this is used when the app sends none. */
  defaultDuration?: number;
}

const MODELS: Record<string, RunwayModel> = {
  gen4_turbo: {
    image: "required",
    durations: [5, 10],
    aspectRatios: Object.keys(GEN4_RATIOS),
    ratios: GEN4_RATIOS,
    defaultDuration: 5,
  },
  "veo3.1_fast": {
    image: "optional",
    durations: [4, 6, 8],
    aspectRatios: Object.keys(VEO_RATIOS),
    ratios: VEO_RATIOS,
    defaultDuration: 8,
  },
};

/** A model added to the catalog later: image optional, the common 16:9 / 9:16 ratios. */
const GENERIC: RunwayModel = {
  image: "optional",
  durations: [5, 10],
  aspectRatios: Object.keys(VEO_RATIOS),
  ratios: VEO_RATIOS,
  defaultDuration: 5,
};

const modelOf = (modelId: string): RunwayModel => MODELS[modelId] ?? GENERIC;

function requestOf(modelId: string, input: GenerationInput): { path: string; body: object } {
  const model = modelOf(modelId);
  const ratio = model.ratios[input.aspect_ratio ?? "16:9"] ?? Object.values(model.ratios)[0];
  const duration = input.duration ?? model.defaultDuration;
  const common = { model: modelId, promptText: input.prompt, ratio, duration };
  return input.image_url
    ? { path: "/v1/image_to_video", body: { ...common, promptImage: input.image_url } }
    : { path: "/v1/text_to_video", body: common };
}

export function runwayProvider(config: RunwayConfig): Provider {
  const headers = {
    "authorization": `Bearer ${config.apiKey}`,
    "x-runway-version": RUNWAY_VERSION,
    "content-type": "application/json",
  };
  return {
    name: "runway",
    hasWebhooks: false,
    outputHosts: config.outputHosts ?? RUNWAY_OUTPUT_HOSTS,
    spec: modelOf,

    async submit(modelId, input, options) {
      const { path, body } = requestOf(modelId, input);
      const res = await providerFetch(config.fetch, "runway", `${config.apiUrl}${path}`, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal: options.signal,
      });
      const id = asRecord(res.body).id;
      if (typeof id !== "string" || id === "") {
        throw new ProviderError(`runway: no task id in ${describeBody(res.body, "")}`, null, false);
      }
      return { id };
    },

    async status(job, signal): Promise<Outcome> {
      const url = `${config.apiUrl}/v1/tasks/${encodeURIComponent(job.providerJobId)}`;
      const { body } = await providerRead(
        config.fetch,
        "runway",
        url,
        { headers, signal },
        config.readRetry,
      );
      const task = asRecord(body);
      switch (task.status) {
        case "SUCCEEDED": {
          const output = Array.isArray(task.output) ? task.output : [];
          return typeof output[0] === "string"
            ? { state: "succeeded", videoUrl: output[0] }
            : { state: "failed", error: "runway: the task succeeded without an output" };
        }
        case "FAILED": {
          const code = typeof task.failureCode === "string" ? ` (${task.failureCode})` : "";
          return { state: "failed", error: `runway: ${String(task.failure ?? "failed")}${code}` };
        }
        case "CANCELLED":
          return { state: "failed", error: "runway: the task was cancelled" };
        case "RUNNING":
          return { state: "processing" };
        default:
          return { state: "pending" };
      }
    },
  };
}
