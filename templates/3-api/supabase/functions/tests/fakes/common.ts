/**
 * What every fake provider offers the tests, whatever the provider: control
 * over how submissions and reads are answered, a way to finish a job, and
 * (for providers with webhooks) signed deliveries made with keys generated
 * here, sent to the callback URL the job was submitted with.
 */
import type { Provider } from "../../_shared/providers/types.ts";
import type { FakeServer, Recorded } from "./server.ts";

/** How the fake answers the next submissions. */
export type SubmitMode = "accept" | "error500" | "error422" | "busy503" | "hang";

export interface WebhookOptions {
  /**
   * Where to deliver instead of the job's callback URL (an attacker's own
   * URL); a job id alone gives `…/<provider>-webhook?job=<id>` (no token).
   */
  url?: string;
  jobHint?: string;
  /** Signed with a key the receiver does not trust. */
  wrongKey?: boolean;
  /** The body is changed after signing. */
  tamper?: boolean;
  /** The signature timestamp lies this many seconds in the past. */
  ageSeconds?: number;
  /** The video URL a success delivery carries (default: the fake's own file). */
  videoUrl?: string;
}

/** How a finished job looks when asked (`finish`). */
export interface FinishOptions {
  /** The output URL the provider reports (default: a file on the fake). */
  videoUrl?: string;
}

export interface ProviderFake {
  name: string;
  /** The real adapter, pointed at this fake. */
  provider: Provider;
  server: FakeServer;
  submitMode: SubmitMode;
  /**
   * Statuses the next reads of a job's outcome answer with, one per read,
   * before the real answer (fal: the result, Runway: the task, Replicate: the
   * prediction): a flaky provider.
   */
  flakyReads: number[];
  /** The provider's own words for a failed job (never to be shown to users). */
  rawFailure: string;
  /** Submissions that reached the fake (accepted or not). */
  submissions(): number;
  /** The callback URL a job was submitted with (providers with webhooks). */
  callbackOf?(providerJobId: string): string | undefined;
  /** The provider finishes the job (as status/result will report it). */
  finish(providerJobId: string, result: "succeeded" | "failed", options?: FinishOptions): void;
  /** A signed webhook delivery for the job (providers with webhooks only). */
  webhook?(
    providerJobId: string,
    result: "succeeded" | "failed",
    options?: WebhookOptions,
  ): Promise<Request>;
  close(): Promise<void>;
}

/** The callback a delivery goes to: the job's own URL, or the test's choice. */
export function deliveryUrl(
  provider: string,
  callback: string | undefined,
  options: WebhookOptions,
): string {
  if (options.url) return options.url;
  if (options.jobHint) return `http://functions.local/${provider}-webhook?job=${options.jobHint}`;
  return callback ?? `http://functions.local/${provider}-webhook`;
}

/** A flaky answer for this read, or null for the real one. */
export function flakyAnswer(fake: { flakyReads: number[] }): Response | null {
  const status = fake.flakyReads.shift();
  return status === undefined
    ? null
    : Response.json({ detail: `flaky ${status}` }, { status, headers: { "retry-after": "0" } });
}

/**
 * The provider's answer to a submission in a failure mode, or null to accept.
 * Error answers echo what they received, as real APIs' validation errors do:
 * our webhook URL (and its token) is in there.
 */
export async function failureFor(
  mode: SubmitMode,
  server: FakeServer,
  req?: Recorded,
): Promise<Response | null> {
  const received = req ? { query: req.search.toString(), body: req.body } : {};
  switch (mode) {
    case "accept":
      return null;
    case "error500":
      return Response.json({ detail: "internal error on gpu-worker-7", received }, {
        status: 500,
      });
    case "error422":
      return Response.json({ detail: "bad input", received }, { status: 422 });
    case "busy503":
      return Response.json({ detail: "busy" }, { status: 503 });
    case "hang":
      await server.closing;
      return Response.json({ detail: "too late" }, { status: 503 });
  }
}
