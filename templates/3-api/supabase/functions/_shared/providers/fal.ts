/**
 * fal.ai queue API (https://queue.fal.run).
 *
 * - Submit: POST {queue}/{model id}?fal_webhook=<url>, `Authorization: Key …`,
 *   the model input as the JSON body; the answer carries `request_id`.
 * - Status and result live under the model's owner/app only (no sub-path):
 *   {queue}/{owner}/{app}/requests/{id}[/status]. The submit answer's
 *   `status_url` is kept in `video_jobs.provider_status_url`; jobs without one
 *   derive the URL from the model id as fal's own client does.
 * - COMPLETED is not success: failed and cancelled requests are COMPLETED
 *   too. Success is a 2xx result that contains a video; a failure is the
 *   status's `error`, or the model's own 4xx answer from the result
 *   endpoint. A result fal cannot hand out right now (401/403, 408, 429,
 *   5xx) says nothing about the job: it is asked again later, never refunded
 *   (fal charged us for it).
 * - Webhooks are signed with Ed25519 (keys from fal's JWKS, shared by every
 *   fal account); see `verifyWebhook`, which also requires OUR fal user id.
 * - Finished videos are served from fal's CDN (fal.media, v3.fal.media,
 *   v3b.fal.media): `FAL_OUTPUT_HOSTS`.
 */
