/**
 * What every fake provider offers the tests, whatever the provider: control
 * over how submissions are answered, a way to finish a job, and (for
 * providers with webhooks) signed deliveries made with keys generated here.
 */
import type { Provider } from "../../_shared/providers/types.ts";
import type { FakeServer } from "./server.ts";

/** How the fake answers the next submissions. */
export type SubmitMode = "accept" | "error500" | "error422" | "busy503" | "hang";

export interface WebhookOptions {
  /** Our job id, as generate-video puts it in the webhook URL. */
  jobHint?: string;
  /** Signed with a key the receiver does not trust. */
  wrongKey?: boolean;
  /** The body is changed after signing. */
  tamper?: boolean;
  /** The signature timestamp lies this many seconds in the past. */
  ageSeconds?: number;
}

export interface ProviderFake {
  name: string;
  /** The real adapter, pointed at this fake. */
  provider: Provider;
  server: FakeServer;
  submitMode: SubmitMode;
  /** Submissions that reached the fake (accepted or not). */
  submissions(): number;
  /** The provider finishes the job (as status/result will report it). */
  finish(providerJobId: string, result: "succeeded" | "failed"): void;
  /** A signed webhook delivery for the job (providers with webhooks only). */
  webhook?(
    providerJobId: string,
    result: "succeeded" | "failed",
    options?: WebhookOptions,
  ): Promise<Request>;
  close(): Promise<void>;
}

/** The provider's answer to a submission in a failure mode, or null to accept. */
export async function failureFor(mode: SubmitMode, server: FakeServer): Promise<Response | null> {
  switch (mode) {
    case "accept":
      return null;
    case "error500":
      return Response.json({ detail: "internal error" }, { status: 500 });
    case "error422":
      return Response.json({ detail: "bad input" }, { status: 422 });
    case "busy503":
      return Response.json({ detail: "busy" }, { status: 503 });
    case "hang":
      await server.closing;
      return Response.json({ detail: "too late" }, { status: 503 });
  }
}
