/**
 * Replicate predictions API (https://api.replicate.com/v1).
 *
 * - Submit: POST /models/{owner}/{name}/predictions (official models) or
 *   POST /predictions with `version` (an "owner/name:version" model id), with
 *   `webhook` and `webhook_events_filter: ["completed"]`: one call per job,
 *   when it is final.
 * - Status: GET /predictions/{id}: starting | processing | succeeded (`output`
 *   is the video URL, or a list of them) | failed (`error`) | canceled.
 * - Webhooks follow Standard Webhooks: HMAC-SHA256 over
 *   `${webhook-id}.${webhook-timestamp}.${body}` with the secret from
 *   GET /v1/webhooks/default/secret; see `verifyWebhook`.
 *   The secret is our account's own, so a valid signature is also proof that
 *   the delivery is for our account.
 * - Outputs are deleted after an hour, so the video is copied to Storage at
 *   once, from replicate.delivery only (`REPLICATE_OUTPUT_HOSTS`).
 */
import { fromBase64, timingSafeEqual, toBase64, utf8 } from "../crypto.ts";
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
  type WebhookCheck,
  type WebhookEvent,
} from "./types.ts";

/** Where Replicate serves output files (the default of REPLICATE_OUTPUT_HOSTS). */
export const REPLICATE_OUTPUT_HOSTS = ["replicate.delivery", "*.replicate.delivery"];

export interface ReplicateConfig {
  /** REPLICATE_API_TOKEN */
  apiToken: string;
  /** REPLICATE_WEBHOOK_SECRET (`whsec_…`); required to accept webhooks. */
  webhookSecret: string;
  /** REPLICATE_API_URL, default https://api.replicate.com/v1 */
  apiUrl: string;
  /** REPLICATE_OUTPUT_HOSTS, default REPLICATE_OUTPUT_HOSTS. */
  outputHosts?: readonly string[];
  /** Retries of status reads (tests shorten the backoff). */
  readRetry?: ReadRetry;
  fetch: typeof fetch;
  now: () => Date;
}

interface ReplicateModel extends ModelSpec {
  toInput(input: GenerationInput): Record<string, unknown>;
}

/** Kling on Replicate: `start_image`, integer duration 5 | 10. */
const kling = (image: ModelSpec["image"]): ReplicateModel => ({
  image,
  durations: [5, 10],
  aspectRatios: ["16:9", "9:16", "1:1"],
  toInput: (i) => ({
    prompt: i.prompt,
    ...(i.image_url ? { start_image: i.image_url } : {}),
    ...(i.duration ? { duration: i.duration } : {}),
    ...(i.aspect_ratio ? { aspect_ratio: i.aspect_ratio } : {}),
  }),
});

const MODELS: Record<string, ReplicateModel> = {
  // Image to video; the output takes the image's aspect ratio.
  "kwaivgi/kling-v2.1": { ...kling("required"), aspectRatios: undefined },
  "kwaivgi/kling-v2.1-master": kling("optional"),
  // Text to video; an image, when given, becomes the first frame.
  "minimax/video-01": {
    image: "optional",
    toInput: (i) => ({
      prompt: i.prompt,
      ...(i.image_url ? { first_frame_image: i.image_url } : {}),
    }),
  },
};

/** A model added to the catalog later: Replicate's most common field names. */
const GENERIC: ReplicateModel = {
  image: "optional",
  durations: [5, 10],
  aspectRatios: ["16:9", "9:16", "1:1"],
  toInput: (i) => ({
    prompt: i.prompt,
    ...(i.image_url ? { image: i.image_url } : {}),
    ...(i.duration ? { duration: i.duration } : {}),
    ...(i.aspect_ratio ? { aspect_ratio: i.aspect_ratio } : {}),
  }),
};

const modelOf = (modelId: string): ReplicateModel => MODELS[modelId] ?? GENERIC;

/** Standard Webhooks allow this much clock difference (seconds). */
const TIMESTAMP_TOLERANCE_S = 300;

