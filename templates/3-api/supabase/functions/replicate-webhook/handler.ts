/** POST /replicate-webhook: the shared webhook flow (_shared/webhook.ts) for replicate. */
import type { JobDeps } from "../_shared/jobs.ts";
import { webhookHandler } from "../_shared/webhook.ts";

export function replicateWebhookHandler(deps: JobDeps): (req: Request) => Promise<Response> {
  return webhookHandler("replicate", deps);
}
