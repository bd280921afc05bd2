/**
 * The one small interface every video provider adapter implements, and the
 * request shape the app sends. Adapters speak plain `fetch` to the provider's
 * HTTP API; every base URL comes from an environment variable, so tests point
 * them at local fakes.
 */
import type { JobInput } from "../contract/job.ts";

/**
 * What the app asks for (the body of POST /generate-video, minus model_id),
 * normalized: the contract's JobInput, which is also what the job stores.
 */
export type GenerationInput = JobInput;

/**
 * What a provider says about a job. `failed` is a definite answer (the
 * provider says the generation failed); `error` is its raw text, for
 * operators only. A provider that cannot be asked right now (429, 5xx, a
 * revoked key) gives no outcome: the adapter throws and the job waits.
 */
export type Outcome =
  | { state: "pending" }
  | { state: "processing" }
  | { state: "succeeded"; videoUrl: string }
  | { state: "failed"; error: string };

/**
 * The check of a webhook delivery: `signature` (not signed by the provider,
 * tampered with, stale) or `account` (validly signed, but for another
 * account at the provider than ours; `account` names it).
 */
export type WebhookCheck =
  | { ok: true }
  | { ok: false; reason: "signature" }
  | { ok: false; reason: "account"; account: string };

/** A verified webhook delivery, reduced to what changes a job. */
export interface WebhookEvent {
  /** The provider's own id of the job (fal request id, Replicate prediction id). */
  providerJobId: string;
  outcome: Outcome;
}

/** Which inputs a model takes, checked before anything is charged. */
export interface ModelSpec {
  image: "required" | "optional" | "none";
  /** Allowed durations in seconds; absent: the model has no duration setting. */
  durations?: readonly number[];
  /** Allowed aspect ratios ("16:9"); absent: the model has no aspect ratio setting. */
  aspectRatios?: readonly string[];
}

export interface SubmitOptions {
  /** Where the provider calls back, for providers with webhooks. */
  webhookUrl?: string;
  /** Aborts the HTTP call (submission timeout). */
  signal?: AbortSignal;
}

/** A provider's answer to a submission. */
export interface Submitted {
  /** The provider's job id (fal request id, Runway task id, Replicate prediction id). */
  id: string;
  /** Where to poll the job, when the provider hands one out (fal). */
  statusUrl?: string;
}

/** What an adapter needs to find a submitted job again. */
export interface JobRef {
  modelId: string;
  providerJobId: string;
  statusUrl?: string | null;
}

export interface Provider {
  readonly name: string;
  /** True when the provider calls us back; false means job state is polled. */
  readonly hasWebhooks: boolean;
  /**
   * Host names the provider serves finished videos from ("*.example.com"
   * covers subdomains): the only hosts a result is downloaded from.
   */
  readonly outputHosts: readonly string[];
  /** The input rules of `modelId` (a generic default for models not listed). */
  spec(modelId: string): ModelSpec;
  /** Starts a generation; resolves once the provider accepted it. */
  submit(modelId: string, input: GenerationInput, options: SubmitOptions): Promise<Submitted>;
  /** The current state of a submitted job. */
  status(job: JobRef, signal?: AbortSignal): Promise<Outcome>;
  /** Checks a webhook delivery's signature and account (raw body, before any parsing). */
  verifyWebhook?(headers: Headers, rawBody: Uint8Array): Promise<WebhookCheck>;
  /** The event of a verified delivery; null when it carries nothing we act on. */
  parseWebhook?(headers: Headers, rawBody: Uint8Array): WebhookEvent | null;
}

/**
 * A failed provider call. `retryable` is true only when the provider cannot
 * have accepted the request (connection refused, 429, 503), so sending it
 * again cannot start a second, paid generation.
 */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "ProviderError";
  }
}

/** Error text from a provider response body, shortened for logs and job rows. */
export function describeBody(body: unknown, fallback: string): string {
  const text = typeof body === "string" ? body : JSON.stringify(body ?? fallback);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/**
 * Answers that say nothing about the job: the provider (or a proxy in front
 * of it) could not answer right now. Asking again later may succeed.
 */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * `fetch` that parses JSON and turns every failure into a `ProviderError`.
 * Connection refused means nothing reached the provider: safe to retry.
 * An abort (timeout) is NOT retryable: the provider may have accepted the job.
 */
export async function providerFetch(
  fetchFn: typeof fetch,
  provider: string,
  url: string,
  init: RequestInit,
): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetchFn(url, init);
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : "";
    const message = error instanceof Error ? `${error.message} ${cause}`.trim() : String(error);
    // Deno reports failures while connecting (refused, DNS, TLS handshake) as
    // "client error (Connect)": the request itself was never sent.
    const refused = /\(Connect\)|connection refused|dns error/i.test(message);
    const timedOut = error instanceof DOMException &&
      (error.name === "TimeoutError" || error.name === "AbortError");
    throw new ProviderError(
      `${provider}: ${timedOut ? "timed out" : message}`,
      null,
      refused && !timedOut,
    );
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text === "" ? null : JSON.parse(text);
  } catch {
    // Not JSON (an HTML error page from a proxy, say): keep the text.
  }
  if (!res.ok) {
    throw new ProviderError(
      `${provider}: HTTP ${res.status} ${describeBody(body, res.statusText)}`,
      res.status,
      res.status === 429 || res.status === 503,
    );
  }
  return { status: res.status, body };
}

/** Retries of a read (status, result, keys): attempts and the first backoff. */
export interface ReadRetry {
  attempts: number;
  backoffMs: number;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_READ_RETRY: ReadRetry = { attempts: 3, backoffMs: 250 };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `providerFetch` for reads (GET status, result, signing keys), which are
 * safe to repeat: a transient failure (connection error, 408, 429, 5xx) is
 * retried with exponential backoff and jitter, within the caller's deadline
 * (`init.signal`). Whatever is still failing is thrown: the caller leaves
 * the job as it is, it is never a reason to fail (and refund) it.
 */
export async function providerRead(
  fetchFn: typeof fetch,
  provider: string,
  url: string,
  init: RequestInit,
  retry: ReadRetry = DEFAULT_READ_RETRY,
): Promise<{ status: number; body: unknown }> {
  const sleep = retry.sleep ?? defaultSleep;
  for (let attempt = 1;; attempt++) {
    try {
      return await providerFetch(fetchFn, provider, url, init);
    } catch (error) {
      const transient = error instanceof ProviderError &&
        (error.status === null
          ? !/timed out/.test(error.message)
          : isTransientStatus(error.status));
      if (!transient || attempt >= retry.attempts || init.signal?.aborted) throw error;
      const backoff = retry.backoffMs * 2 ** (attempt - 1);
      await sleep(backoff / 2 + Math.random() * backoff / 2);
      if (init.signal?.aborted) throw error;
    }
  }
}

/** `value` as a plain object, or an empty one. */
export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? value as Record<string, unknown>
    : {};
}