/** A prediction object (API answer or webhook body) → what it means for the job. */
export function outcomeOf(prediction: Record<string, unknown>): Outcome {
  switch (prediction.status) {
    case "succeeded": {
      const output = Array.isArray(prediction.output) ? prediction.output[0] : prediction.output;
      return typeof output === "string" && output !== ""
        ? { state: "succeeded", videoUrl: output }
        : { state: "failed", error: "replicate: the prediction succeeded without an output" };
    }
    case "failed":
      return { state: "failed", error: `replicate: ${String(prediction.error ?? "failed")}` };
    case "canceled":
      return { state: "failed", error: "replicate: the prediction was canceled" };
    case "processing":
      return { state: "processing" };
    default:
      return { state: "pending" };
  }
}

export function replicateProvider(config: ReplicateConfig): Provider {
  const headers = {
    "authorization": `Bearer ${config.apiToken}`,
    "content-type": "application/json",
  };
  let hmacKey: Promise<CryptoKey> | null = null;
  function key(): Promise<CryptoKey> {
    const secret = fromBase64(config.webhookSecret.replace(/^whsec_/, ""));
    if (!secret || secret.length === 0) {
      return Promise.reject(new Error("REPLICATE_WEBHOOK_SECRET is not a whsec_ secret"));
    }
    hmacKey ??= crypto.subtle.importKey(
      "raw",
      secret,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    return hmacKey;
  }

  return {
    name: "replicate",
    hasWebhooks: true,
    outputHosts: config.outputHosts ?? REPLICATE_OUTPUT_HOSTS,
    spec: modelOf,

    async submit(modelId, input, options) {
      const [name, version] = modelId.split(":");
      const url = version
        ? `${config.apiUrl}/predictions`
        : `${config.apiUrl}/models/${name}/predictions`;
      const body = {
        ...(version ? { version } : {}),
        input: modelOf(modelId).toInput(input),
        ...(options.webhookUrl
          ? { webhook: options.webhookUrl, webhook_events_filter: ["completed"] }
          : {}),
      };
      const res = await providerFetch(config.fetch, "replicate", url, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal: options.signal,
      });
      const id = asRecord(res.body).id;
      if (typeof id !== "string" || id === "") {
        throw new ProviderError(
          `replicate: no prediction id in ${describeBody(res.body, "")}`,
          null,
          false,
        );
      }
      return { id };
    },

    async status(job, signal) {
      const url = `${config.apiUrl}/predictions/${encodeURIComponent(job.providerJobId)}`;
      const { body } = await providerRead(
        config.fetch,
        "replicate",
        url,
        { headers, signal },
        config.readRetry,
      );
      return outcomeOf(asRecord(body));
    },

    async verifyWebhook(reqHeaders, rawBody): Promise<WebhookCheck> {
      const bad: WebhookCheck = { ok: false, reason: "signature" };
      const id = reqHeaders.get("webhook-id");
      const timestamp = reqHeaders.get("webhook-timestamp");
      const signatures = reqHeaders.get("webhook-signature");
      if (!id || !timestamp || !signatures || !/^\d+$/.test(timestamp)) return bad;
      const skew = Math.abs(config.now().getTime() / 1000 - Number(timestamp));
      if (skew > TIMESTAMP_TOLERANCE_S) return bad;
      const signed = utf8(`${id}.${timestamp}.${new TextDecoder().decode(rawBody)}`);
      const expected = toBase64(await crypto.subtle.sign("HMAC", await key(), signed));
      // The header lists one or more "v1,<base64>" entries (several during secret rotation).
      let valid = false;
      for (const entry of signatures.split(" ")) {
        const [scheme, signature] = entry.split(",", 2);
        if (scheme === "v1" && signature && timingSafeEqual(signature, expected)) valid = true;
      }
      return valid ? { ok: true } : bad;
    },

    parseWebhook(_headers, rawBody): WebhookEvent | null {
      const prediction = asRecord(JSON.parse(new TextDecoder().decode(rawBody)));
      if (typeof prediction.id !== "string" || prediction.id === "") return null;
      return { providerJobId: prediction.id, outcome: outcomeOf(prediction) };
    },
  };
}