import { fromBase64, fromHex, sha256Hex, timingSafeEqual, utf8 } from "../crypto.ts";
import {
  asRecord,
  describeBody,
  type GenerationInput,
  isTransientStatus,
  type JobRef,
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

/** Where fal serves finished files (the default of FAL_OUTPUT_HOSTS). */
export const FAL_OUTPUT_HOSTS = ["fal.media", "*.fal.media"];

export interface FalConfig {
  /** FAL_KEY */
  apiKey: string;
  /** FAL_QUEUE_URL, default https://queue.fal.run */
  queueUrl: string;
  /** FAL_JWKS_URL, default https://rest.alpha.fal.ai/.well-known/jwks.json */
  jwksUrl: string;
  /**
   * FAL_WEBHOOK_USER_ID: the fal user id our deliveries are signed for.
   * fal signs every account's deliveries with the same keys, so without this
   * check any fal customer could sign a delivery for our webhook. Empty:
   * every delivery is refused (and the log names the id it carried).
   */
  webhookUserId: string;
  /** FAL_OUTPUT_HOSTS, default FAL_OUTPUT_HOSTS. */
  outputHosts?: readonly string[];
  /** Retries of status/result reads (tests shorten the backoff). */
  readRetry?: ReadRetry;
  fetch: typeof fetch;
  now: () => Date;
  /** How long fetched JWKS keys are trusted (fal advises at most 24 h). */
  jwksTtlMs?: number;
}

/** Per-model input rules and mapping (schemas differ: "5" vs "8s", …). */
interface FalModel extends ModelSpec {
  toInput(input: GenerationInput): Record<string, unknown>;
}

const MODELS: Record<string, FalModel> = {
  "fal-ai/kling-video/v2.1/standard/image-to-video": {
    image: "required",
    durations: [5, 10],
    toInput: (i) => ({
      prompt: i.prompt,
      image_url: i.image_url,
      ...(i.duration ? { duration: String(i.duration) } : {}),
    }),
  },
  "fal-ai/minimax/video-01": {
    image: "none",
    toInput: (i) => ({ prompt: i.prompt }),
  },
  "fal-ai/veo3/fast": {
    image: "none",
    durations: [4, 6, 8],
    aspectRatios: ["16:9", "9:16"],
    toInput: (i) => ({
      prompt: i.prompt,
      ...(i.duration ? { duration: `${i.duration}s` } : {}),
      ...(i.aspect_ratio ? { aspect_ratio: i.aspect_ratio } : {}),
    }),
  },
};

/** A model added to the catalog later: passed through with fal's common field names. */
const GENERIC: FalModel = {
  image: "optional",
  durations: [4, 5, 6, 8, 10],
  aspectRatios: ["16:9", "9:16", "1:1"],
  toInput: (i) => ({
    prompt: i.prompt,
    ...(i.image_url ? { image_url: i.image_url } : {}),
    ...(i.duration ? { duration: String(i.duration) } : {}),
    ...(i.aspect_ratio ? { aspect_ratio: i.aspect_ratio } : {}),
  }),
};

const modelOf = (modelId: string): FalModel => MODELS[modelId] ?? GENERIC;

/** {queue}/{owner}/{app}: where a request's status and result live. */
function appUrl(queueUrl: string, modelId: string): string {
  const [owner, app] = modelId.split("/");
  return `${queueUrl}/${owner}/${app}`;
}

/** The video URL in a model result (`{video: {url}}`), or null. */
function videoUrlOf(result: unknown): string | null {
  const url = asRecord(asRecord(result).video).url;
  return typeof url === "string" && url !== "" ? url : null;
}

interface Jwk {
  kty?: string;
  crv?: string;
  x?: string;
}

/** fal webhook headers allow this much clock difference (seconds). */
const TIMESTAMP_TOLERANCE_S = 300;

export function falProvider(config: FalConfig): Provider {
  const headers = {
    "authorization": `Key ${config.apiKey}`,
    "content-type": "application/json",
  };
  const ttl = config.jwksTtlMs ?? 6 * 60 * 60 * 1000;
  let jwks: { keys: CryptoKey[]; fetchedAt: number } | null = null;

  async function publicKeys(forceRefresh: boolean): Promise<CryptoKey[]> {
    const now = config.now().getTime();
    // A forced refresh (unknown signer) happens at most once a minute, so forged
    // deliveries cannot make us hammer fal's JWKS endpoint.
    const maxAge = forceRefresh ? 60_000 : ttl;
    if (jwks && now - jwks.fetchedAt < maxAge) return jwks.keys;
    const { body } = await providerRead(
      config.fetch,
      "fal jwks",
      config.jwksUrl,
      { signal: AbortSignal.timeout(10_000) },
      config.readRetry,
    );
    const keys: CryptoKey[] = [];
    for (const jwk of (asRecord(body).keys ?? []) as Jwk[]) {
      if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") continue;
      const raw = fromBase64(jwk.x);
      if (!raw || raw.length !== 32) continue;
      keys.push(await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]));
    }
    jwks = { keys, fetchedAt: now };
    return keys;
  }

  async function anyKeyVerifies(
    keys: CryptoKey[],
    signature: Uint8Array<ArrayBuffer>,
    message: Uint8Array<ArrayBuffer>,
  ) {
    for (const key of keys) {
      if (await crypto.subtle.verify("Ed25519", key, signature, message)) return true;
    }
    return false;
  }

  /**
   * {queue}/{owner}/{app}/requests/{id}: the status URL fal handed out (minus
   * `/status`), trusted only on the configured queue host because our key is
   * sent to it; else derived as fal's own client derives it.
   */
  function requestUrlOf(job: JobRef): string {
    const given = job.statusUrl?.replace(/\/status$/, "");
    if (given && given.startsWith(`${config.queueUrl}/`)) return given;
    return `${appUrl(config.queueUrl, job.modelId)}/requests/${
      encodeURIComponent(job.providerJobId)
    }`;
  }

  async function result(url: string, signal?: AbortSignal): Promise<Outcome> {
    try {
      const { body } = await providerRead(
        config.fetch,
        "fal",
        url,
        { headers, signal },
        config.readRetry,
      );
      const video = videoUrlOf(body);
      return video
        ? { state: "succeeded", videoUrl: video }
        : { state: "failed", error: `fal: no video in the result: ${describeBody(body, "")}` };
    } catch (error) {
      // The result endpoint answers with the model's own error for a failed
      // request (422 for invalid input, …). 401/403 (our key), 408, 429 and
      // 5xx say nothing about the request: thrown, asked again later.
      if (
        error instanceof ProviderError && error.status !== null && error.status < 500 &&
        !isTransientStatus(error.status) && error.status !== 401 && error.status !== 403
      ) {
        return { state: "failed", error: error.message };
      }
      throw error;
    }
  }

  return {
    name: "fal",
    hasWebhooks: true,
    outputHosts: config.outputHosts ?? FAL_OUTPUT_HOSTS,
    spec: modelOf,

    async submit(modelId, input, options) {
      const query = options.webhookUrl
        ? `?fal_webhook=${encodeURIComponent(options.webhookUrl)}`
        : "";
      const { body } = await providerFetch(
        config.fetch,
        "fal",
        `${config.queueUrl}/${modelId}${query}`,
        {
          method: "POST",
          headers,
          body: JSON.stringify(modelOf(modelId).toInput(input)),
          signal: options.signal,
        },
      );
      const { request_id: requestId, status_url: statusUrl } = asRecord(body);
      if (typeof requestId !== "string" || requestId === "") {
        throw new ProviderError(`fal: no request_id in ${describeBody(body, "")}`, null, false);
      }
      return { id: requestId, ...(typeof statusUrl === "string" ? { statusUrl } : {}) };
    },

    async status(job, signal) {
      const requestUrl = requestUrlOf(job);
      const { body } = await providerRead(
        config.fetch,
        "fal",
        `${requestUrl}/status`,
        { headers, signal },
        config.readRetry,
      );
      const status = asRecord(body);
      if (status.status === "COMPLETED") {
        // A failed request carries its error (and error_type) in the status.
        if (typeof status.error === "string" && status.error !== "") {
          const type = typeof status.error_type === "string" ? ` (${status.error_type})` : "";
          return { state: "failed", error: `fal: ${status.error}${type}` };
        }
        return await result(requestUrl, signal);
      }
      return status.status === "IN_PROGRESS" ? { state: "processing" } : { state: "pending" };
    },

    async verifyWebhook(reqHeaders, rawBody): Promise<WebhookCheck> {
      const bad: WebhookCheck = { ok: false, reason: "signature" };
      const requestId = reqHeaders.get("x-fal-webhook-request-id");
      const userId = reqHeaders.get("x-fal-webhook-user-id");
      const timestamp = reqHeaders.get("x-fal-webhook-timestamp");
      const signature = fromHex(reqHeaders.get("x-fal-webhook-signature") ?? "");
      if (!requestId || !userId || !timestamp || !signature || signature.length !== 64) {
        return bad;
      }
      if (!/^\d+$/.test(timestamp)) return bad;
      const skew = Math.abs(config.now().getTime() / 1000 - Number(timestamp));
      if (skew > TIMESTAMP_TOLERANCE_S) return bad;
      const message = utf8(
        `${requestId}\n${userId}\n${timestamp}\n${await sha256Hex(new Uint8Array(rawBody))}`,
      );
      const signed = await anyKeyVerifies(await publicKeys(false), signature, message) ||
        // fal may have rotated its keys since we cached them: look once more.
        await anyKeyVerifies(await publicKeys(true), signature, message);
      if (!signed) return bad;
      // fal's keys sign every fal account's deliveries: only ours count.
      if (config.webhookUserId === "" || !timingSafeEqual(userId, config.webhookUserId)) {
        return { ok: false, reason: "account", account: userId };
      }
      return { ok: true };
    },

    parseWebhook(_headers, rawBody): WebhookEvent | null {
      // The body is signed as a whole (its SHA-256 is in the signed message).
      const body = asRecord(JSON.parse(new TextDecoder().decode(rawBody)));
      const requestId = body.request_id;
      if (typeof requestId !== "string" || requestId === "") return null;
      if (body.status === "OK") {
        const video = videoUrlOf(body.payload);
        // No payload (too large to serialize): the poller fetches the result instead.
        if (!video && body.payload_error) {
          return { providerJobId: requestId, outcome: { state: "pending" } };
        }
        return {
          providerJobId: requestId,
          outcome: video
            ? { state: "succeeded", videoUrl: video }
            : { state: "failed", error: `fal: no video in the result` },
        };
      }
      if (body.status === "ERROR") {
        const detail = typeof body.error === "string" ? body.error : "generation failed";
        return {
          providerJobId: requestId,
          outcome: {
            state: "failed",
            error: `fal: ${detail} ${describeBody(body.payload, "")}`.trim(),
          },
        };
      }
      return null;
    },
  };
}
